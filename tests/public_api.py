"""The public API of sparseopt, discovered, with one call recipe per entry point.

``public_entry_points()`` finds every estimator (``all_estimators()``) and
every callable in the ``__all__`` of every subpackage (so a new family, or a
new function of an old one, is found without editing this file), and
``RECIPES`` says how to call each of them with valid data. The suites that
run the whole API use both: ``test_inputs_untouched.py`` (item 4 of issue 10:
the caller's arrays are bit-identical after every call, for every input
kind), ``test_bad_input.py`` (the fuzz suite: each standard bad input gives a
``ValueError``/``TypeError`` naming the argument) and ``test_verbose.py``.
A public name without a recipe fails ``test_every_public_name_has_a_recipe``.

A recipe holds

- ``arrays``: the floating-point data arguments (the suites vary them: input
  kinds, NaN, inf, empty, wrong ndim, complex, object and string dtypes);
- ``params``: the other arguments; the numeric ones with a default in the
  signature, and those listed in ``hyper``, are hyper-parameters (NaN and
  negative values are tried);
- ``run(arrays, params)``: the call (for an estimator: fit, then every
  prediction method on the training data);
- the exceptions to the standard expectations, each named: ``accepts``
  (bad-input kinds an argument legitimately accepts, e.g. ``empty`` for an
  entrywise operator, ``complex`` for a complex solver), ``linked`` (arrays
  whose length must match another one: one row fewer must be rejected),
  ``negative_ok`` (hyper-parameters for which a negative value is
  meaningful), ``names`` (the name an argument goes by in messages, when it
  is not its keyword, e.g. ``check_scalar(value, name="alpha")``) and
  ``sparse`` (arrays that accept scipy sparse matrices).
"""

import importlib
import inspect
import io
import numbers
import pkgutil
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone

import sparseopt
from sparseopt.utils import all_estimators

# --------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------
ESTIMATOR_METHODS = ("predict", "predict_proba", "decision_function", "transform", "score")


def _packages():
    """``sparseopt.<sub>`` for every subpackage, then their own subpackages."""
    for sub in sparseopt._SUBPACKAGES:
        module = importlib.import_module(f"sparseopt.{sub}")
        yield sub, module
        for info in pkgutil.iter_modules(module.__path__):
            if info.ispkg:
                yield (f"{sub}.{info.name}",
                       importlib.import_module(f"sparseopt.{sub}.{info.name}"))


def public_entry_points():
    """``{name: object}`` of every public callable, each under its shortest name.

    Estimators are named by class (``"Lasso"``), as in
    :func:`sparseopt.utils.all_estimators`; other callables by subpackage
    (``"core.project_simplex"``, ``"solvers.bcd.GLMDatafit"``).
    """
    found = {id(cls): (name, cls) for name, cls in all_estimators()}
    for prefix, module in _packages():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if callable(obj) and id(obj) not in found:
                found[id(obj)] = (f"{prefix}.{name}", obj)
    return dict(sorted(found.values()))


# --------------------------------------------------------------------------
# Recipes
# --------------------------------------------------------------------------
@dataclass
class Recipe:
    run: object
    arrays: dict
    params: dict = field(default_factory=dict)
    hyper: tuple = ()
    accepts: dict = field(default_factory=dict)
    linked: tuple = ()
    negative_ok: tuple = ()
    names: dict = field(default_factory=dict)
    sparse: tuple = ()
    function: object = None  # whose signature defaults add hyper-parameters
    estimator: object = None
    no_bad_input: str = ""  # why no standard bad input applies (no array, no number)
    fixed: tuple = ()  # numeric params that are not hyper-parameters (e.g. bounds)

    def hyper_parameters(self):
        """Names of the numeric hyper-parameters (NaN and negatives are tried)."""
        names = list(self.hyper)
        if self.estimator is not None:
            names += [name for name, value in self.estimator.get_params().items()
                      if _is_number(value)]
        elif self.function is not None:
            for name, parameter in inspect.signature(self.function).parameters.items():
                if _is_number(parameter.default) or _is_number(self.params.get(name)):
                    names.append(name)
        return sorted(set(names) - set(self.fixed))

    def call(self, arrays=None, **params):
        """Run with ``arrays`` (default: the recipe's) and overridden params."""
        return self.run(self.arrays if arrays is None else arrays, {**self.params, **params})


def _has_nan(values):
    return any(isinstance(v, float) and v != v for v in np.ravel(values).tolist())


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def function_recipe(function, arrays, params=None, **options):
    """Call ``function(**arrays, **params)``."""
    return Recipe(run=lambda a, p: function(**a, **p), arrays=arrays, params=params or {},
                  function=function, **options)


def estimator_recipe(estimator, X, y=None, **options):
    """Fit ``estimator`` (cloned, with the params) on ``X, y``, then call every
    prediction method on ``X`` (``score`` with ``y``)."""
    def run(arrays, params):
        model = clone(estimator).set_params(**params)
        inputs = dict(arrays)
        X_train = inputs.pop("X")
        if "y" in inputs:
            model.fit(X_train, inputs["y"])
        else:
            model.fit(X_train)
        for method in ESTIMATOR_METHODS:
            if hasattr(model, method):
                if method == "score":
                    if "y" in inputs and not _has_nan(inputs["y"]):  # NaN: unlabelled
                        model.score(X_train, inputs["y"])
                else:
                    getattr(model, method)(X_train)
        return model

    arrays = {"X": X} if y is None else {"X": X, "y": y}
    options.setdefault("sparse", ())
    options.setdefault("linked", ("y",) if y is not None else ())
    return Recipe(run=run, arrays=arrays, estimator=estimator, **options)


# --------------------------------------------------------------------------
# Data (small, fixed)
# --------------------------------------------------------------------------
_rng = np.random.default_rng(0)
X_REG = _rng.standard_normal((20, 5))
X_REG[np.abs(X_REG) < 0.3] = 0.0  # zeros: sparse copies store some explicitly
Y_REG = X_REG @ np.array([1.5, 0.0, -2.0, 0.0, 0.5]) + 0.1 * _rng.standard_normal(20)
Y_BINARY = (X_REG[:, 0] + 0.3 * _rng.standard_normal(20) > 0).astype(np.float64)
Y_TASKS = np.column_stack([Y_REG, 1.0 - Y_REG])
Y_CLASSES = np.argmax(X_REG[:, :3] + 0.3 * _rng.standard_normal((20, 3)), axis=1).astype(float)
_B = _rng.standard_normal((6, 6))
SPD = _B @ _B.T + 6 * np.eye(6)
LAPLACIAN = (np.diag([2.0, 3.0, 3.0, 3.0, 3.0, 2.0]) - np.eye(6, k=1) - np.eye(6, k=-1)
             - 0.5 * (np.eye(6, k=2) + np.eye(6, k=-2)))
PATH_GRAPH = np.diag(np.full(5, 2.0)) - np.eye(5, k=1) - np.eye(5, k=-1)
DAG = np.triu((_rng.random((5, 5)) < 0.5).astype(float), 1)
DAG_OTHER = np.triu((_rng.random((5, 5)) < 0.5).astype(float), 1)
WEIGHTED_DAG = DAG * _rng.uniform(0.5, 2.0, (5, 5))
X_DAG = _rng.standard_normal((40, 5)) @ np.linalg.inv(np.eye(5) - WEIGHTED_DAG)
X_MOONS = np.vstack([_rng.standard_normal((10, 2)) - 2, _rng.standard_normal((10, 2)) + 2])
Y_MOONS = np.full(20, np.nan)
Y_MOONS[[0, 1, 10, 11]] = [0.0, 0.0, 1.0, 1.0]
A_WEIGHTS = np.array([0.2, 0.3, 0.1, 0.4])
B_WEIGHTS = np.array([0.25, 0.25, 0.3, 0.2])
COST = _rng.random((4, 4))
X_SOURCE, X_TARGET = _rng.standard_normal((8, 2)), _rng.standard_normal((9, 2)) + 1.0
LOGITS = _rng.standard_normal((8, 3))
X_VECTOR = np.array([0.3, -1.7, 2.5, 0.0, 0.9, -0.2])
ATOMS = _rng.standard_normal((7, 5))  # a dictionary for X_REG (atoms as rows)
GRID_WEIGHTS = np.array([1.0, 0.5, 0.25])
GRID_MEANS = np.array([[0.0, 0.1], [0.2, 0.3], [0.4, 0.0]])

def _deferred_interrupt():
    from sparseopt.utils import DeferredInterrupt

    with DeferredInterrupt() as interrupt:
        interrupt.check()


_DAG_FAST = dict(T=2, warm_iter=60, max_iter=120, checkpoint=20)


def _recipes():
    from sparseopt import bcd, core, dag, datasets, dictionary, gp, ldp, ot, sbl, solvers, utils
    from sparseopt.solvers.bcd import ElasticNetPenalty, GLMDatafit, QuadraticDatafit

    f = function_recipe
    labels = {"y": {"str"}}  # class labels may be strings
    entrywise = {"x": {"empty", "ndim", "scalar"}}  # any shape
    ot_arrays = {"a": A_WEIGHTS, "b": B_WEIGHTS, "M": COST}
    # a = [] or b = [] means uniform weights (POT's convention)
    ot_options = dict(linked=("a", "b"), accepts={"a": {"empty"}, "b": {"empty"}})

    def quadratic_minimize(a, p):
        return solvers.bcd_minimize(QuadraticDatafit(a["A"], a["b"]),
                                    ElasticNetPenalty(p.pop("l1"), 0.0, np.ones(6)),
                                    a["coef_init"], **p)

    def glm_datafit(a, p):
        return GLMDatafit(a["X"], a["target"], "least_squares", **p)

    ldp_bounds = {"x_bound": 3.0, "y_bound": 5.0, "on_out_of_bounds": "clip"}

    def ldp_device(p):
        privacy = {"epsilon": 1.0, "delta": 1e-6, **p}
        return ldp.LocalRandomizer("public", n_features=5, random_state=0,
                                   **{**ldp_bounds, **privacy})

    def ldp_server(a, p):
        return ldp.Aggregator("public", 5).partial_fit(ldp_device(p).report(a["X"], a["y"])).means()

    ldp_target = X_VECTOR * 0.3

    recipes = {
        # ---------------------------------------------------------- estimators
        "ColideEV": estimator_recipe(dag.ColideEV(**_DAG_FAST), X_DAG),
        "ColideNV": estimator_recipe(dag.ColideNV(**_DAG_FAST), X_DAG),
        "DagmaLinear": estimator_recipe(dag.DagmaLinear(**_DAG_FAST), X_DAG),
        "ElasticNet": estimator_recipe(bcd.ElasticNet(alpha=0.1), X_REG, Y_REG,
                                       sparse=("X",)),
        "GraphLabelPropagation": estimator_recipe(
            bcd.GraphLabelPropagation(n_neighbors=3), X_MOONS, Y_MOONS,
            accepts={"y": {"nan", "object"}}, sparse=("X",)),  # NaN, None: unlabelled
        "GroupLasso": estimator_recipe(bcd.GroupLasso(groups=2, alpha=0.1), X_REG, Y_REG,
                                       sparse=("X",)),
        "GroupLogisticRegression": estimator_recipe(
            bcd.GroupLogisticRegression(groups=2, alpha=0.05), X_REG, Y_BINARY, sparse=("X",),
            accepts=labels),
        "Lasso": estimator_recipe(bcd.Lasso(alpha=0.1), X_REG, Y_REG, sparse=("X",)),
        "LassoCV": estimator_recipe(bcd.LassoCV(alphas=5, cv=3), X_REG, Y_REG,
                                    sparse=("X",)),
        "ElasticNetCV": estimator_recipe(bcd.ElasticNetCV(l1_ratio=[0.5, 1.0], alphas=5, cv=3),
                                         X_REG, Y_REG, sparse=("X",)),
        "GroupLassoCV": estimator_recipe(bcd.GroupLassoCV(groups=2, alphas=5, cv=3), X_REG,
                                         Y_REG, sparse=("X",)),
        "SparseLogisticRegressionCV": estimator_recipe(
            bcd.SparseLogisticRegressionCV(alphas=5, cv=3), X_REG, Y_BINARY, sparse=("X",),
            accepts=labels),
        "MultiTaskElasticNet": estimator_recipe(bcd.MultiTaskElasticNet(alpha=0.1), X_REG,
                                                Y_TASKS, sparse=("X",)),
        "MultiTaskLasso": estimator_recipe(bcd.MultiTaskLasso(alpha=0.1), X_REG, Y_TASKS,
                                           sparse=("X",)),
        "SparseGroupLasso": estimator_recipe(bcd.SparseGroupLasso(groups=2, alpha=0.1), X_REG,
                                             Y_REG, sparse=("X",)),
        "LDPSparseRegressor": estimator_recipe(
            ldp.LDPSparseRegressor(n_nonzero=2, random_state=0, **ldp_bounds), X_REG, Y_REG),
        "LeastSquaresBCD": estimator_recipe(bcd.LeastSquaresBCD(alpha=0.1), X_REG, Y_REG,
                                            sparse=("X",)),
        "MultinomialLogisticRegression": estimator_recipe(
            bcd.MultinomialLogisticRegression(alpha=0.05), X_REG, Y_CLASSES, sparse=("X",),
            accepts=labels),
        "BlockSBL": estimator_recipe(sbl.BlockSBL(block_size=2), X_REG, Y_REG),
        "KroneckerSBL": estimator_recipe(sbl.KroneckerSBL(), X_REG, Y_REG),
        "MultiTaskSBL": estimator_recipe(sbl.MultiTaskSBL(), X_REG,
                                         np.column_stack([Y_REG, -Y_REG])),
        "SBLRegressor": estimator_recipe(sbl.SBLRegressor(), X_REG, Y_REG),
        "GSMPRegressor": estimator_recipe(gp.GSMPRegressor(n_components=10), X_REG, Y_REG),
        "SLIMKLRegressor": estimator_recipe(
            gp.SLIMKLRegressor(n_agents=2, n_components=10, max_iter=5), X_REG, Y_REG),
        "SparseLogisticRegression": estimator_recipe(
            bcd.SparseLogisticRegression(alpha=0.05), X_REG, Y_BINARY, sparse=("X",),
            accepts=labels),
        "SparsityConstrainedOT": Recipe(
            run=lambda a, p: ot.SparsityConstrainedOT(**p).fit(a["X"], Xt=a["Xt"]).transform(
                a["X"]),
            arrays={"X": X_SOURCE, "Xt": X_TARGET},
            estimator=ot.SparsityConstrainedOT(max_iter=200), params={"max_iter": 200}),
        # ---------------------------------------------------------------- core
        "core.ConvergenceHistory": Recipe(
            run=lambda a, p: core.ConvergenceHistory("gap").append(1, 2.0, 0.5), arrays={},
            no_bad_input="records what a solver reports (NaN included)"),
        "core.KroneckerOperator": Recipe(
            run=lambda a, p: core.KroneckerOperator([a["factors[0]"], a["factors[1]"]]) @ a[
                "x"],
            arrays={"factors[0]": X_REG[:3, :2], "factors[1]": SPD[:2, :3], "x": X_VECTOR},
            accepts={"factors[0]": {"complex"}, "factors[1]": {"complex"}, "x": {"complex"}},
            linked=("x",)),
        "core.conjugate_gradient": f(
            core.conjugate_gradient, {"operator": SPD, "b": X_VECTOR}, {"max_iter": 50},
            accepts={"operator": {"complex"}, "b": {"complex"}}, linked=("b",),
            sparse=("operator",)),
        "core.firm_threshold": f(core.firm_threshold, {"x": X_VECTOR},
                                 {"threshold": 0.5, "upper": 1.5}, accepts=entrywise),
        "core.group_soft_threshold": f(core.group_soft_threshold, {"x": X_VECTOR},
                                       {"threshold": 0.5, "group_ptr": [0, 2, 6]},
                                       accepts={"x": {"empty"}},
                                       names={("empty", "x"): "group_ptr"}),
        "core.hard_threshold": f(core.hard_threshold, {"x": X_VECTOR}, {"k": 2},
                                 accepts={"x": {"ndim", "scalar"}},
                                 names={("empty", "x"): "k", ("scalar", "x"): "k"}),
        "core.is_forest": f(core.is_forest, {"A": LAPLACIAN}, sparse=("A",)),
        "core.kron_matvec": Recipe(
            run=lambda a, p: core.kron_matvec([a["factors[0]"], a["factors[1]"]], a["x"], **p),
            arrays={"factors[0]": X_REG[:3, :2], "factors[1]": SPD[:2, :3], "x": X_VECTOR},
            accepts={"factors[0]": {"complex"}, "factors[1]": {"complex"},
                     "x": {"complex"}},
            linked=("x",)),
        "core.logdet_spd": f(core.logdet_spd, {"matrix": SPD}),
        "core.lq_threshold": f(core.lq_threshold, {"x": X_VECTOR},
                               {"threshold": 0.5, "q": 0.5}, accepts=entrywise),
        "core.power_iteration": f(core.power_iteration, {"operator": X_REG},
                                  accepts={"operator": {"complex"}}, sparse=("operator",)),
        "core.project_box": f(core.project_box, {"x": X_VECTOR},
                              {"lower": -1.0, "upper": 1.0}, accepts=entrywise,
                              negative_ok=("lower", "upper"), hyper=("lower", "upper")),
        "core.project_l1_ball": f(core.project_l1_ball, {"x": X_VECTOR}),
        "core.project_simplex": f(core.project_simplex, {"x": X_VECTOR}),
        "core.project_sparse_simplex": f(core.project_sparse_simplex, {"x": X_VECTOR},
                                         {"k": 2}, names={("empty", "x"): "x"}),
        "core.soft_threshold": f(core.soft_threshold, {"x": X_VECTOR}, {"threshold": 0.5},
                                 accepts=entrywise),
        "core.solve_forest": f(core.solve_forest, {"A": PATH_GRAPH, "rhs": X_VECTOR[:3]},
                               {"block": [0, 2, 4]}, linked=("rhs",), sparse=("A",)),
        "core.top_k_indices": f(core.top_k_indices, {"values": X_VECTOR}, {"k": 2}),
        "core.top_k_mask": f(core.top_k_mask, {"values": X_VECTOR}, {"k": 2}),
        "core.woodbury_solve": f(
            core.woodbury_solve,
            {"diagonal": np.full(6, 2.0), "factor": SPD[:, :2], "weights": np.ones(2),
             "rhs": X_VECTOR}, linked=("diagonal", "weights", "rhs")),
        # ------------------------------------------------------------- solvers
        "solvers.bcd_enet": f(solvers.bcd_enet, {"X": X_REG, "y": Y_REG},
                              {"alpha": 0.1, "l1_ratio": 0.5}, linked=("y",), sparse=("X",)),
        "solvers.bcd_lasso": f(solvers.bcd_lasso, {"X": X_REG, "y": Y_REG}, {"alpha": 0.1},
                               linked=("y",), sparse=("X",)),
        "solvers.bcd_minimize": Recipe(
            run=quadratic_minimize, arrays={"A": SPD, "b": X_VECTOR, "coef_init": X_VECTOR},
            params={"l1": 0.1, "max_iter": 60}, hyper=("l1", "max_iter", "block_size"),
            linked=("b", "coef_init"), sparse=("A",), function=solvers.bcd_minimize),
        "solvers.bcd.ElasticNetPenalty": f(ElasticNetPenalty, {"weights": np.ones(5)},
                                           {"l1": 0.1, "l2": 0.2}),
        "solvers.bcd.GLMDatafit": Recipe(
            run=glm_datafit, arrays={"X": X_REG, "target": Y_REG},
            params={"scale": 1 / 20}, hyper=("scale",), linked=("target",), sparse=("X",)),
        "solvers.bcd.QuadraticDatafit": f(QuadraticDatafit, {"A": SPD, "b": X_VECTOR},
                                          linked=("b",), sparse=("A",)),
        "solvers.enet_dual_gap": f(
            solvers.enet_dual_gap, {"correlation": X_VECTOR, "coef": X_VECTOR / 2},
            {"residual_norm_sq": 3.0, "y_dot_residual": 2.0, "n_samples": 20, "l1": 0.1,
             "l2": 0.1}, linked=("coef",), negative_ok=("y_dot_residual",)),
        "solvers.greedy_forest_block": f(solvers.greedy_forest_block, {"A": LAPLACIAN},
                                         {"order": [3, 0, 5, 1]}, sparse=("A",)),
        "solvers.iterative_hard_thresholding": f(
            solvers.iterative_hard_thresholding, {"X": X_REG, "y": Y_REG}, {"n_nonzero": 2},
            linked=("y",)),
        "solvers.lattice_comb_blocks": f(solvers.lattice_comb_blocks, {},
                                         {"n_rows": 3, "n_cols": 4}),
        "solvers.lattice_red_black_blocks": f(solvers.lattice_red_black_blocks, {},
                                              {"n_rows": 3, "n_cols": 4}),
        "solvers.logistic_dual_gap": f(
            solvers.logistic_dual_gap,
            {"target": 2 * Y_BINARY - 1, "z": Y_REG / 4, "correlation_vector": X_VECTOR[:5],
             "coef": X_VECTOR[:5] / 2}, {"l1": 0.1, "l2": 0.1, "n_samples": 20},
            linked=("z", "coef")),
        "solvers.red_black_blocks": f(solvers.red_black_blocks, {"A": LAPLACIAN},
                                      sparse=("A",)),
        "solvers.iht.screening_level": f(
            solvers.iht.screening_level, {"noise_sds": np.array([0.4, 0.1])},
            {"step_size": 1.0, "n_features": 50}, accepts={"noise_sds": {"empty"}}),
        "solvers.sequential_iht": Recipe(
            run=lambda a, p: solvers.sequential_iht(lambda t, c: (c - ldp_target, 0.01),
                                                    coef_init=a["coef_init"], **p),
            arrays={"coef_init": X_VECTOR}, params={"n_features": 6, "n_nonzero": 2,
                                                    "n_rounds": 3},
            function=solvers.sequential_iht),
        "solvers.tree_partition_blocks": f(solvers.tree_partition_blocks, {"A": LAPLACIAN},
                                           sparse=("A",)),
        # --------------------------------------------------------------- utils
        "utils.DeferredInterrupt": Recipe(run=lambda a, p: _deferred_interrupt(), arrays={},
                                          no_bad_input="takes no argument"),
        "utils.IterationPrinter": Recipe(
            run=lambda a, p: utils.IterationPrinter("demo", stream=io.StringIO(), **p)(
                1, objective=1.0),
            arrays={}, params={"verbose": 1, "min_interval": 0.5},
            hyper=("verbose", "min_interval")),
        "utils.ProgressBar": Recipe(
            run=lambda a, p: utils.ProgressBar(stream=io.StringIO(), **p).update("step"),
            arrays={}, params={"total": 3, "width": 10}, hyper=("total", "width")),
        "utils.all_estimators": f(utils.all_estimators, {},
                                  no_bad_input="takes no argument"),
        "utils.check_array_input": f(utils.check_array_input, {"value": X_REG},
                                     {"name": "X", "ndim": 2}, names={"value": "X"},
                                     fixed=("ndim",)),
        "utils.check_integer": f(utils.check_integer, {}, {"value": 3, "name": "k",
                                                           "lower": 0},
                                 hyper=("value",), names={"value": "k"}, fixed=("lower",)),
        "utils.check_random_state_seed": f(utils.check_random_state_seed, {},
                                           {"random_state": 3}, hyper=("random_state",)),
        "utils.check_scalar": f(utils.check_scalar, {}, {"value": 0.5, "name": "alpha",
                                                         "lower": 0.0},
                                hyper=("value",), names={"value": "alpha"},
                                fixed=("lower",)),
        "utils.get_dask_client": f(utils.get_dask_client, {},
                                   no_bad_input="takes only an optional client"),
        "utils.parallel_map": f(utils.parallel_map, {}, {"function": abs, "items": [-1, 2]},
                                no_bad_input="maps any picklable function"),
        # ------------------------------------------------------------ datasets
        "datasets.load_bundled": f(datasets.load_bundled, {}, {"name": "iris"},
                                   no_bad_input="takes a name"),
        "datasets.load_airline": f(datasets.load_airline, {}, no_bad_input="takes no argument"),
        "datasets.load_co2": f(datasets.load_co2, {}, no_bad_input="takes an option"),
        "datasets.load_digits_ink": f(datasets.load_digits_ink, {},
                                      no_bad_input="takes a list of classes"),
        "datasets.load_sachs": f(datasets.load_sachs, {}, no_bad_input="takes no argument"),
        "datasets.load_vendored_csv": f(datasets.load_vendored_csv, {},
                                        {"filename": "sachs_cd3cd28.csv"},
                                        no_bad_input="takes a file name"),
        "datasets.make_bcd_problem": f(datasets.make_bcd_problem, {},
                                       {"n_samples": 20, "n_features": 8, "n_classes": 3}),
        "datasets.make_ldp_regression": f(datasets.make_ldp_regression, {},
                                          {"n_samples": 20, "n_features": 8, "n_nonzero": 2}),
        "datasets.irs_channel_nmse": Recipe(
            run=lambda a, p: datasets.irs_channel_nmse(
                datasets.make_irs_channel(n_irs=16, random_state=0), a["coef"]),
            arrays={"coef": np.zeros(18 ** 3)}, accepts={"coef": {"complex"}}),
        "datasets.make_irs_channel": f(datasets.make_irs_channel, {},
                                       {"snr_db": 10.0, "n_irs": 16},
                                       negative_ok=("snr_db",)),
        "datasets.make_kronecker_sparse": f(datasets.make_kronecker_sparse, {},
                                            {"n_rows": (2, 3), "n_columns": 4, "n_nonzero": 1},
                                            negative_ok=("snr_db",)),
        "datasets.make_lattice_label_propagation": f(
            datasets.make_lattice_label_propagation, {},
            {"n_rows": 4, "n_cols": 5, "n_labelled": 3}),
        "datasets.make_sparse_regression": f(datasets.make_sparse_regression, {},
                                             {"n_samples": 20, "n_features": 8}),
        "datasets.make_two_moons_label_propagation": f(
            datasets.make_two_moons_label_propagation, {},
            {"n_samples": 30, "n_labelled": 4, "n_neighbors": 3}),
        "datasets.vendored_files": f(datasets.vendored_files, {},
                                     no_bad_input="takes no argument"),
        # ----------------------------------------------------------------- bcd
        "bcd.lasso_path": f(bcd.lasso_path, {"X": X_REG, "y": Y_REG},
                            {"alphas": 5, "max_iter": 200}, linked=("y",), sparse=("X",)),
        "bcd.enet_path": f(bcd.enet_path, {"X": X_REG, "y": Y_REG},
                           {"alphas": 5, "max_iter": 200}, linked=("y",), sparse=("X",)),
        # ----------------------------------------------------------------- dag
        "dag.bootstrap_edges": f(dag.bootstrap_edges, {"X": X_DAG},
                                 {"estimator": dag.ColideEV(**_DAG_FAST), "n_bootstrap": 2,
                                  "random_state": 0}),
        "dag.count_accuracy": f(dag.count_accuracy, {"B_true": DAG, "B_est": DAG_OTHER},
                                linked=("B_est",)),
        "dag.cpdag_shd": f(dag.cpdag_shd, {"B_true": DAG, "B_est": DAG_OTHER},
                           linked=("B_est",)),
        "dag.dag_to_cpdag": f(dag.dag_to_cpdag, {"B": DAG}),
        "dag.is_dag": f(dag.is_dag, {"W": WEIGHTED_DAG}),
        "dag.simulate_dag": f(dag.simulate_dag, {}, {"d": 5, "n_edges": 4}),
        "dag.simulate_sem": f(dag.simulate_sem, {"W": WEIGHTED_DAG}, {"n": 10}),
        "dag.simulate_weights": f(dag.simulate_weights, {"B": DAG}),
        "dag.structural_hamming_distance": f(
            dag.structural_hamming_distance, {"B_true": DAG, "B_est": DAG_OTHER},
            linked=("B_est",)),
        "dag.structural_intervention_distance": f(
            dag.structural_intervention_distance, {"B_true": DAG, "B_est": DAG_OTHER},
            linked=("B_est",)),
        "dag.to_dag": f(dag.to_dag, {"W": WEIGHTED_DAG}),
        # ------------------------------------------------------------------ gp
        "gp.GSMKernel": Recipe(
            run=lambda a, p: gp.GSMKernel(a["weights"], a["means"], **p)(a["X"]),
            arrays={"weights": GRID_WEIGHTS, "means": GRID_MEANS[:, 0], "X": X_REG[:, :1]},
            params={"scales": 0.1}, hyper=("scales",), linked=("means",)),
        "gp.GSMPKernel": Recipe(
            run=lambda a, p: gp.GSMPKernel(a["weights"], a["means"], **p)(a["X"]),
            arrays={"weights": GRID_WEIGHTS, "means": GRID_MEANS, "X": X_REG[:, :2]},
            params={"scales": 0.1}, hyper=("scales",), linked=("means",)),
        "gp.make_spectral_grid": f(gp.make_spectral_grid, {"X": X_REG}, {"n_components": 6}),
        # ----------------------------------------------------------------- ldp
        "ldp.Aggregator": Recipe(run=ldp_server, arrays={"X": X_REG, "y": Y_REG},
                                 linked=("y",)),
        "ldp.GaussianMechanism": Recipe(
            run=lambda a, p: ldp.GaussianMechanism(**p, random_state=0).randomise(a["values"]),
            arrays={"values": X_REG}, params={"epsilon": 1.0, "delta": 1e-6, "sensitivity": 1.0},
            hyper=("epsilon", "delta", "sensitivity")),
        "ldp.L2BallMechanism": Recipe(
            run=lambda a, p: ldp.L2BallMechanism(**p, random_state=0).randomise(a["values"]),
            arrays={"values": X_REG}, params={"epsilon": 1.0, "radius": 10.0},
            hyper=("epsilon", "radius")),
        "ldp.LaplaceMechanism": Recipe(
            run=lambda a, p: ldp.LaplaceMechanism(**p, random_state=0).randomise(a["values"]),
            arrays={"values": X_REG}, params={"epsilon": 1.0, "sensitivity": 1.0},
            hyper=("epsilon", "sensitivity")),
        "ldp.LocalRandomizer": Recipe(
            run=lambda a, p: ldp_device(p).report(a["X"], a["y"]),
            arrays={"X": X_REG, "y": Y_REG}, params={"epsilon": 1.0, "delta": 1e-6},
            hyper=("epsilon", "delta", "x_bound", "y_bound"), linked=("y",)),
        "ldp.Reports": Recipe(
            run=lambda a, p: ldp.Reports("public", 5, 1, {"cross": X_REG[0]}, {"cross": 1.0},
                                         summed=True),
            arrays={}, no_bad_input="a container that LocalRandomizer.report fills; the "
                                    "server (Aggregator.partial_fit) checks it"),
        "ldp.analytic_gaussian_sigma": f(ldp.analytic_gaussian_sigma, {},
                                         {"epsilon": 1.0, "delta": 1e-6}),
        "ldp.classic_gaussian_sigma": f(ldp.classic_gaussian_sigma, {},
                                        {"epsilon": 0.5, "delta": 1e-6}),
        "ldp.thresholded_least_squares": f(ldp.thresholded_least_squares,
                                           {"X": X_REG, "y": Y_REG}, {"threshold": 0.1},
                                           linked=("y",)),
        # ----------------------------------------------------------------- sbl
        "sbl.kronecker_sbl": Recipe(
            run=lambda a, p: sbl.kronecker_sbl([a["A[0]"], a["A[1]"]], a["y"], **p),
            arrays={"A[0]": X_REG[:4, :3], "A[1]": X_REG[4:9, :4], "y": Y_REG},
            accepts={"A[0]": {"complex"}, "A[1]": {"complex"}, "y": {"complex"}},
            linked=("y",), function=sbl.kronecker_sbl, params={"max_iter": 20}),
        # ---------------------------------------------------------- dictionary
        "SparseCoder": estimator_recipe(
            dictionary.SparseCoder(ATOMS, transform_algorithm="lasso", transform_alpha=0.1),
            X_REG, negative_ok=("n_jobs",)),
        "OnlineDictionaryLearning": estimator_recipe(
            dictionary.OnlineDictionaryLearning(3, alpha=0.1, batch_size=8, n_epochs=2,
                                                random_state=0), X_REG,
            negative_ok=("n_jobs",)),
        "OnlineOrthogonalDictionaryLearning": estimator_recipe(
            dictionary.OnlineOrthogonalDictionaryLearning(batch_size=8, random_state=0),
            X_REG, negative_ok=("n_jobs",)),
        "SupervisedDictionaryLearning": estimator_recipe(
            dictionary.SupervisedDictionaryLearning(max_iter=50), X_REG, Y_BINARY,
            accepts=labels),
        "dictionary.sparse_encode": f(dictionary.sparse_encode,
                                      {"X": X_REG, "dictionary": ATOMS}, {"alpha": 0.1},
                                      hyper=("alpha",), negative_ok=("n_jobs",)),
        # ------------------------------------------------------------------ ot
        "ot.qrot": f(ot.qrot, ot_arrays, {"reg": 1.0}, **ot_options),
        "ot.qrot2": f(ot.qrot2, ot_arrays, {"reg": 1.0}, **ot_options),
        "ot.route_tokens": f(ot.route_tokens, {"logits": LOGITS}, {"k": 1}),
        "ot.sinkhorn2": f(ot.sinkhorn2, ot_arrays, {"reg": 1.0}, **ot_options),
        "ot.sinkhorn_log": f(ot.sinkhorn_log, ot_arrays, {"reg": 1.0}, **ot_options),
        "ot.sinkhorn_newton_sparse": f(ot.sinkhorn_newton_sparse, ot_arrays, {"reg": 1.0},
                                       **ot_options),
        "ot.sparsity_constrained_ot": f(ot.sparsity_constrained_ot, ot_arrays,
                                        {"reg": 1.0, "max_nz": 2}, **ot_options),
    }
    return recipes


RECIPES = _recipes()
