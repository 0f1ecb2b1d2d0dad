import pickle

import numpy as np

from sparseopt.core import ConvergenceHistory


def test_history_records_and_pickles():
    history = ConvergenceHistory("duality_gap")
    assert "empty" in repr(history)
    for k in range(3):
        history.append(k, 1.0 / (k + 1), 10.0**-k)
    assert len(history) == 3
    np.testing.assert_array_equal(history.iterations, [0, 1, 2])
    np.testing.assert_allclose(history.criteria, [1, 0.1, 0.01])
    assert np.all(np.diff(history.times) >= 0)
    record = history.as_dict()
    assert set(record) == {"iteration", "objective", "duality_gap", "time"}
    clone = pickle.loads(pickle.dumps(history))
    np.testing.assert_array_equal(clone.objectives, history.objectives)
    assert "duality_gap" in repr(history)
