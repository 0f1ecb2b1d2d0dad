"""Continuous DAG learning with the log-det acyclicity function.

:mod:`~sparseopt.solvers.dag.central_path` runs DAGMA's central path (one
fused numba loop per stage) for the least-squares, logistic and CoLiDE
(equal and non-equal variance) scores; the estimators of :mod:`sparseopt.dag`
call :func:`~sparseopt.solvers.dag.central_path.central_path_fit`.
"""
