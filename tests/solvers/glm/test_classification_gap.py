"""The binary logistic dual point with an intercept (balanced over the classes)."""

import numpy as np
import scipy.sparse as sp

from sparseopt.solvers.glm.classification_gap import (
    balanced_correlation_bound,
    balanced_deriv,
    intercept_class_factors,
)
from sparseopt.solvers.glm.designs import column_norms


def test_balanced_correlation_bound_dominates_the_exact_product():
    # The intercept's certificate bounds |x_j^T u'| for the class-balanced dual
    # point without a product with X; a bound below it would make the scaled
    # dual point infeasible (and the gap no certificate).
    rng = np.random.default_rng(0)
    for trial in range(20):
        X = rng.standard_normal((50, 8)) * (rng.random((50, 8)) < 0.5)
        X = sp.csc_matrix(X) if trial % 2 else X
        target = np.where(rng.random(50) < 0.8, 1.0, -1.0)
        deriv = -target * rng.random(50) / 50
        factors = intercept_class_factors(deriv, target)
        balanced = balanced_deriv(deriv, target, factors)
        assert abs(balanced.sum()) < 1e-15
        exact = np.abs(np.asarray(X.T @ balanced).ravel())
        bound = balanced_correlation_bound(np.asarray(X.T @ deriv).ravel(), deriv, target,
                                           factors, column_norms(X))
        assert np.all(bound >= exact - 1e-15)
