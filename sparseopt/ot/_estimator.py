"""The sparsity-constrained transport estimator and mixture-of-experts routing."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.metrics import pairwise_distances
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sparseopt.ot._smooth import solve_sparsity_constrained, sparsity_constrained_ot
from sparseopt.utils.validation import (
    check_array_input,
    check_integer,
    check_scalar,
    validate_data,
)

__all__ = ["SparsityConstrainedOT", "route_tokens"]


def _one_of(value, alias, name, alias_name):
    """The argument given under ``name`` or its POT alias ``alias_name``."""
    if alias is None:
        return value
    if value is not None:
        raise ValueError(f"give {name} or {alias_name}, not both.")
    return alias


class SparsityConstrainedOT(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    r"""Domain adaptation with a sparsity-constrained transport plan.

    In the style of POT's ``ot.da`` transport classes (``fit(Xs, ys, Xt,
    yt)``, ``coupling_``, ``transform(Xs=...)``, ``inverse_transform(Xt=...)``):
    :meth:`fit` computes a plan between source samples ``Xs`` and target
    samples ``Xt`` for the cost :math:`M_{ij} = \|x^s_i - x^t_j\|^2`
    (divided by its maximum) with :func:`~sparseopt.ot.sparsity_constrained_ot`,
    so that every target sample receives mass from at most ``max_nz`` sources
    (``axis="columns"``) or every source sends to at most ``max_nz`` targets
    (``axis="rows"``). With labels on both sides, pairs of different labels
    cost ``label_cost`` more: mass stays within classes as far as the class
    proportions allow, and crosses between classes only where they differ
    (imbalanced labels keep the problem feasible; all the mass is
    transported). :meth:`transform` maps source samples to the barycentre of
    their targets, :math:`\hat x^s_i = \sum_j T_{ij} x^t_j / \sum_j T_{ij}`,
    and :meth:`inverse_transform` targets to the barycentre of their sources.

    Parameters
    ----------
    reg : float, default=1.0
        Quadratic regularisation :math:`\gamma > 0` (relative to the
        normalised cost).
    max_nz : int, default=2
        Maximum non-zeros per column (or row) of the plan.
    formulation : {"dual", "semi_dual"}, default="semi_dual"
        Convex relaxation reported (see
        :func:`~sparseopt.ot.sparsity_constrained_ot`).
    axis : {"columns", "rows"}, default="rows"
        Sparse side: ``"rows"`` limits the targets of each source sample.
    metric : str, default="sqeuclidean"
        Ground cost (any :func:`sklearn.metrics.pairwise_distances` metric).
    normalize_cost : bool, default=True
        Divide the cost by its maximum.
    repair : bool, default=True
        Restore the marginals on the recovered support.
    tol : float, default=1e-9
        Marginal-error tolerance of the plan.
    max_iter : int, default=1000
        L-BFGS iterations.
    label_cost : float, default=1.0
        Added cost of transporting between different labels, in units of
        the largest (normalised) cost: 1 makes any cross-label pair dearer
        than any same-label pair.
    verbose : int, default=0
        Print the solver's progress.

    Attributes
    ----------
    coupling_ : scipy.sparse.csc_matrix of shape (n_source, n_target)
        The transport plan (POT's name; ``plan_`` is the same matrix).
    plan_ : scipy.sparse.csc_matrix of shape (n_source, n_target)
        Alias of ``coupling_``.
    alpha_, beta_ : ndarray
        Dual potentials of the source and target samples.
    value_ : float
        Optimal value of the relaxation.
    n_iter_ : int
        L-BFGS iterations (0 when the relaxation was solved exactly).
    history_ : ConvergenceHistory
        The solver's progress.
    marginal_error_ : float
        L1 violation of both marginals by ``coupling_``.
    cost_ : float
        :math:`\langle T, M \rangle` (normalised cost).
    n_features_in_ : int
        Dimension of the samples.

    References
    ----------
    .. [1] T. Liu, J. Puigcerver, M. Blondel. "Sparsity-constrained optimal
       transport", ICLR 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import SparsityConstrainedOT
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.standard_normal((20, 2)), rng.standard_normal((25, 2)) + 3
    >>> model = SparsityConstrainedOT(reg=0.01, max_nz=5).fit(Xs, Xt=Xt)
    >>> model.transform(Xs=Xs).shape, int(np.diff(model.coupling_.tocsr().indptr).max()) <= 5
    ((20, 2), True)
    """

    _parameter_constraints: dict = {
        "reg": [Interval(Real, 0, None, closed="neither")],
        "max_nz": [Interval(Integral, 1, None, closed="left")],
        "formulation": [StrOptions({"dual", "semi_dual"})],
        "axis": [StrOptions({"columns", "rows"})],
        "metric": [str],
        "normalize_cost": ["boolean"],
        "repair": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "label_cost": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(self, reg=1.0, max_nz=2, *, formulation="semi_dual", axis="rows",
                 metric="sqeuclidean", normalize_cost=True, repair=True, tol=1e-9,
                 max_iter=1000, label_cost=1.0, verbose=0):
        self.reg = reg
        self.max_nz = max_nz
        self.formulation = formulation
        self.axis = axis
        self.metric = metric
        self.normalize_cost = normalize_cost
        self.repair = repair
        self.tol = tol
        self.max_iter = max_iter
        self.label_cost = label_cost
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None, Xt=None, yt=None, a=None, b=None, *, Xs=None, ys=None):
        """Compute the plan between source and target samples.

        Call it as ``fit(Xs, Xt)``, ``fit(Xs, ys, Xt, yt)`` or with POT's
        keywords ``fit(Xs=..., ys=..., Xt=..., yt=...)``.

        Parameters
        ----------
        X : array-like of shape (n_source, n_features)
            Source samples (alias ``Xs``, POT's name).
        y : array-like of shape (n_source,) or (n_target, n_features), optional
            Source labels (alias ``ys``; used with ``yt`` to discourage
            cross-label mass, ignored without it). A 2-D array with the
            features of ``X`` (more than one) is read as the target samples,
            as in ``fit(Xs, Xt)``.
        Xt : array-like of shape (n_target, n_features), optional
            Target samples; without them the sources are transported onto
            themselves (for API checks).
        yt : array-like of shape (n_target,), optional
            Target labels.
        a : array-like of shape (n_source,), optional
            Source weights (uniform by default).
        b : array-like of shape (n_target,), optional
            Target weights (uniform by default).
        Xs, ys : array-like, optional
            POT's names of ``X`` and ``y`` (keyword only; give one name of each).

        Returns
        -------
        self : SparsityConstrainedOT
            The fitted estimator.
        """
        X = _one_of(X, Xs, "X", "Xs")
        y = _one_of(y, ys, "y", "ys")
        if X is None:
            raise ValueError("fit needs the source samples X (or Xs=).")
        if y is not None and np.asarray(y).ndim == 2:  # fit(Xs, Xt)
            shape, n_features = np.asarray(y).shape, np.asarray(X).shape[-1]
            if Xt is not None or shape[1] != n_features or n_features == 1:
                raise ValueError(
                    f"y has shape {shape}: pass labels as a 1-D y, and target samples as Xt= "
                    f"or as a 2-D second argument with the {n_features} features of X (with "
                    "one feature, only as Xt=).")
            Xt, y = y, None
        Xs = validate_data(self, X, dtype=np.float64)
        Xt = Xs if Xt is None else check_array_input(Xt, "Xt", ndim=2, dtype=np.float64)
        if Xt.shape[1] != Xs.shape[1]:
            raise ValueError(f"Xt has {Xt.shape[1]} features, Xs has {Xs.shape[1]}.")
        cost = self._cost(Xs, Xt, y, yt)
        self.coupling_, info = sparsity_constrained_ot(
            a, b, cost, self.reg, self.max_nz, formulation=self.formulation, axis=self.axis,
            tol=self.tol, max_iter=self.max_iter, repair=self.repair, verbose=self.verbose,
            log=True)
        self.plan_ = self.coupling_
        self.alpha_, self.beta_ = info["alpha"], info["beta"]
        self.value_ = info["value"]
        self.n_iter_ = info["n_iter"]
        self.history_ = info["history"]
        self.marginal_error_ = info["marginal_error"]
        self.cost_ = info["cost"]
        self.source_ = Xs.copy()
        self.target_ = Xt.copy()
        return self

    def _cost(self, Xs, Xt, ys, yt):
        cost = pairwise_distances(Xs, Xt, metric=self.metric)
        if self.normalize_cost and cost.max() > 0:
            cost = cost / cost.max()
        if ys is not None and yt is not None:
            ys, yt = np.asarray(ys), np.asarray(yt)
            if ys.shape != (Xs.shape[0],) or yt.shape != (Xt.shape[0],):
                raise ValueError(f"ys and yt must have one label per sample of Xs and Xt "
                                 f"({Xs.shape[0]} and {Xt.shape[0]}), got shapes {ys.shape} "
                                 f"and {yt.shape}.")
            unit = cost.max() if cost.max() > 0 else 1.0
            cost = cost + self.label_cost * unit * (ys[:, None] != yt[None, :])
        return cost

    @staticmethod
    def _barycentres(plan, destinations, origins):
        """Rows of ``plan`` (CSR) as weights over ``destinations``; rows
        without mass stay at their ``origins``."""
        mass = np.asarray(plan.sum(axis=1)).ravel()
        mapped = np.asarray(plan @ destinations) / np.where(mass > 0, mass, 1.0)[:, None]
        mapped[mass == 0] = origins[mass == 0]
        return mapped

    def _map(self, X, plan, origins, destinations):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        displacement = self._barycentres(plan, destinations, origins) - origins
        nearest = np.argmin(pairwise_distances(X, origins), axis=1)
        return X + displacement[nearest]

    def transform(self, X=None, *, Xs=None):
        """Barycentric mapping of source samples onto the target domain.

        Samples that were not in the training sources are moved like their
        nearest training source (same displacement).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source samples (alias ``Xs``, POT's name).
        Xs : array-like, optional
            POT's name of ``X`` (keyword only).

        Returns
        -------
        Xs_mapped : ndarray of shape (n_samples, n_features)
            Their images.
        """
        X = _one_of(X, Xs, "X", "Xs")
        check_is_fitted(self)
        return self._map(X, sp.csr_matrix(self.coupling_), self.source_, self.target_)

    def inverse_transform(self, X=None, *, Xt=None):
        """Barycentric mapping of target samples onto the source domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target samples (alias ``Xt``, POT's name).
        Xt : array-like, optional
            POT's name of ``X`` (keyword only).

        Returns
        -------
        Xt_mapped : ndarray of shape (n_samples, n_features)
            Their images in the source domain.
        """
        X = _one_of(X, Xt, "X", "Xt")
        check_is_fitted(self)
        return self._map(X, sp.csr_matrix(self.coupling_.T), self.target_, self.source_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def _softmax_cost(logits):
    """``-softmax(logits)`` per token over the allowed experts (``-inf``
    logits are masked experts: cost ``+inf``, a forbidden pair)."""
    array = np.asarray(logits)
    if sp.issparse(logits) or array.dtype.kind not in "biuf":
        raise TypeError(f"logits must be a dense numeric array, got {type(logits).__name__} "
                        f"of dtype {array.dtype}.")
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"logits must be a non-empty 2-D array (tokens x experts), got shape "
                         f"{array.shape}.")
    array = array.astype(np.float64)
    if np.isnan(array).any() or np.isposinf(array).any():
        raise ValueError("logits must not contain NaN or +inf (-inf marks a masked expert).")
    masked = np.isneginf(array)
    no_expert = np.flatnonzero(masked.all(axis=1))
    if no_expert.size:
        raise ValueError(f"tokens {no_expert[:10].tolist()} have every expert masked (-inf "
                         "logits): each token needs at least one expert.")
    shifted = np.where(masked, -np.inf, array - np.where(masked, -np.inf, array).max(
        axis=1, keepdims=True))
    probabilities = np.exp(shifted)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return np.asfortranarray(np.where(masked, np.inf, -probabilities)), masked


def route_tokens(logits, *, k=None, capacity=None, reg=1.0, tol=1e-9, max_iter=1000, verbose=0,
                 log=False):
    r"""Sparse, balanced assignment of tokens to experts (mixture of experts).

    The routing application of sparsity-constrained OT (Liu, Puigcerver &
    Blondel, 2023, section 5): the plan :math:`P` (tokens x experts) gives
    every token a mass of one, spread over at most ``k`` experts, and every
    expert the same load ``n_tokens / n_experts``,

    .. math:: \min_{P \ge 0,\ P1 = 1,\ P^\top 1 = \frac{n_t}{n_e} 1}
              \langle P, C\rangle + \frac{\gamma}{2}\|P\|^2,
              \quad \|P_{t, :}\|_0 \le k,
              \qquad C = -\mathrm{softmax}(\text{logits}),

    solved with the semi-dual of :func:`~sparseopt.ot.sparsity_constrained_ot`
    on the normalised problem (marginals :math:`1/n_t` and :math:`1/n_e`,
    plan :math:`P / n_t`, regularisation :math:`\gamma\, n_t`), with the
    repair step enforcing the balance on the chosen support. ``reg`` is
    :math:`\gamma` in the plan's own units (token mass one), as in the
    authors' V-MoE router, which uses :math:`\gamma = 1` with these marginals
    and this cost: with :math:`\gamma` at least the gap between a token's
    best and k-th best (probability plus expert potential), the token's
    k-sparse projection keeps all k experts, so at the default ``reg=1``
    (softmax probabilities lie in [0, 1]) tokens use k experts (measured:
    mean exactly k for 64 to 4096 tokens, 8 experts, k = 2, with and without
    popular experts). Smaller ``reg`` lets confident tokens keep fewer
    experts. ``k = 1`` is solved exactly (network simplex): with tied
    logits the loads are still balanced.

    Parameters
    ----------
    logits : array-like of shape (n_tokens, n_experts)
        Router scores; ``-inf`` masks an expert for a token (never used).
    k : int, optional
        Experts per token (exactly one of ``k`` and ``capacity``).
    capacity : int, optional
        Tokens per expert (sparse columns; ``capacity * n_experts >= n_tokens``).
    reg : float, default=1.0
        Quadratic regularisation :math:`\gamma` in the plan's units.
    tol : float, default=1e-9
        Marginal-error tolerance in the plan's units (token mass one).
    max_iter : int, default=1000
        L-BFGS iterations.
    verbose : int, default=0
        Print the solver's progress.
    log : bool, default=False
        Also return the log of :func:`~sparseopt.ot.sparsity_constrained_ot`
        (its ``marginal_error`` in the plan's units).

    Returns
    -------
    assignment : scipy.sparse.csr_matrix of shape (n_tokens, n_experts)
        Routing weights: each row sums to one and each column to
        ``n_tokens / n_experts`` (up to the reported marginal error), at most
        ``k`` non-zeros per row (or ``capacity`` per column), none at masked
        experts.
    log : dict
        If ``log``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import route_tokens
    >>> logits = np.random.default_rng(0).standard_normal((16, 4))
    >>> routes = route_tokens(logits, k=2)
    >>> np.diff(routes.indptr).tolist() == [2] * 16, np.allclose(routes.sum(axis=0), 4.0)
    (True, True)
    """
    cost, masked = _softmax_cost(logits)
    if (k is None) == (capacity is None):
        raise ValueError("give exactly one of k (experts per token) and capacity "
                         "(tokens per expert).")
    reg = check_scalar(reg, "reg", lower=0.0, lower_inclusive=False)
    tol = check_scalar(tol, "tol", lower=0.0)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    n_tokens, n_experts = cost.shape
    if k is not None:
        limit, axis = check_integer(k, "k", lower=1, upper=n_experts), "rows"
    else:
        limit, axis = check_integer(capacity, "capacity", lower=1, upper=n_tokens), "columns"
        if limit * n_experts < n_tokens:
            raise ValueError(f"capacity * n_experts = {limit * n_experts} < n_tokens = "
                             f"{n_tokens}: some tokens could not be routed.")
    unusable = np.flatnonzero(masked.all(axis=0))
    if unusable.size:
        raise ValueError(f"experts {unusable[:10].tolist()} are masked for every token: they "
                         "cannot take their share of the load; drop them.")
    a = np.full(n_tokens, 1.0 / n_tokens)
    b = np.full(n_experts, 1.0 / n_experts)
    plan, info = solve_sparsity_constrained(
        a, b, cost, reg * n_tokens, limit, formulation="semi_dual", axis=axis,
        tol=tol / n_tokens, dual_tol=1e-8, max_iter=max_iter, repair=True, verbose=verbose,
        name="route_tokens")
    assignment = sp.csr_matrix(plan * n_tokens)
    if not log:
        return assignment
    info["marginal_error"] *= n_tokens
    return assignment, info
