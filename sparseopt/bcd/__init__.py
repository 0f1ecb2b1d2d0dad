"""Block coordinate descent (Nutini, Laradji & Schmidt, JMLR 2022).

Estimators over one engine whose three building blocks are parameters:
``blocks`` (fixed, sorted, variable, tree), ``selection`` (cyclic, random,
Lipschitz sampling and the greedy GS, GSL, GSD, GSQ and GS-r rules) and
``update`` (gradient, Lipschitz matrix, Newton, message passing), plus an
active-set phase for l1 problems.
"""

from sparseopt.bcd._cv import ElasticNetCV, LassoCV
from sparseopt.bcd._graph import GraphLabelPropagation
from sparseopt.bcd._group import GroupLasso, GroupLogisticRegression, SparseGroupLasso
from sparseopt.bcd._group_cv import GroupLassoCV
from sparseopt.bcd._linear import ElasticNet, Lasso, LeastSquaresBCD
from sparseopt.bcd._logistic import MultinomialLogisticRegression, SparseLogisticRegression
from sparseopt.bcd._logistic_cv import SparseLogisticRegressionCV
from sparseopt.bcd._multitask import MultiTaskElasticNet, MultiTaskLasso
from sparseopt.bcd._path import enet_path, lasso_path

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "GraphLabelPropagation",
    "GroupLasso",
    "GroupLassoCV",
    "GroupLogisticRegression",
    "Lasso",
    "LassoCV",
    "LeastSquaresBCD",
    "MultiTaskElasticNet",
    "MultiTaskLasso",
    "MultinomialLogisticRegression",
    "SparseGroupLasso",
    "SparseLogisticRegression",
    "SparseLogisticRegressionCV",
    "enet_path",
    "lasso_path",
]
