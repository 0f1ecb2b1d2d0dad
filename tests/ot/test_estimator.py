import numpy as np
import ot
import pytest

from sparseopt.ot import SparsityConstrainedOT, route_tokens


def test_transport_maps_sources_to_targets():
    """With k = n the plan is QROT's; transform is its barycentric map
    (computed here from the plan), inverse_transform the reverse one."""
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((40, 2))
    Xt = rng.standard_normal((30, 2)) + np.array([4.0, 0.0])
    model = SparsityConstrainedOT(reg=0.01, max_nz=40).fit(Xs, Xt=Xt)
    plan = model.coupling_.toarray()
    assert model.marginal_error_ <= 1e-9 and model.coupling_ is model.plan_
    np.testing.assert_allclose(plan.sum(1), 1 / 40, atol=1e-12)
    np.testing.assert_allclose(model.transform(Xs=Xs), plan @ Xt / plan.sum(1)[:, None],
                               atol=1e-12)
    np.testing.assert_allclose(model.inverse_transform(Xt=Xt), plan.T @ Xs / plan.sum(0)[:, None],
                               atol=1e-12)
    # new samples move like their nearest training sample
    np.testing.assert_allclose(model.transform(Xs[:3] + 0.01), model.transform(Xs[:3]) + 0.01,
                               atol=1e-12)
    cost = ot.dist(Xs, Xt)
    assert model.cost_ == pytest.approx(np.sum(plan * cost / cost.max()), rel=1e-12)
    sparse = SparsityConstrainedOT(reg=0.01, max_nz=3).fit(Xs=Xs, Xt=Xt)
    assert np.diff(sparse.coupling_.tocsr().indptr).max() <= 3
    assert sparse.marginal_error_ <= 1e-9 and len(sparse.history_) >= 1
    assert sparse.value_ >= model.value_


@pytest.mark.parametrize("formulation", ["dual", "semi_dual"])
@pytest.mark.parametrize("label_cost", [1.0, 1e3])
def test_imbalanced_labels_keep_the_problem_well_posed(formulation, label_cost):
    """136 / 164 source labels against 150 / 150 targets: all the mass is
    transported and exactly the imbalance crosses labels (0.8% of the mass moved,
    or marginals missed by 1.81, before)."""
    rng = np.random.default_rng(1)
    Xs, Xt = rng.standard_normal((300, 2)), rng.standard_normal((300, 2)) + 1.0
    ys = np.repeat([0, 1], [136, 164])
    yt = np.repeat([0, 1], [150, 150])
    model = SparsityConstrainedOT(reg=0.05, max_nz=3, formulation=formulation,
                                  label_cost=label_cost).fit(Xs, ys, Xt, yt)
    plan = model.coupling_.toarray()
    assert model.marginal_error_ <= 1e-9
    assert plan.sum() == pytest.approx(1.0, abs=1e-9)
    assert plan[ys[:, None] != yt[None, :]].sum() == pytest.approx(14 / 300, abs=1e-9)


def test_constant_samples_give_a_feasible_plan():
    """An all-zero cost (every pair tied) missed the marginals by 1.33: ties
    all went to the first rows."""
    model = SparsityConstrainedOT(max_nz=2).fit(np.ones((20, 3)))
    assert model.marginal_error_ <= 1e-9
    assert np.diff(model.coupling_.tocsr().indptr).max() <= 2


@pytest.mark.parametrize("n_tokens", [64, 256, 1024, 4096])
def test_route_tokens_binds_k_and_balances(n_tokens):
    """Every token gets exactly k experts at the default reg (1.0 experts per
    token before, with k = 2), loads are balanced, popular experts or not."""
    rng = np.random.default_rng(n_tokens)
    logits = rng.standard_normal((n_tokens, 8)) + np.linspace(1.5, -1.5, 8)
    for k in (1, 2, 3):
        routes = route_tokens(logits, k=k)
        assert np.all(np.diff(routes.indptr) == k)
        np.testing.assert_allclose(routes.sum(axis=1), 1.0, atol=1e-9)
        np.testing.assert_allclose(routes.sum(axis=0), n_tokens / 8, atol=1e-8)


def test_route_tokens_ties_masks_and_capacity():
    routes = route_tokens(np.zeros((12, 4)), k=1)  # tied logits: loads 0, 12, 0, 0 before
    np.testing.assert_array_equal(np.asarray(routes.sum(axis=0)).ravel(), [3, 3, 3, 3])
    assert np.all(np.diff(routes.indptr) == 1)
    routes = route_tokens(np.zeros((12, 4)), k=2)
    np.testing.assert_allclose(np.asarray(routes.sum(axis=0)).ravel(), 3.0, atol=1e-9)
    logits = np.random.default_rng(2).standard_normal((32, 4))
    logits[:10, 0] = -np.inf  # masked expert
    for k in (1, 2):
        routes = route_tokens(logits, k=k).toarray()
        assert np.all(routes[:10, 0] == 0)
        np.testing.assert_allclose(routes.sum(axis=0), 8.0, atol=1e-9)
    routes = route_tokens(logits, capacity=10)
    assert np.diff(routes.tocsc().indptr).max() <= 10
    np.testing.assert_allclose(routes.sum(axis=1), 1.0, atol=1e-9)
    confident = route_tokens(logits * 10, k=2, reg=0.05)  # a small reg lets tokens keep one
    assert np.diff(confident.indptr).mean() < 2


def test_route_tokens_errors():
    logits = np.random.default_rng(3).standard_normal((16, 4))
    with pytest.raises(ValueError, match="exactly one of k"):
        route_tokens(logits)
    with pytest.raises(ValueError, match="k must be <= 4"):
        route_tokens(logits, k=5)
    with pytest.raises(ValueError, match=r"capacity \* n_experts = 12 < n_tokens = 16"):
        route_tokens(logits, capacity=3)
    masked = logits.copy()
    masked[:, 1] = -np.inf
    with pytest.raises(ValueError, match=r"experts \[1\] are masked for every token"):
        route_tokens(masked, k=1)
    masked[0] = -np.inf
    with pytest.raises(ValueError, match=r"tokens \[0\] have every expert masked"):
        route_tokens(masked, k=1)
    with pytest.raises(ValueError, match=r"NaN or \+inf"):
        route_tokens(np.full((2, 2), np.nan), k=1)


def test_estimator_call_forms():
    rng = np.random.default_rng(4)
    Xs, Xt = rng.standard_normal((20, 2)), rng.standard_normal((25, 2)) + 3.0
    ys, yt = np.repeat([0, 1], 10), rng.integers(0, 2, 25)
    expected = SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs, Xt=Xt).coupling_.toarray()
    assert expected.shape == (20, 25)
    for fitted in (SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs, Xt),
                   SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs=Xs, Xt=Xt)):
        np.testing.assert_array_equal(fitted.coupling_.toarray(), expected)
        assert fitted.alpha_.shape == (20,) and fitted.beta_.shape == (25,)
    labelled = SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs, ys, Xt, yt)
    keywords = SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs=Xs, ys=ys, Xt=Xt, yt=yt)
    np.testing.assert_array_equal(labelled.coupling_.toarray(), keywords.coupling_.toarray())
    for args, kwargs in [((Xs, Xt), {"Xt": Xt}), ((Xs, Xt[:, :1]), {}),
                         ((Xs[:, :1], ys[:, None]), {})]:
        with pytest.raises(ValueError, match="pass labels as a 1-D y"):
            SparsityConstrainedOT().fit(*args, **kwargs)
    with pytest.raises(ValueError, match="give X or Xs, not both"):
        SparsityConstrainedOT().fit(Xs, Xs=Xs)
    with pytest.raises(ValueError, match="give X or Xt, not both"):
        labelled.inverse_transform(Xt, Xt=Xt)
    with pytest.raises(ValueError, match=r"one label per sample of Xs and Xt \(20 and 25\)"):
        SparsityConstrainedOT().fit(Xs, ys[:5], Xt, yt)
