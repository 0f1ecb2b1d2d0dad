"""Working-set solvers for penalised generalised linear models.

The fast default paths of the linear and logistic estimators of
:mod:`sparseopt.bcd`, reusable by any family that needs a lasso or an
l1-logistic step (dictionary learning, LDP regression):

- :mod:`~sparseopt.solvers.glm.elastic_net`: coordinate descent for the
  elastic net (l1/l2, optional non-negativity, sample weights, per-feature
  penalty factors) on dense or CSC designs, with working sets, Gap Safe
  screening, cached Gram blocks and Anderson extrapolation (kernels in
  ``enet_kernels``, gaps in ``enet_gap``, designs in ``designs``);
  :func:`bcd_enet`, :func:`bcd_lasso` and the duality gap :func:`enet_dual_gap`.
- :mod:`~sparseopt.solvers.glm.logistic`: working-set proximal Newton for
  the elastic-net logistic regression (kernels in ``logistic_kernels``), and
  its gap :func:`logistic_dual_gap` (``classification_gap``).
- :mod:`~sparseopt.solvers.glm.multinomial`: cyclic block proximal Newton
  for the multinomial (softmax) model.
- :mod:`~sparseopt.solvers.glm.multitask`: block coordinate descent for the
  multi-task (l2,1) Lasso / elastic net (and its duality gap, used by the
  benchmarks).
- :mod:`~sparseopt.solvers.glm.group_lasso`: block coordinate descent over
  groups for the (sparse-)group Lasso, least squares and logistic
  (kernels in ``group_kernels``; its duality gap is used by the benchmarks).
- :mod:`~sparseopt.solvers.glm.working_sets`: the working-set growth rule
  shared by all of them.
"""

from sparseopt.solvers.glm.classification_gap import logistic_dual_gap
from sparseopt.solvers.glm.elastic_net import bcd_enet, bcd_lasso
from sparseopt.solvers.glm.enet_gap import enet_dual_gap

__all__ = ["bcd_enet", "bcd_lasso", "enet_dual_gap", "logistic_dual_gap"]
