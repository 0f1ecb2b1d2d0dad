"""The generic block coordinate descent engine.

Minimises ``F(w) = f(w) + g(w)`` with ``f`` a smooth data fit
(:mod:`~sparseopt.solvers.bcd.datafits`) and ``g`` a separable penalty
(:mod:`~sparseopt.solvers.bcd.penalties`). Each iteration picks a block
(:mod:`~sparseopt.solvers.bcd.selection`) and updates it with one of four
rules:

``"gradient"``
    proximal gradient step with the block Lipschitz constant ``L_b``;
``"lipschitz_matrix"``
    minimise the model ``g_b^T d + 1/2 d^T H~_b d + g(w_b + d)`` with the
    constant matrix upper bound ``H~_b`` of the block Hessian (exact block
    minimisation for least squares);
``"newton"``
    the same model with the exact Hessian ``H_b`` at the current point
    (proximal Newton), followed by a backtracking (Armijo) line search;
``"message_passing"``
    for a quadratic on a graph with forest-structured blocks: the exact block
    minimiser by Gaussian elimination along the forest in linear time.

With ``active_set=True`` and a non-smooth penalty, once the support has
stayed the same over a check and every zero coordinate satisfies its
optimality condition strictly, the engine updates the whole support with
proximal Newton steps: the identification phase of Nutini et al. is followed
by a superlinear (finite for quadratics) phase. It falls back to the chosen
rule whenever a zero coordinate violates its optimality condition again.
"""

import numpy as np

from sparseopt.core.forest import forest_solve_kernel
from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.bcd.datafits import QuadraticDatafit
from sparseopt.solvers.bcd.selection import (
    BLOCKS,
    GREEDY_RULES,
    SELECTIONS,
    BlockSelector,
    make_partition,
)
from sparseopt.solvers.bcd.validation import check_engine_numbers

__all__ = ["bcd_minimize", "UPDATES", "BLOCKS", "SELECTIONS"]

UPDATES = ("gradient", "lipschitz_matrix", "newton", "message_passing")
_ARMIJO = 1e-4
_MAX_BACKTRACKS = 40
_RESOLUTION = 1e3 * np.finfo(float).eps


def check_bcd_options(datafit, penalty, blocks, block_size, selection, update):
    """Raise a clear error for unknown options and invalid combinations."""
    if isinstance(blocks, str) and blocks not in BLOCKS:
        raise ValueError(f"blocks must be one of {BLOCKS} or a list of blocks, got {blocks!r}.")
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {SELECTIONS}, got {selection!r}.")
    if update not in UPDATES:
        raise ValueError(f"update must be one of {UPDATES}, got {update!r}.")
    graph_blocks = isinstance(blocks, str) and blocks in ("tree", "red_black")
    n_coords = datafit.n_coords
    if not graph_blocks and block_size is not None and not 1 <= block_size <= n_coords:
        raise ValueError(f"block_size must be in [1, {n_coords}] (the number of coordinates), "
                         f"got {block_size}.")
    if graph_blocks and not isinstance(datafit, QuadraticDatafit):
        raise ValueError(f"blocks={blocks!r} needs a quadratic problem on a graph "
                         "(e.g. GraphLabelPropagation).")
    if update == "message_passing":
        if not isinstance(datafit, QuadraticDatafit):
            raise ValueError("update='message_passing' needs a quadratic problem on a graph.")
        if not penalty.is_smooth:
            raise ValueError("update='message_passing' needs a smooth penalty (no l1, no bounds).")
        if not (blocks == "tree" or blocks == "red_black" or not isinstance(blocks, str)):
            raise ValueError(
                f"update='message_passing' needs forest-structured blocks (blocks='tree', "
                f"'red_black' or an explicit list of forests), got blocks={blocks!r}."
            )


def default_monitor(datafit, penalty):
    """Objective and largest optimality violation (needs the full gradient)."""

    def monitor(state):
        gradient = datafit.full_gradient(state)
        objective = datafit.value(state) + penalty.value(state.coef)
        return objective, float(np.max(penalty.violations(gradient, state.coef), initial=0.0))

    return monitor


def bcd_minimize(datafit, penalty, coef_init=None, *, blocks="fixed", block_size=1,
                 selection="cyclic", update="gradient", max_iter=1000, tol=0.0,
                 monitor=None, criterion_name="kkt_violation", check_every=None,
                 record_every=None, active_set=False, random_state=None, max_epochs=None):
    """Block coordinate descent on ``datafit + penalty``.

    Parameters
    ----------
    datafit : GLMDatafit or QuadraticDatafit
        Smooth part.
    penalty : ElasticNetPenalty
        Separable part.
    coef_init : ndarray of shape (n_coords,), optional
        Starting point (zero by default); not modified.
    blocks : {"fixed", "sorted", "variable", "tree", "red_black"} or list
        Block partition strategy, or an explicit list of blocks.
    block_size : int or None
        Block size (maximum forest size for greedy tree blocks; ``None``
        means unbounded there).
    selection : str
        Selection rule, see :mod:`~sparseopt.solvers.bcd.selection`.
    update : {"gradient", "lipschitz_matrix", "newton", "message_passing"}
        Block update.
    max_iter : int
        Maximum number of block updates.
    max_epochs : int, optional
        If given, replaces ``max_iter`` by ``max_epochs`` epochs (an epoch is
        ``check_every`` updates: the number of blocks by default).
    tol : float
        Absolute threshold on the monitored criterion.
    monitor : callable, optional
        ``state -> (objective, criterion)``; default: objective and largest
        KKT violation.
    criterion_name : str
        Name of the criterion in the history.
    check_every : int, optional
        Iterations between criterion checks (default: one epoch, i.e. the
        number of blocks).
    record_every : int, optional
        Iterations between history rows (default ``check_every``).
    active_set : bool
        Switch to proximal Newton on the support once it is identified.
    random_state : numpy Generator, int or None
        Randomness of the random, lipschitz and cyclic-variable rules.

    Returns
    -------
    coef : ndarray of shape (n_coords,)
        Final iterate.
    info : dict
        ``n_iter``, ``converged``, ``objective``, ``criterion``, ``history``,
        ``active_set_iteration`` (``None`` if never identified) and
        ``updates_per_epoch``.
    """
    check_bcd_options(datafit, penalty, blocks, block_size, selection, update)
    coef_init = check_engine_numbers(datafit.n_coords, coef_init, max_iter, tol, check_every,
                                     record_every, max_epochs)
    rng = np.random.default_rng(random_state)
    n_coords = datafit.n_coords
    lipschitz = datafit.coordinate_lipschitz()
    partition = make_partition(blocks, block_size or 1, n_coords, lipschitz, datafit)
    tree_blocks = isinstance(blocks, str) and blocks in ("tree",)
    size = block_size if tree_blocks else (block_size or 1)  # None: unbounded forests
    selector = BlockSelector(selection, partition, size,
                             datafit, penalty, lipschitz, rng, tree_blocks=tree_blocks)
    coef = np.zeros(n_coords) if coef_init is None else np.array(coef_init, dtype=np.float64)
    track = selection in GREEDY_RULES or active_set
    state = datafit.start(coef, track_gradient=track)
    monitor = default_monitor(datafit, penalty) if monitor is None else monitor
    if check_every is None:
        check_every = len(partition) if partition is not None else -(-n_coords // (block_size or 1))
    record_every = check_every if record_every is None else record_every
    if max_epochs is not None:
        max_iter = max_epochs * check_every
    use_active = active_set and not penalty.is_smooth

    history = ConvergenceHistory(criterion_name)
    objective, criterion = monitor(state)
    history.append(0, objective, criterion)
    converged = criterion <= tol
    previous_support, active_phase, active_iteration = None, False, None
    iteration, checking = 0, True
    while not converged and iteration < max_iter:
        iteration += 1
        if active_phase:
            block, index, rule = np.flatnonzero(state.coef), None, "newton"
        else:
            (block, index), rule = selector.next(state, iteration), update
        delta = _block_step(rule, datafit, penalty, state, block, selector, index)
        if np.any(delta):
            datafit.step(state, block, delta)
        checking = iteration % check_every == 0 or active_phase
        if checking:
            objective, criterion = monitor(state)
            converged = criterion <= tol
            history.append(iteration, objective, criterion)
            if use_active:
                active_phase, previous_support, active_iteration = _active_set_status(
                    datafit, penalty, state, previous_support, active_iteration, iteration)
        elif iteration % record_every == 0:
            history.append(iteration, datafit.value(state) + penalty.value(state.coef), np.nan)
    if not checking:
        objective, criterion = monitor(state)
        history.append(iteration, objective, criterion)
        converged = criterion <= tol
    info = {"n_iter": iteration, "converged": converged, "objective": objective,
            "criterion": criterion, "history": history,
            "active_set_iteration": active_iteration, "updates_per_epoch": check_every}
    return state.coef, info


def _active_set_status(datafit, penalty, state, previous_support, active_iteration, iteration):
    """Enter the active phase when the support is stable and zeros are strictly optimal."""
    support = state.coef != 0
    gradient = datafit.full_gradient(state)
    zeros = ~support
    zero_ok = not zeros.any() or np.all(
        penalty.violations(gradient[zeros], state.coef[zeros], np.flatnonzero(zeros)) == 0)
    stable = previous_support is not None and np.array_equal(support, previous_support)
    active = bool(stable and zero_ok and support.any())
    if active and active_iteration is None:
        active_iteration = iteration
    if not active:
        active_iteration = None
    return active, support, active_iteration


def _block_step(rule, datafit, penalty, state, block, selector, index):
    gradient = datafit.block_gradient(state, block)
    coef = state.coef[block]
    if rule == "gradient":
        if index is not None:
            lipschitz = selector.bound(index)[1]
        elif len(block) == 1:
            lipschitz = float(selector.lipschitz[block[0]])
        else:
            lipschitz = float(np.linalg.eigvalsh(datafit.bound_matrix(block))[-1])
        if lipschitz <= 0:
            return np.zeros_like(coef)
        return penalty.prox(coef - gradient / lipschitz, 1.0 / lipschitz, block) - coef
    if rule == "lipschitz_matrix":
        matrix = selector.bound(index)[0] if index is not None else datafit.bound_matrix(block)
        return penalty.solve_quadratic_model(matrix, gradient, coef, block)
    if rule == "message_passing":
        shifted = datafit.matrix[block][:, block] + penalty.l2 * np.diag(
            penalty.weights[block]) if penalty.l2 else None
        return _forest_step(datafit, penalty, block, gradient, coef, shifted)
    # proximal Newton; the line search is skipped when the model is exact
    hessian = datafit.hessian(state, block)
    hessian = hessian + 1e-12 * max(np.trace(hessian) / len(block), 1e-300) * np.eye(len(block))
    direction = penalty.solve_quadratic_model(hessian, gradient, coef, block)
    if datafit.is_quadratic:
        return direction
    return _line_search(datafit, penalty, state, block, gradient, coef, direction)


def _forest_step(datafit, penalty, block, gradient, coef, shifted):
    """Exact block minimiser of a quadratic on a forest block (message passing)."""
    rhs = -(gradient + penalty.l2_weights[block] * coef)
    if shifted is None:
        return forest_solve_kernel(datafit.indptr, datafit.indices, datafit.data, block, rhs)
    import scipy.sparse as sp

    matrix = sp.csr_matrix(shifted) if not sp.issparse(shifted) else shifted.tocsr()
    local = np.arange(len(block), dtype=np.int64)
    return forest_solve_kernel(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64),
                               matrix.data, local, rhs)


def _line_search(datafit, penalty, state, block, gradient, coef, direction):
    """Backtracking with quadratic interpolation on ``F(w + alpha d)``.

    Accepts ``alpha`` when ``F(w + alpha d) <= F(w) + c alpha Delta`` with
    ``Delta = g_b^T d + pen(w_b + d) - pen(w_b)`` (the proximal-Newton
    sufficient decrease) and ``c = 1e-4``.
    """
    if not np.any(direction):
        return direction
    decrease = float(gradient @ direction) + penalty.change(coef, direction, block)
    if decrease >= 0:
        return np.zeros_like(direction)
    if -decrease <= _RESOLUTION * (1.0 + abs(datafit.value(state))):
        # The predicted decrease is below what function values can resolve:
        # the quadratic model is accurate there, take the Newton step.
        return direction
    alpha = 1.0
    for _ in range(_MAX_BACKTRACKS):
        step = alpha * direction
        change = datafit.change(state, block, step) + penalty.change(coef, step, block)
        if change <= _ARMIJO * alpha * decrease:
            return step
        curvature = change - alpha * decrease
        interpolated = -decrease * alpha**2 / (2 * curvature) if curvature > 0 else 0.5 * alpha
        alpha = min(max(interpolated, 0.1 * alpha), 0.5 * alpha)
    return np.zeros_like(direction)
