"""The generic block coordinate descent engine.

Minimises ``F(w) = f(w) + g(w)`` with ``f`` a smooth data fit
(:mod:`~sparseopt.solvers.bcd.datafits`) and ``g`` a separable penalty
(:mod:`~sparseopt.solvers.bcd.penalties`). Each iteration picks a block
(:mod:`~sparseopt.solvers.bcd.partitions`,
:mod:`~sparseopt.solvers.bcd.selection`) and updates it with one of the
rules of :mod:`~sparseopt.solvers.bcd.updates`: proximal gradient steps with
the block Lipschitz constant (``"gradient"``) or an adaptive estimate of it
(``"adaptive_gradient"``), the model with the constant matrix bound
(``"lipschitz_matrix"``), proximal Newton (``"newton"``), two-metric
projection (``"two_metric"``) or, for forest blocks of a graph quadratic,
message passing (``"message_passing"``).

With ``active_set=True`` and a non-smooth penalty, once the support has
stayed the same over a check and every zero coordinate satisfies its
optimality condition strictly, the engine updates the whole support with
proximal Newton steps: the identification phase of Nutini et al. is followed
by a superlinear (finite for quadratics) phase. It falls back to the chosen
rule whenever a zero coordinate violates its optimality condition again.

The iterations run in Python over compiled kernels; Ctrl-C is deferred to
the end of the current kernel call and raised as ``KeyboardInterrupt``
(:class:`sparseopt.utils.DeferredInterrupt`).
"""

import numpy as np

from sparseopt.core.forest import is_forest
from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.bcd.datafits import QuadraticDatafit
from sparseopt.solvers.bcd.partitions import (
    BLOCKS,
    GRAPH_BLOCKS,
    check_partition,
    make_partition,
)
from sparseopt.solvers.bcd.selection import GREEDY_RULES, SELECTIONS, BlockSelector
from sparseopt.solvers.bcd.updates import UPDATES, block_step
from sparseopt.solvers.bcd.validation import check_engine_numbers
from sparseopt.utils.interrupt import DeferredInterrupt
from sparseopt.utils.progress import IterationPrinter

__all__ = ["bcd_minimize", "UPDATES", "BLOCKS", "SELECTIONS"]


def check_bcd_options(datafit, penalty, blocks, block_size, selection, update):
    """Raise a clear error for unknown options and invalid combinations.

    Returns ``blocks``, with an explicit list checked and sorted
    (:func:`~sparseopt.solvers.bcd.partitions.check_partition`).
    """
    if isinstance(blocks, str):
        if blocks not in BLOCKS:
            raise ValueError(f"blocks must be one of {BLOCKS} or a list of blocks, got "
                             f"{blocks!r}.")
    else:
        blocks = check_partition(blocks, datafit.n_coords)
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {SELECTIONS}, got {selection!r}.")
    if update not in UPDATES:
        raise ValueError(f"update must be one of {UPDATES}, got {update!r}.")
    named = isinstance(blocks, str)
    graph_blocks = named and blocks in GRAPH_BLOCKS
    quadratic = isinstance(datafit, QuadraticDatafit)
    n_coords = datafit.n_coords
    if not graph_blocks and block_size is not None and not 1 <= block_size <= n_coords:
        raise ValueError(f"block_size must be in [1, {n_coords}] (the number of coordinates), "
                         f"got {block_size}.")
    if graph_blocks and not quadratic:
        raise ValueError(f"blocks={blocks!r} needs a quadratic problem on a graph "
                         "(e.g. GraphLabelPropagation).")
    if update == "message_passing":
        if not quadratic:
            raise ValueError(
                "update='message_passing' needs a quadratic problem on a graph with forest "
                "blocks (e.g. GraphLabelPropagation); use 'gradient', 'adaptive_gradient', "
                "'lipschitz_matrix', 'newton' or 'two_metric' here.")
        if not penalty.is_smooth:
            raise ValueError("update='message_passing' needs a smooth penalty (no l1, no bounds).")
        if named and blocks not in ("tree", "red_black"):
            hint = (" The paper's general block is solved densely: use "
                    "update='lipschitz_matrix'." if blocks == "general" else "")
            raise ValueError(
                f"update='message_passing' needs forest-structured blocks (blocks='tree', "
                f"'red_black' or an explicit list of forests), got blocks={blocks!r}.{hint}")
        if not named:
            for position, block in enumerate(blocks):
                if not is_forest(datafit.matrix, block):
                    raise ValueError(
                        f"update='message_passing' needs forest blocks: blocks[{position}] "
                        "induces a cycle in the graph of A.")
    return blocks


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
                 record_every=None, active_set=False, random_state=None, max_epochs=None,
                 verbose=0):
    """Block coordinate descent on ``datafit + penalty``.

    Parameters
    ----------
    datafit : GLMDatafit or QuadraticDatafit
        Smooth part.
    penalty : ElasticNetPenalty
        Separable part.
    coef_init : ndarray of shape (n_coords,), optional
        Starting point (zero by default); not modified.
    blocks : {"fixed", "sorted", "avg", "variable", "tree", "red_black", "general"} or list
        Block partition strategy (see :mod:`~sparseopt.solvers.bcd.partitions`),
        or an explicit list of blocks partitioning ``range(n_coords)``.
        ``"general"`` (graph quadratics): a variable block of ``block_size``
        coordinates, ``n_coords ** (1/3)`` if ``block_size`` is None (the
        paper's general block, solved densely).
    block_size : int or None
        Block size (maximum forest size for greedy and random tree blocks;
        ``None`` means unbounded there).
    selection : str
        Selection rule, see :mod:`~sparseopt.solvers.bcd.selection`.
    update : {"gradient", "adaptive_gradient", "lipschitz_matrix", "newton", \
"two_metric", "message_passing"}
        Block update, see :mod:`~sparseopt.solvers.bcd.updates`.
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
    verbose : int, default=0
        Print the objective and criterion at the checks through
        :class:`sparseopt.utils.IterationPrinter` (``1``: at most one line a
        second, ``2``: every check).

    Returns
    -------
    coef : ndarray of shape (n_coords,)
        Final iterate.
    info : dict
        ``n_iter``, ``converged``, ``objective``, ``criterion``, ``history``,
        ``active_set_iteration`` (``None`` if never identified) and
        ``updates_per_epoch``.

    Raises
    ------
    ValueError
        Invalid options, or data whose objective overflows float64 at the start.
    FloatingPointError
        The objective became non-finite during the iterations (overflow).
    KeyboardInterrupt
        On Ctrl-C, at the end of the kernel call under way.
    """
    blocks = check_bcd_options(datafit, penalty, blocks, block_size, selection, update)
    coef_init = check_engine_numbers(datafit.n_coords, coef_init, max_iter, tol, check_every,
                                     record_every, max_epochs)
    rng = np.random.default_rng(random_state)
    n_coords = datafit.n_coords
    lipschitz = datafit.coordinate_lipschitz()
    if blocks == "general" and block_size is None:
        block_size = max(1, int(round(n_coords ** (1.0 / 3.0))))
    partition = make_partition(blocks, block_size or 1, n_coords, lipschitz, datafit)
    tree_blocks = isinstance(blocks, str) and blocks == "tree"
    size = block_size if tree_blocks else (block_size or 1)  # None: unbounded forests
    adaptive = update == "adaptive_gradient"
    selector = BlockSelector(selection, partition, size, datafit, penalty,
                             np.ones(n_coords) if adaptive else lipschitz, rng,
                             tree_blocks=tree_blocks, adaptive=adaptive)
    coef = np.zeros(n_coords) if coef_init is None else np.array(coef_init, dtype=np.float64)
    track = selection in GREEDY_RULES or active_set
    state = datafit.start(coef, track_gradient=track)
    monitor = default_monitor(datafit, penalty) if monitor is None else monitor
    updates_per_epoch = (len(partition) if partition is not None
                         else -(-n_coords // (block_size or 1)))
    if check_every is None:
        check_every = updates_per_epoch
    record_every = check_every if record_every is None else record_every
    refresh_every = max(check_every, updates_per_epoch)
    if max_epochs is not None:
        max_iter = max_epochs * check_every
    use_active = active_set and not penalty.is_smooth
    printer = IterationPrinter("bcd", verbose)

    history = ConvergenceHistory(criterion_name)
    objective, criterion = monitor(state)
    if not np.isfinite(objective):
        raise ValueError(f"The objective at the starting point is {objective}: the data "
                         "overflow float64. Rescale them (e.g. divide X and y by their "
                         "largest entries).")
    history.append(0, objective, criterion)
    converged = criterion <= tol
    if not converged:  # (the last check is printed once, after the loop)
        printer(0, objective=objective, criterion=criterion)
    previous_support, active_phase, active_iteration = None, False, None
    iteration, checking = 0, True
    with DeferredInterrupt() as interrupt:
        while not converged and iteration < max_iter:
            interrupt.check()
            iteration += 1
            if active_phase:
                block, index, rule = np.flatnonzero(state.coef), None, "newton"
            else:
                (block, index), rule = selector.next(state, iteration), update
            delta = block_step(rule, datafit, penalty, state, block, selector, index,
                               interrupt.check)
            if np.any(delta):
                datafit.step(state, block, delta)
            if track and iteration % refresh_every == 0:
                datafit.refresh(state)
            checking = iteration % check_every == 0 or active_phase
            if checking:
                objective, criterion = _checked(monitor, state, iteration)
                converged = criterion <= tol
                history.append(iteration, objective, criterion)
                if not (converged or iteration >= max_iter):
                    printer(iteration, objective=objective, criterion=criterion)
                if use_active:
                    active_phase, previous_support, active_iteration = _active_set_status(
                        datafit, penalty, state, previous_support, active_iteration,
                        iteration)
            elif iteration % record_every == 0:
                history.append(iteration, datafit.value(state) + penalty.value(state.coef),
                               np.nan)
    if not checking:
        objective, criterion = _checked(monitor, state, iteration)
        history.append(iteration, objective, criterion)
        converged = criterion <= tol
    printer(iteration, objective=objective, criterion=criterion, force=True,
            converged=converged)
    info = {"n_iter": iteration, "converged": converged, "objective": objective,
            "criterion": criterion, "history": history,
            "active_set_iteration": active_iteration, "updates_per_epoch": updates_per_epoch}
    return state.coef, info


def _checked(monitor, state, iteration):
    objective, criterion = monitor(state)
    if not (np.isfinite(objective) and np.isfinite(criterion)):
        raise FloatingPointError(
            f"The objective became {objective} (criterion {criterion}) at iteration "
            f"{iteration}: the iterates overflow float64. Rescale the data.")
    return objective, criterion


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
