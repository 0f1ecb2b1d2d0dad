"""Long DAG fits are interruptible (Ctrl-C raises KeyboardInterrupt within a
second) and report their progress per stage; the chunking that makes this
possible does not change the result."""

import numpy as np

import sparseopt.solvers.dag.central_path as central_path
from sparseopt.dag import ColideEV, ColideNV, simulate_dag, simulate_sem, simulate_weights


def data(d=8, seed=0):
    B = simulate_dag(d, 2 * d, random_state=seed)
    return simulate_sem(simulate_weights(B, random_state=seed), 500, random_state=seed)


def test_ctrl_c_interrupts_a_long_fit(assert_interruptible):
    """Each stage was one numba call: Ctrl-C waited for the whole stage (over
    60 s with a large max_iter)."""
    assert_interruptible(
        """
        from sparseopt.dag import ColideEV, simulate_dag, simulate_sem, simulate_weights
        B = simulate_dag(30, 60, random_state=0)
        X = simulate_sem(simulate_weights(B, random_state=0), 500, random_state=0)
        ColideEV(T=1, warm_iter=5, max_iter=5).fit(X)  # compile
        """,
        "ColideEV(T=1, max_iter=3_000_000, tol=0.0).fit(X)",  # ~9 us per step: 10-30 s
        wait=1.0, within=1.0)


def test_chunking_does_not_change_the_result(monkeypatch):
    X = data()
    settings = {"T": 2, "warm_iter": 1500, "max_iter": 2500, "checkpoint": 100}
    reference = ColideNV(**settings).fit(X)
    monkeypatch.setattr(central_path, "_CHUNK_SECONDS", 0.0)  # one step per call
    stepwise = ColideNV(**settings).fit(X)
    monkeypatch.setattr(central_path, "_FIRST_CHUNK", 10**9)  # one call per stage
    whole = ColideNV(**settings).fit(X)
    for model in (stepwise, whole):
        np.testing.assert_array_equal(model.raw_adjacency_, reference.raw_adjacency_)
        np.testing.assert_array_equal(model.noise_scale_, reference.noise_scale_)
        assert model.n_iter_ == reference.n_iter_
        np.testing.assert_array_equal(model.history_.objectives, reference.history_.objectives)


def test_verbose_prints_every_stage(capsys):
    X = data()
    model = ColideEV(T=3, warm_iter=2000, max_iter=3000, verbose=1).fit(X)
    lines = capsys.readouterr().out.strip().splitlines()
    ends = [line for line in lines if "end=" in line]
    assert len(ends) == 3
    for stage, line in enumerate(ends, start=1):
        assert line.startswith("[ColideEV] iter ")
        for field in (f"stage={stage}", f"mu={0.1 ** (stage - 1):.4g}", "s=", "steps=", "h=",
                      "objective ", "criterion "):
            assert field in line, (field, line)
    assert f"iter {model.n_iter_} " in ends[-1]
    # the reported objective is the last check's (the history's last row)
    assert f"objective {model.history_.objectives[-1]:.6e}" in ends[-1]
    ColideEV(T=1, warm_iter=200, max_iter=200).fit(X)
    assert capsys.readouterr().out == ""
    ColideEV(T=1, warm_iter=500, max_iter=500, checkpoint=100, verbose=2).fit(X)
    assert len(capsys.readouterr().out.strip().splitlines()) >= 5  # every check
