"""Locally differentially private sparse regression (coming).

Will hold the non-interactive and interactive LDP sparse linear regression
estimators of Zhu et al., with Dask aggregation over many users.
"""

__all__ = []
