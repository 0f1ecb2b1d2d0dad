"""
Reproducing "Let's make block coordinate descent converge faster"
=================================================================

Nutini, Laradji & Schmidt (JMLR 2022) make three choices of block
coordinate descent parameters: how blocks are **partitioned** (fixed, sorted,
variable, forests of a graph), how a block is **selected** (random, cyclic,
greedy Gauss-Southwell rules that weigh the gradient by curvature), and how a
block is **updated** (gradient step with a fixed or adaptive Lipschitz
constant, matrix upper bound, Newton, two-metric projection, message
passing). This example re-runs their experiments on problems generated with
the paper's recipes (:func:`sparseopt.datasets.make_bcd_problem`,
:func:`sparseopt.datasets.make_lattice_label_propagation`) and plots the
suboptimality :math:`f - f^*` against iterations, as in their figures. Every
:math:`f^*` comes from a solver independent of the curves: zero for the
under-determined least squares, scikit-learn for the regularised logistic,
softmax and non-negative l1 problems, a sparse direct solve for the lattice.

The problems are smaller than the paper's (2000 instead of 10000 features
for dataset A) so that the example runs in seconds; the test suite checks
the paper-size orderings (``tests/solvers/bcd/test_engine.py``, marked slow).
"""

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse.linalg as spla
from sklearn.linear_model import Lasso, LogisticRegression

from sparseopt.datasets import make_bcd_problem, make_lattice_label_propagation
from sparseopt.solvers import lattice_comb_blocks, lattice_red_black_blocks
from sparseopt.solvers.bcd import ElasticNetPenalty, GLMDatafit, QuadraticDatafit, bcd_minimize

ITERATIONS = 500
BLOCK = 5


def trace(datafit, penalty, optimum, iterations=ITERATIONS, **options):
    """Iterations and relative suboptimality (f - f*) / (f(0) - f*), floored at
    1e-14 (about the precision of the reference optima)."""
    _, info = bcd_minimize(datafit, penalty, max_iter=iterations, check_every=iterations,
                           record_every=1, random_state=0, **options)
    objectives = info["history"].objectives
    gap = (objectives - optimum) / (objectives[0] - optimum)
    return info["history"].iterations, np.maximum(gap, 1e-14)


panels = {}

# %%
# Least squares (dataset A), gradient updates
# -------------------------------------------
# :math:`\frac12\|Ax - b\|^2` with 1000 rows and 2000 columns whose scales
# differ by orders of magnitude (so :math:`f^* = 0`). Variable blocks of 5
# chosen by the greedy rules that account for the coordinate Lipschitz
# constants (GSL: :math:`g_i^2 / L_i`; GSD: :math:`g_i^2 / d_i` with the
# Gershgorin row sums :math:`d_i`, the paper's variable-block "GSL" curve)
# beat plain Gauss-Southwell, which beats random and cyclic choices; the
# best fixed partition ("sorted": blocks of similar :math:`L_i`) is next.
X, y, _ = make_bcd_problem("least_squares", 1000, 2000, random_state=0)
least_squares = GLMDatafit(X, y, "least_squares", 1.0)
smooth = ElasticNetPenalty(0.0, 0.0, np.ones(X.shape[1]))
panels["A: least squares, gradient updates"] = {
    f"{selection} ({blocks})": trace(least_squares, smooth, 0.0, blocks=blocks,
                                     block_size=BLOCK, selection=selection, update="gradient")
    for blocks, selection in [("variable", "random"), ("variable", "cyclic"),
                              ("variable", "gs"), ("sorted", "gsl"), ("variable", "gsd"),
                              ("variable", "gsl")]}

# %%
# Least squares with matrix updates: GSQ by iterative hard thresholding
# ---------------------------------------------------------------------
# With the exact block minimisation ("lipschitz_matrix"), the GSQ rule picks
# the block with the largest decrease of the quadratic model, approximated
# for variable blocks by 10 steps of iterative hard thresholding with step
# :math:`1/\lambda_{max}` (as in the paper): it chooses other blocks than GSL
# and ends lower.
panels["A: least squares, matrix updates"] = {
    selection: trace(least_squares, smooth, 0.0, blocks="variable", block_size=BLOCK,
                     selection=selection, update="lipschitz_matrix")
    for selection in ("gs", "gsl", "gsq")}

# %%
# Regularised logistic regression (dataset B)
# -------------------------------------------
# The paper's logistic data are separable, so without a penalty the infimum
# is not attained; with :math:`\frac12\|x\|^2` added it is, and scikit-learn
# computes :math:`f^*`. Gradient steps with the bound :math:`L_b` ("Lb") or
# with an estimate doubled until it gives sufficient decrease ("LA", the
# paper's adaptive rule).
X, y, _ = make_bcd_problem("logistic", 500, 1000, random_state=0)
reference = LogisticRegression(C=1.0, fit_intercept=False, tol=1e-12, max_iter=10_000)
reference.fit(X, y)
logistic = GLMDatafit(X, y, "logistic", 1.0)
ridge = ElasticNetPenalty(0.0, 1.0, np.ones(X.shape[1]))
optimum = logistic.value(logistic.start(reference.coef_.ravel(), False)) + ridge.value(
    reference.coef_.ravel())
panels["B: logistic + ridge"] = {
    f"{selection}, {label}": trace(logistic, ridge, optimum, blocks="variable",
                                   block_size=BLOCK, selection=selection, update=update)
    for selection in ("random", "gs", "gsl")
    for label, update in (("Lb", "gradient"), ("LA", "adaptive_gradient"))}

# %%
# Regularised softmax regression (dataset C)
# ------------------------------------------
# Blocks of 5 (feature, class) coefficients of a 10-class problem, with the
# same ridge term.
X, y, _ = make_bcd_problem("multinomial", 300, 300, n_classes=10, random_state=0)
reference = LogisticRegression(C=1.0, fit_intercept=False, tol=1e-12, max_iter=10_000)
reference.fit(X, y)
softmax = GLMDatafit(X, y, "multinomial", 1.0, n_outputs=10)
ridge_softmax = ElasticNetPenalty(0.0, 1.0, np.ones(softmax.n_coords))
solution = reference.coef_.T.ravel()
optimum = softmax.value(softmax.start(solution, False)) + ridge_softmax.value(solution)
panels["C: softmax + ridge"] = {
    f"{selection}, {label}": trace(softmax, ridge_softmax, optimum, blocks="variable",
                                   block_size=BLOCK, selection=selection, update=update)
    for selection in ("random", "gs", "gsl")
    for label, update in (("Lb", "gradient"), ("LA", "adaptive_gradient"))}

# %%
# Label propagation on the 50 x 50 lattice (dataset D): message passing
# ---------------------------------------------------------------------
# Exact updates of forest-shaped blocks by message passing: the two combs of
# the lattice ("tree partitions") and a forest grown greedily by gradient
# ("greedy tree") move far more than a forest grown in random order ("random
# tree") or the red-black colouring; the dense exact update of the
# :math:`n^{1/3}` coordinates with the largest gradient ("general") is far
# behind.
problem = make_lattice_label_propagation(random_state=1)
solution = spla.spsolve(problem.A.tocsc(), problem.b)
optimum = 0.5 * solution @ (problem.A @ solution) - problem.b @ solution
quadratic = QuadraticDatafit(problem.A, problem.b)
smooth_lattice = ElasticNetPenalty(0.0, 0.0, np.ones(problem.A.shape[0]))
lattice_options = {
    "general": dict(blocks="general", block_size=None, selection="gs",
                    update="lipschitz_matrix"),
    "red-black": dict(blocks=lattice_red_black_blocks(50, 50, problem.labelled),
                      update="message_passing"),
    "random tree": dict(blocks="tree", block_size=None, selection="random",
                        update="message_passing"),
    "greedy tree": dict(blocks="tree", block_size=None, selection="gs",
                        update="message_passing"),
    "tree partitions": dict(blocks=lattice_comb_blocks(50, 50, problem.labelled),
                            update="message_passing"),
}
panels["D: lattice label propagation"] = {
    name: trace(quadratic, smooth_lattice, optimum, **options)
    for name, options in lattice_options.items()}

# %%
# Non-negative least squares + l1 (dataset A): PG, PN and TMP
# -----------------------------------------------------------
# :math:`\frac12\|Ax - b\|^2 + \lambda \sum_i x_i` with :math:`x \ge 0`, the
# optimum from scikit-learn's positive Lasso (:math:`\alpha = \lambda / n`).
# Variable blocks of 100 coordinates (more than the 82 non-zeros of the
# solution) chosen by the proximal GS-q rule: the exact block QP ("PN",
# ``lipschitz_matrix``) and the two-metric projection ("TMP") terminate
# within a handful of iterations, while projected gradient ("PG") converges
# linearly.
X, y, _ = make_bcd_problem("least_squares", 1000, 2000, random_state=0)
least_squares = GLMDatafit(X, y, "least_squares", 1.0)
penalty_weight = 1e4
reference = Lasso(alpha=penalty_weight / X.shape[0], positive=True, fit_intercept=False,
                  tol=1e-14, max_iter=1_000_000).fit(X, y)
nonnegative = ElasticNetPenalty(penalty_weight, 0.0, np.ones(X.shape[1]), positive=True)
optimum = 0.5 * np.sum((X @ reference.coef_ - y) ** 2) + penalty_weight * reference.coef_.sum()
print(f"non-negative l1 problem: {np.count_nonzero(reference.coef_)} non-zeros at the optimum")
panels["A + l1, x >= 0: blocks of 100"] = {
    label: trace(least_squares, nonnegative, optimum, iterations=300, blocks="variable",
                 block_size=100, selection="gsl", update=update)
    for label, update in (("PG", "gradient"), ("PN", "lipschitz_matrix"),
                          ("TMP", "two_metric"))}

# %%
# The figure
# ----------
fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
for ax, (title, curves) in zip(axes.ravel(), panels.items(), strict=True):
    for label, (iterations, gap) in curves.items():
        ax.semilogy(iterations, gap, label=label)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("iteration")
    ax.legend(fontsize=7)
for ax in axes[:, 0]:
    ax.set_ylabel("(f - f*) / (f(0) - f*)")
fig.tight_layout()
plt.show()
