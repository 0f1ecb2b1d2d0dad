"""The package's architecture: imports only go down, solvers grouped by topic."""

import ast
import importlib
from pathlib import Path

import pytest

import sparseopt
from sparseopt.utils.discovery import FAMILIES

PACKAGE = Path(sparseopt.__file__).parent
# ground: utils; floor 1: core; floor 2: solvers; floor 3: the families;
# beside the families (may use all of them): datasets, the command line and its tour
FLOORS = {"utils": 0, "core": 1, "solvers": 2, **{family: 3 for family in FAMILIES},
          "datasets": 4, "cli": 4, "tour": 4, "__main__": 4}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] == "__init__":
            continue
        yield path, parts[0]


def _imported_subpackages(path):
    """Every ``sparseopt.<top>`` a module imports, at module level or inside functions."""
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "sparseopt":
                names = [f"sparseopt.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "sparseopt" and len(parts) > 1:
                yield parts[1], node.lineno


def test_every_module_has_a_floor():
    assert {top for _, top in _modules()} <= set(FLOORS)


@pytest.mark.parametrize("path, top", list(_modules()),
                         ids=[str(p.relative_to(PACKAGE)) for p, _ in _modules()])
def test_imports_only_go_down(path, top):
    for imported, line in _imported_subpackages(path):
        where = f"{path.relative_to(PACKAGE)}:{line} imports sparseopt.{imported}"
        assert FLOORS[imported] <= FLOORS[top], f"upward import: {where}"
        if FLOORS[top] == 3 and imported != top:
            assert FLOORS[imported] < 3, f"a family imports another family: {where}"


def test_solvers_hold_only_topic_subpackages():
    solvers = PACKAGE / "solvers"
    entries = {p.name for p in solvers.iterdir() if p.name != "__pycache__"}
    modules = {name for name in entries if name.endswith(".py")}
    assert modules == {"__init__.py"}, f"modules outside a topic subpackage: {modules}"
    for topic in entries - modules:
        assert (solvers / topic / "__init__.py").is_file(), f"solvers/{topic} is not a package"
        module = importlib.import_module(f"sparseopt.solvers.{topic}")
        assert module.__doc__ and len(module.__doc__.split()) >= 20, (
            f"sparseopt.solvers.{topic} needs a docstring saying what it holds and who uses it")


def test_public_solver_functions_stay_importable():
    import sparseopt.solvers as solvers

    assert set(solvers.__all__) >= {"bcd_enet", "bcd_lasso", "bcd_minimize", "enet_dual_gap",
                                    "logistic_dual_gap", "greedy_forest_block",
                                    "lattice_comb_blocks", "lattice_red_black_blocks",
                                    "red_black_blocks", "tree_partition_blocks"}
    for name in solvers.__all__:
        assert callable(getattr(solvers, name))
