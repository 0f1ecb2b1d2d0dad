import warnings

import numpy as np
import pytest

from sparseopt.ot import SparsityConstrainedOT, route_tokens


def test_transport_maps_sources_to_targets():
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((40, 2))
    Xt = rng.standard_normal((40, 2)) + np.array([4.0, 0.0])
    model = SparsityConstrainedOT(reg=0.01, max_nz=3).fit(Xs, Xt=Xt)
    assert np.diff(model.plan_.tocsr().indptr).max() <= 3
    mapped = model.transform(Xs)
    np.testing.assert_allclose(mapped.mean(axis=0), Xt.mean(axis=0), atol=0.2)
    assert model.marginal_error_ >= 0 and model.n_iter_ >= 1
    np.testing.assert_allclose(model.transform(Xs[:3] + 0.01), mapped[:3] + 0.01, atol=1e-12)


def test_labels_keep_mass_within_classes():
    rng = np.random.default_rng(1)
    Xs = rng.standard_normal((30, 2))
    Xt = rng.standard_normal((30, 2))
    ys, yt = np.repeat([0, 1], 15), np.repeat([0, 1], 15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SparsityConstrainedOT(reg=0.01, max_nz=4).fit(Xs, ys, Xt=Xt, yt=yt)
    plan = model.plan_.toarray()
    assert plan[ys[:, None] != yt[None, :]].sum() <= 1e-6


def test_route_tokens_balances_experts():
    logits = np.random.default_rng(2).standard_normal((64, 8))
    for k in (1, 2):
        routes = route_tokens(logits, k=k)
        assert np.diff(routes.indptr).max() <= k
        np.testing.assert_allclose(routes.sum(axis=1), 1.0, atol=1e-6)
        np.testing.assert_allclose(routes.sum(axis=0), 8.0, atol=1e-6)
    routes = route_tokens(logits, capacity=10)
    assert np.diff(routes.tocsc().indptr).max() <= 10
    with pytest.raises(ValueError, match="exactly one of k"):
        route_tokens(logits)
    with pytest.raises(ValueError, match="k must be <= 8"):
        route_tokens(logits, k=9)
