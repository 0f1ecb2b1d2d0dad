"""Dictionary learning (coming).

Will hold supervised dictionary learning with covariates (Lee, Lyu & Yao) and
online orthogonal dictionary learning (Xue & Lau).
"""

__all__ = []
