"""Tour rows of the optimal transport family (:mod:`sparseopt.ot`) next to POT and SciPy.

Every plan is scored by the same formula: the L1 violation of both marginals,
recomputed from the returned plan, with its transport cost and sparsity as
details; the objective column compares the regularised objectives.
"""

import numpy as np

from sparseopt.tour._runner import Implementation, Task


def _clouds(quick):
    from sklearn.metrics import pairwise_distances

    n = 200 if quick else 400
    rng = np.random.default_rng(0)
    source = rng.standard_normal((n, 2))
    target = rng.standard_normal((n, 2)) * 0.7 + np.array([1.0, 0.5])
    M = pairwise_distances(source, target, metric="sqeuclidean")
    M /= M.max()
    a = np.full(n, 1.0 / n)
    return a, M, f"two Gaussian clouds, {n}x{n} squared-Euclidean cost / its max"


def _dense(plan):
    return plan.toarray() if hasattr(plan, "toarray") else np.asarray(plan)


def _marginal_error(a, b):
    def error(plan):
        plan = _dense(plan)
        return np.abs(plan.sum(axis=1) - a).sum() + np.abs(plan.sum(axis=0) - b).sum()
    return error


def _plan_details(M, exact_cost):
    def details(plan):
        plan = _dense(plan)
        cost = float(np.sum(plan * M))
        return (f"cost {cost:.5f} ({cost / exact_cost:.3f} x exact), "
                f"{np.count_nonzero(plan)} non-zeros, <= {np.max(np.count_nonzero(plan, 0))}"
                " per column")
    return details


def _exact(a, M):
    import ot

    return lambda: ot.emd(a, a, M)


def entropic(quick=False):
    """Entropic OT: sinkhorn_log and Sinkhorn-Newton-Sparse next to POT's Sinkhorn."""
    import ot

    a, M, data = _clouds(quick)
    reg = 5e-3
    exact_cost = float(np.sum(ot.emd(a, a, M) * M))

    def ours(name):
        def run():
            from sparseopt import ot as sparse_ot
            return getattr(sparse_ot, name)(None, None, M, reg, tol=1e-8)
        return run

    def pot(method):
        return lambda: ot.sinkhorn(a, a, M, reg, method=method, stopThr=1e-8,
                                   numItermax=100_000)

    def regot_ssns():
        import regot
        return regot.sinkhorn_ssns(np.asfortranarray(M), a, a, reg, tol=1e-8,
                                   max_iter=10_000).plan

    def objective(plan):
        plan = _dense(plan)
        positive = plan[plan > 0]
        return np.sum(plan * M) + reg * np.sum(positive * (np.log(positive) - 1))

    return Task(
        title="Entropic OT: Sinkhorn at a small regularisation",
        data=data + f", reg = {reg}",
        metric="marg. err",
        higher_is_better=False,
        score=_marginal_error(a, a),
        details=_plan_details(M, exact_cost),
        objective=objective,
        covers=("sinkhorn_log", "sinkhorn_newton_sparse"),
        implementations=[
            Implementation("sparseopt sinkhorn_log", ours("sinkhorn_log"), compiles=True),
            Implementation("sparseopt sinkhorn_newton_sparse",
                           ours("sinkhorn_newton_sparse"), compiles=True),
            Implementation("POT sinkhorn (log domain)", pot("sinkhorn_log"), role="anchor"),
            Implementation("POT sinkhorn (Sinkhorn-Knopp)", pot("sinkhorn"), role="anchor"),
            Implementation("regot sinkhorn_ssns (C++)", regot_ssns, role="anchor",
                           requires=("regot",)),
            Implementation("POT emd (exact, unregularised)", _exact(a, M), role="baseline"),
        ],
    )


def _smooth_task(quick, title, reg, ours, pot_options, covers):
    import ot

    a, M, data = _clouds(quick)
    exact_cost = float(np.sum(ot.emd(a, a, M) * M))

    def pot():
        return ot.smooth.smooth_ot_dual(a, a, M, reg, stopThr=1e-8, numItermax=10_000,
                                        **pot_options)

    def objective(plan):
        plan = _dense(plan)
        return np.sum(plan * M) + reg / 2 * np.sum(plan ** 2)

    name, function = ours
    return Task(
        title=title,
        data=data + f", reg = {reg}",
        metric="marg. err",
        higher_is_better=False,
        score=_marginal_error(a, a),
        details=_plan_details(M, exact_cost),
        objective=objective,
        covers=covers,
        implementations=[
            Implementation(f"sparseopt {name}", lambda: function(M), compiles=True),
            Implementation(f"POT smooth_ot_dual {pot_options['reg_type']}", pot,
                           role="anchor"),
            Implementation("POT emd (exact, unregularised)", _exact(a, M), role="baseline"),
        ],
    )


def quadratic(quick=False):
    """Quadratically regularised OT (sparse plans): qrot next to POT's smooth OT."""
    def qrot(M):
        from sparseopt.ot import qrot
        return qrot(None, None, M, 1.0, tol=1e-8)

    return _smooth_task(quick, "Quadratic OT: squared-norm regularisation, sparse plans", 1.0,
                        ("qrot (semismooth Newton)", qrot), {"reg_type": "l2"}, ("qrot",))


def sparsity_constrained(quick=False):
    """At most k non-zeros per column: sparsity_constrained_ot next to POT's."""
    max_nz = 5

    def constrained(M):
        from sparseopt.ot import sparsity_constrained_ot
        return sparsity_constrained_ot(None, None, M, 1.0, max_nz, tol=1e-8)

    return _smooth_task(quick, f"Sparsity-constrained OT: at most {max_nz} non-zeros per "
                        "column", 1.0, (f"sparsity_constrained_ot k={max_nz}", constrained),
                        {"reg_type": "sparsity_constrained", "max_nz": max_nz},
                        ("sparsity_constrained_ot",))


def domain_adaptation(quick=False):
    """SparsityConstrainedOT maps a labelled source onto a shifted target: POT's ot.da."""
    from sklearn.datasets import make_blobs
    from sklearn.neighbors import KNeighborsClassifier

    n = 150 if quick else 300
    centres = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)]
    Xs, ys = make_blobs(n, centers=centres, cluster_std=0.8, random_state=0)
    X_target, yt = make_blobs(n, centers=centres, cluster_std=0.8, random_state=1)
    angle = np.pi / 5
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    Xt = 1.3 * X_target @ rotation.T + np.array([3.0, 1.0])

    def sparseopt_mapping():
        from sparseopt.ot import SparsityConstrainedOT
        return SparsityConstrainedOT(reg=0.1, max_nz=3).fit(Xs, ys, Xt).transform(Xs)

    def pot(name, **options):
        def run():
            from ot import da
            return getattr(da, name)(**options).fit(Xs=Xs, Xt=Xt).transform(Xs=Xs)
        return run

    def accuracy(mapped):
        classifier = KNeighborsClassifier(n_neighbors=1).fit(mapped, ys)
        return classifier.score(Xt, yt)

    return Task(
        title="Domain adaptation: 1-NN trained on source samples mapped to the target",
        data=f"3 Gaussian blobs, {n} source and {n} target points (rotated, scaled, shifted)",
        metric="target acc",
        score=accuracy,
        covers=("SparsityConstrainedOT",),
        implementations=[
            Implementation("sparseopt SparsityConstrainedOT k=3", sparseopt_mapping,
                           compiles=True),
            Implementation("POT da.EMDTransport", pot("EMDTransport"), role="anchor"),
            Implementation("POT da.SinkhornTransport", pot(
                "SinkhornTransport", reg_e=1e-2, norm="max", max_iter=10_000), role="anchor"),
            Implementation("no adaptation", lambda: Xs, role="baseline"),
        ],
    )


def routing(quick=False):
    """route_tokens balances a mixture of experts: exact assignment, Sinkhorn, top-k."""
    from scipy.special import softmax

    n_tokens, n_experts, k = (512, 8, 2) if quick else (2048, 16, 2)
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n_tokens, n_experts)) + np.linspace(0.0, 2.0, n_experts)
    probabilities = softmax(logits, axis=1)

    def top_k(scores):
        keep = np.argsort(-scores, axis=1)[:, :k]
        weights = np.zeros_like(scores)
        np.put_along_axis(weights, keep, np.take_along_axis(probabilities, keep, 1), axis=1)
        return weights / weights.sum(axis=1, keepdims=True)

    def sparseopt_routing():
        from sparseopt.ot import route_tokens
        return route_tokens(logits, k=k)

    def exact_assignment():
        from scipy.optimize import linear_sum_assignment
        per_expert = n_tokens // n_experts
        tokens, slots = linear_sum_assignment(-np.repeat(probabilities, per_expert, axis=1))
        weights = np.zeros_like(probabilities)
        weights[tokens, slots // per_expert] = 1.0
        return weights

    def sinkhorn_top_k():
        import ot
        plan = ot.sinkhorn(np.full(n_tokens, 1.0 / n_tokens), np.full(n_experts, 1 / n_experts),
                           -probabilities, 0.1, stopThr=1e-9, numItermax=10_000)
        return top_k(plan)

    def imbalance(weights):
        load = np.asarray(_dense(weights).sum(axis=0)).ravel()
        return load.max() / (n_tokens / n_experts)

    def details(weights):
        weights = _dense(weights)
        affinity = np.sum(weights * probabilities) / n_tokens
        return (f"router prob. of the chosen experts {affinity:.3f}, "
                f"<= {np.max(np.count_nonzero(weights, 1))} experts per token")

    return Task(
        title=f"MoE routing: balanced expert load, at most {k} experts per token",
        data=f"{n_tokens} tokens x {n_experts} experts, logits favour the last experts",
        metric="imbalance",
        higher_is_better=False,
        score=imbalance,
        details=details,
        covers=("route_tokens",),
        implementations=[
            Implementation(f"sparseopt route_tokens k={k}", sparseopt_routing, compiles=True),
            Implementation("SciPy linear_sum_assignment (BASE)", exact_assignment,
                           role="anchor"),
            Implementation(f"POT sinkhorn then top-{k} (S-BASE)", sinkhorn_top_k,
                           role="anchor"),
            Implementation(f"softmax top-{k} (no balancing)", lambda: top_k(probabilities),
                           role="baseline"),
        ],
    )


TASKS = (entropic, quadratic, sparsity_constrained, domain_adaptation, routing)

NOT_IN_TOUR = {
    "sinkhorn2": "returns only <P, M> of the sinkhorn_log / sinkhorn_newton_sparse plans",
    "qrot2": "returns only <T, M> of the qrot plan",
}
