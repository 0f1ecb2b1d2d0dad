"""Block coordinate descent (Nutini, Laradji & Schmidt, JMLR 2022).

Holds the coordinate / block coordinate descent estimators: for now
:class:`Lasso` with cyclic, random, Gauss-Southwell and
Gauss-Southwell-Lipschitz rules over working sets. Variable blocks, block
Newton and message-passing updates, ElasticNet, sparse logistic and
multinomial regression and graph label propagation are coming.
"""

from sparseopt.bcd._lasso import Lasso

__all__ = ["Lasso"]
