"""Checks of the public duality-gap functions (errors name the argument)."""

import numpy as np

from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = ["check_enet_gap_inputs", "check_logistic_gap_inputs"]


def _same_length(first, first_name, second, second_name, what):
    if first.shape[0] != second.shape[0]:
        raise ValueError(f"{second_name} has {second.shape[0]} entries but {first_name} has "
                         f"{first.shape[0]}: both hold one entry per {what}.")


def _penalties(l1, l2, n_samples):
    return (check_scalar(l1, "l1", lower=0.0), check_scalar(l2, "l2", lower=0.0),
            check_integer(n_samples, "n_samples", lower=1))


def check_enet_gap_inputs(residual_norm_sq, y_dot_residual, correlation, coef, n_samples,
                          l1, l2):
    """Validated arguments of :func:`~sparseopt.solvers.enet_dual_gap`."""
    residual_norm_sq = check_scalar(residual_norm_sq, "residual_norm_sq", lower=0.0)
    y_dot_residual = check_scalar(y_dot_residual, "y_dot_residual")
    correlation = check_array_input(correlation, "correlation", ndim=1)
    coef = check_array_input(coef, "coef", ndim=1, dtype=np.float64)
    _same_length(correlation, "correlation", coef, "coef", "feature")
    l1, l2, n_samples = _penalties(l1, l2, n_samples)
    return residual_norm_sq, y_dot_residual, correlation, coef, n_samples, l1, l2


def check_logistic_gap_inputs(target, z, correlation_vector, coef, l1, l2, n_samples):
    """Validated arguments of :func:`~sparseopt.solvers.logistic_dual_gap`."""
    target = check_array_input(target, "target", ndim=1)
    if not np.isin(target, (-1.0, 1.0)).all():
        raise ValueError("target must hold labels in {-1, 1}.")
    z = check_array_input(z, "z", ndim=1)
    _same_length(target, "target", z, "z", "sample")
    correlation_vector = check_array_input(correlation_vector, "correlation_vector", ndim=1)
    coef = check_array_input(coef, "coef", ndim=1)
    _same_length(correlation_vector, "correlation_vector", coef, "coef", "feature")
    l1, l2, n_samples = _penalties(l1, l2, n_samples)
    return target, z, correlation_vector, coef, l1, l2, n_samples
