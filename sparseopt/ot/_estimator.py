"""The sparsity-constrained transport estimator and mixture-of-experts routing."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.metrics import pairwise_distances
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sparseopt.ot._smooth import sparsity_constrained_ot
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


class SparsityConstrainedOT(TransformerMixin, BaseEstimator):
    r"""Domain adaptation with a sparsity-constrained transport plan.

    In the style of POT's ``ot.da`` transport classes
    (``fit(Xs, ys, Xt, yt)``): :meth:`fit` computes a plan between source
    samples ``Xs`` and target samples ``Xt`` for the cost
    :math:`M_{ij} = \|x^s_i - x^t_j\|^2` (divided by its maximum; pairs of
    different labels, when both ``ys`` and ``yt`` are given, get a cost of
    ``label_cost`` times the maximum) with
    :func:`~sparseopt.ot.sparsity_constrained_ot`, so that every target
    sample receives mass from at most ``max_nz`` sources (``axis="columns"``)
    or every source sends to at most ``max_nz`` targets (``axis="rows"``);
    :meth:`transform` maps source samples to the barycentre of their targets,
    :math:`\hat x^s_i = \sum_j T_{ij} x^t_j / \sum_j T_{ij}`.

    Parameters
    ----------
    reg : float, default=1.0
        Quadratic regularisation :math:`\gamma > 0` (relative to the
        normalised cost).
    max_nz : int, default=2
        Maximum non-zeros per column (or row) of the plan.
    formulation : {"dual", "semi_dual"}, default="semi_dual"
        Convex relaxation solved.
    axis : {"columns", "rows"}, default="rows"
        Sparse side: ``"rows"`` limits the targets of each source sample.
    metric : str, default="sqeuclidean"
        Ground cost (any :func:`sklearn.metrics.pairwise_distances` metric).
    normalize_cost : bool, default=True
        Divide the cost by its maximum.
    repair : bool, default=True
        Restore the marginals on the recovered support.
    tol : float, default=1e-9
        Marginal-error tolerance.
    max_iter : int, default=1000
        L-BFGS iterations.
    label_cost : float, default=1e3
        Relative cost of transporting between different labels.

    Attributes
    ----------
    plan_ : scipy.sparse.csc_matrix of shape (n_source, n_target)
        The transport plan.
    alpha_, beta_ : ndarray
        Dual potentials of the source and target samples.
    n_iter_ : int
        L-BFGS iterations.
    marginal_error_ : float
        L1 violation of both marginals by ``plan_``.
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
    >>> model.transform(Xs).shape, int(np.diff(model.plan_.tocsr().indptr).max()) <= 5
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
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "label_cost": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, reg=1.0, max_nz=2, *, formulation="semi_dual", axis="rows",
                 metric="sqeuclidean", normalize_cost=True, repair=True, tol=1e-9,
                 max_iter=1000, label_cost=1e3):
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
        ys = y
        Xt = Xs if Xt is None else check_array_input(Xt, "Xt", ndim=2)
        if Xt.shape[1] != Xs.shape[1]:
            raise ValueError(f"Xt has {Xt.shape[1]} features, Xs has {Xs.shape[1]}.")
        cost = pairwise_distances(Xs, Xt, metric=self.metric)
        if self.normalize_cost and cost.max() > 0:
            cost = cost / cost.max()
        if ys is not None and yt is not None:
            ys, yt = np.asarray(ys), np.asarray(yt)
            if ys.shape != (Xs.shape[0],) or yt.shape != (Xt.shape[0],):
                raise ValueError(f"ys and yt must have one label per sample of Xs and Xt "
                                 f"({Xs.shape[0]} and {Xt.shape[0]}), got shapes {ys.shape} "
                                 f"and {yt.shape}.")
            cost = cost + self.label_cost * cost.max() * (ys[:, None] != yt[None, :])
        self.plan_, info = sparsity_constrained_ot(
            a, b, cost, self.reg, self.max_nz, formulation=self.formulation, axis=self.axis,
            tol=self.tol, max_iter=self.max_iter, repair=self.repair, log=True)
        self.alpha_, self.beta_ = info["alpha"], info["beta"]
        self.n_iter_ = info["n_iter"]
        self.marginal_error_ = info["marginal_error"]
        self.cost_ = info["cost"]
        self.source_ = Xs
        self.target_ = Xt
        return self

    def transform(self, X):
        """Barycentric mapping of source samples onto the target domain.

        Samples that were not in the training sources are moved like their
        nearest training source (same displacement).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source samples.

        Returns
        -------
        Xs_mapped : ndarray of shape (n_samples, n_features)
            Their images.
        """
        check_is_fitted(self)
        Xs = validate_data(self, X, dtype=np.float64, reset=False)
        plan = sp.csr_matrix(self.plan_)
        mass = np.asarray(plan.sum(axis=1)).ravel()
        mapped = np.asarray(plan @ self.target_) / np.where(mass > 0, mass, 1.0)[:, None]
        mapped[mass == 0] = self.source_[mass == 0]
        displacement = mapped - self.source_
        nearest = np.argmin(pairwise_distances(Xs, self.source_), axis=1)
        return Xs + displacement[nearest]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def route_tokens(logits, *, k=None, capacity=None, reg=1.0, tol=1e-9, max_iter=1000):
    r"""Sparse, balanced assignment of tokens to experts (mixture of experts).

    The routing application of sparsity-constrained OT: with the cost
    :math:`M = -\mathrm{softmax}(\text{logits})` (tokens x experts), every
    token carries mass one and every expert receives ``n_tokens / n_experts``
    (balanced load), and the plan is constrained to be sparse:

    * ``k``: each token goes to at most ``k`` experts (sparse rows);
    * ``capacity``: each expert takes at most ``capacity`` tokens (sparse
      columns).

    Solved with the semi-dual of :func:`~sparseopt.ot.sparsity_constrained_ot`
    (marginals rescaled to sum to one), with the repair step enforcing the
    balance on the chosen support.

    Parameters
    ----------
    logits : array-like of shape (n_tokens, n_experts)
        Router scores.
    k : int, optional
        Experts per token (exactly one of ``k`` and ``capacity``).
    capacity : int, optional
        Tokens per expert.
    reg : float, default=1.0
        Quadratic regularisation :math:`\gamma`.
    tol : float, default=1e-9
        Marginal-error tolerance (on the rescaled marginals).
    max_iter : int, default=1000
        L-BFGS iterations.

    Returns
    -------
    assignment : scipy.sparse.csr_matrix of shape (n_tokens, n_experts)
        Routing weights: each row sums to one (to the extent the sparsity
        allows balance), at most ``k`` non-zeros per row (or ``capacity`` per
        column).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import route_tokens
    >>> logits = np.random.default_rng(0).standard_normal((16, 4))
    >>> routes = route_tokens(logits, k=2)
    >>> int(np.diff(routes.indptr).max()) <= 2, np.allclose(routes.sum(axis=1), 1.0)
    (True, True)
    """
    logits = check_array_input(logits, "logits", ndim=2)
    if (k is None) == (capacity is None):
        raise ValueError("give exactly one of k (experts per token) and capacity "
                         "(tokens per expert).")
    reg = check_scalar(reg, "reg", lower=0.0, lower_inclusive=False)
    n_tokens, n_experts = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    a = np.full(n_tokens, 1.0 / n_tokens)
    b = np.full(n_experts, 1.0 / n_experts)
    if k is not None:
        limit, axis = check_integer(k, "k", lower=1, upper=n_experts), "rows"
    else:
        limit, axis = check_integer(capacity, "capacity", lower=1, upper=n_tokens), "columns"
    plan = sparsity_constrained_ot(a, b, -probabilities, reg / n_tokens, limit,
                                   formulation="semi_dual", axis=axis, tol=tol / n_tokens,
                                   max_iter=max_iter)
    return sp.csr_matrix(plan * n_tokens)
