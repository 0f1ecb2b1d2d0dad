"""
Reproducing "Let's make block coordinate descent converge faster"
=================================================================

Nutini, Laradji & Schmidt (JMLR 2022) make three choices of block
coordinate descent parameters: how blocks are **partitioned** (fixed, sorted,
variable, forests of a graph), how a block is **selected** (random, cyclic,
greedy Gauss-Southwell rules that weigh the gradient by curvature), and how a
block is **updated** (gradient step, matrix upper bound, Newton, message
passing). This example re-runs their five experiments on problems generated
with the paper's recipes (:func:`sparseopt.datasets.make_bcd_problem`,
:func:`sparseopt.datasets.make_lattice_label_propagation`) and plots the
suboptimality against iterations, as in their figures:

- least squares (dataset A): greedy rules with Lipschitz information
  (GSL / GSD) beat plain Gauss-Southwell by orders of magnitude, and
  variable blocks beat the best fixed partition;
- with matrix updates, GSQ (iterative hard thresholding) is best;
- logistic regression (dataset B) and softmax regression (dataset C) show
  the same ordering;
- on a lattice, tree-shaped blocks solved by message passing beat red-black
  (Gauss-Seidel) blocks;
- non-negative least squares with an l1 term: proximal Newton updates with
  blocks at least as large as the support terminate, while proximal gradient
  converges linearly.

The problems are smaller than the paper's (2000 instead of 10000 features)
so that the example runs in seconds.
"""

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse.linalg as spla

from sparseopt.datasets import make_bcd_problem, make_lattice_label_propagation
from sparseopt.solvers import lattice_comb_blocks, lattice_red_black_blocks
from sparseopt.solvers.bcd import ElasticNetPenalty, GLMDatafit, QuadraticDatafit, bcd_minimize

ITERATIONS = 500
BLOCK = 5


def trace(datafit, penalty, optimum, scale=1.0, **options):
    """Suboptimality (divided by ``scale``) at every iteration, floored at 1e-16."""
    _, info = bcd_minimize(datafit, penalty, check_every=ITERATIONS, record_every=1,
                           random_state=0, **options)
    history = info["history"]
    return history.iterations, np.maximum((history.objectives - optimum) / scale, 1e-16)


fig, axes = plt.subplots(2, 3, figsize=(14, 8))

# %%
# Least squares (dataset A): rules and partitions, gradient updates
X, y, _ = make_bcd_problem("least_squares", 1000, 2000, random_state=0)
least_squares = GLMDatafit(X, y, "least_squares", 1.0)
smooth = ElasticNetPenalty(0.0, 0.0, np.ones(X.shape[1]))
ax = axes[0, 0]
for blocks, selection in [("variable", "random"), ("variable", "cyclic"),
                          ("variable", "lipschitz"), ("sorted", "gs"), ("sorted", "gsl"),
                          ("variable", "gs"), ("variable", "gsl")]:
    it, gap = trace(least_squares, smooth, 0.0, blocks=blocks, block_size=BLOCK,
                    selection=selection, update="gradient", max_iter=ITERATIONS)
    ax.semilogy(it, gap, label=f"{selection} ({blocks})")
ax.set(title="A: least squares, gradient updates", xlabel="iteration", ylabel="f - f*")
ax.legend(fontsize=7)

# %%
# Least squares with matrix updates: GS, GSL and GSQ (IHT)
ax = axes[0, 1]
for selection in ("gs", "gsl", "gsq"):
    it, gap = trace(least_squares, smooth, 0.0, blocks="variable", block_size=BLOCK,
                    selection=selection, update="lipschitz_matrix", max_iter=ITERATIONS)
    ax.semilogy(it, gap, label=selection)
ax.set(title="A: least squares, matrix updates", xlabel="iteration")
ax.legend(fontsize=7)

# %%
# Logistic regression (dataset B)
X, y, _ = make_bcd_problem("logistic", 1000, 2000, random_state=0)
logistic = GLMDatafit(X, y, "logistic", 1.0)
ax = axes[0, 2]
for selection in ("random", "cyclic", "gs", "gsl"):
    it, gap = trace(logistic, smooth, 0.0, blocks="variable", block_size=BLOCK,
                    selection=selection, update="gradient", max_iter=ITERATIONS)
    ax.semilogy(it, gap, label=selection)
ax.set(title="B: logistic (f* = 0: separable)", xlabel="iteration")
ax.legend(fontsize=7)

# %%
# Softmax regression (dataset C): blocks of 5 (feature, class) coordinates
X, y, _ = make_bcd_problem("multinomial", 300, 300, n_classes=10, random_state=0)
softmax = GLMDatafit(X, y, "multinomial", 1.0, n_outputs=10)
smooth_softmax = ElasticNetPenalty(0.0, 0.0, np.ones(softmax.n_coords))
ax = axes[1, 0]
for selection in ("random", "cyclic", "gs", "gsl"):
    it, gap = trace(softmax, smooth_softmax, 0.0, blocks="variable", block_size=BLOCK,
                    selection=selection, update="gradient", max_iter=ITERATIONS)
    ax.semilogy(it, gap, label=selection)
ax.set(title="C: softmax (f* = 0: separable)", xlabel="iteration", ylabel="f - f*")
ax.legend(fontsize=7)

# %%
# Label propagation on the 50 x 50 lattice (dataset D): message passing
problem = make_lattice_label_propagation(random_state=1)
solution = spla.spsolve(problem.A.tocsc(), problem.b)
optimum = 0.5 * solution @ (problem.A @ solution) - problem.b @ solution
quadratic = QuadraticDatafit(problem.A, problem.b)
smooth_lattice = ElasticNetPenalty(0.0, 0.0, np.ones(problem.A.shape[0]))
ax = axes[1, 1]
for name, partition in [("red-black", lattice_red_black_blocks(50, 50, problem.labelled)),
                        ("tree combs", lattice_comb_blocks(50, 50, problem.labelled))]:
    it, gap = trace(quadratic, smooth_lattice, optimum, scale=-optimum, blocks=partition,
                    update="message_passing", max_iter=60)
    ax.semilogy(it, gap, label=name)
ax.set(title="D: lattice label propagation", xlabel="iteration",
       ylabel="(f - f*) / (f(0) - f*)")
ax.legend(fontsize=7)

# %%
# Non-negative least squares + l1 (dataset A): finite termination of
# proximal Newton once the block covers the support
X, y, _ = make_bcd_problem("least_squares", 1000, 2000, random_state=0)
least_squares = GLMDatafit(X, y, "least_squares", 1.0)
nonnegative = ElasticNetPenalty(1e4, 0.0, np.ones(X.shape[1]), positive=True)
coef, info = bcd_minimize(least_squares, nonnegative, blocks="variable", block_size=100,
                          selection="gsl", update="newton", max_iter=200, tol=1e-9)
optimum = info["objective"]
print(f"non-negative l1 problem: {np.count_nonzero(coef)} non-zeros at the optimum")
ax = axes[1, 2]
for update in ("gradient", "lipschitz_matrix", "newton"):
    it, gap = trace(least_squares, nonnegative, optimum,
                    scale=info["history"].objectives[0] - optimum, blocks="variable",
                    block_size=100, selection="gsl", update=update, max_iter=50)
    ax.semilogy(it, gap, label=update)
ax.set(title="A + l1, x >= 0: block size 100", xlabel="iteration",
       ylabel="relative suboptimality")
ax.legend(fontsize=7)
fig.tight_layout()
plt.show()
