"""scikit-learn's common checks on every public estimator, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sparseopt.utils import all_estimators


def _instances():
    """Every estimator with its defaults, plus the block-engine configurations, the DAG
    estimators' other modes, the cross-validated ones on small grids and the LDP
    protocols (whose bounds must be declared: they have no default)."""
    from sparseopt.bcd import ElasticNet, Lasso, LeastSquaresBCD
    from sparseopt.dag import ColideNV, DagmaLinear
    from sparseopt.ldp import LDPSparseRegressor

    engine = [
        Lasso(blocks="variable", block_size=2, selection="gsl", update="newton"),
        ElasticNet(blocks="sorted", block_size=2, selection="gsq", update="lipschitz_matrix"),
        # tight tol: the sample-weight equivalence checks compare two solves to 1e-7
        LeastSquaresBCD(alpha=0.1, blocks="fixed", block_size=1, selection="gs_r", tol=1e-15),
        Lasso(selection="lipschitz", active_set=True),
    ]
    from sparseopt.sbl import BlockSBL, KroneckerSBL, SBLRegressor

    sbl = [SBLRegressor(update="em"), SBLRegressor(update="mm"), SBLRegressor(update="fast"),
           BlockSBL(update="bo", intra_correlation=0.5), KroneckerSBL(solver="am")]
    short = {"T": 2, "warm_iter": 2000, "max_iter": 3000}
    dag = [DagmaLinear(standardize=True, **short), ColideNV(official=True, **short)]
    # cross-validation: defaults fit 250 paths per call (measured: 4 min for the four
    # estimators' checks); small grids and 3 folds run every check on the same code
    from sparseopt.bcd import ElasticNetCV, GroupLassoCV, LassoCV, SparseLogisticRegressionCV

    # (tight tol: the sample-weight equivalence checks compare two CV runs to 1e-9)
    small = {"alphas": 5, "cv": 3, "tol": 1e-12}
    cv = [LassoCV(**small), ElasticNetCV(l1_ratio=[0.5, 1.0], **small),
          GroupLassoCV(groups=2, **small), SparseLogisticRegressionCV(alphas=5, cv=3)]
    from sparseopt.gp import GSMPRegressor, SLIMKLRegressor

    # small grids and iteration caps: the checks' 10-feature data cost 2^9 cosine terms
    # per atom, minutes for the default 300 atoms (same code paths, fewer atoms and steps)
    tiny = {"n_components": 4, "max_iter": 10}
    gp = [GSMPRegressor(**tiny), GSMPRegressor(solver="sca", n_blocks=2, n_components=4,
                                               max_iter=3),
          SLIMKLRegressor(n_agents=2, local_max_iter=1, quantization_bits=8, fusion="rbcm",
                          **tiny)]
    bounds = dict(x_bound=10.0, y_bound=100.0, on_out_of_bounds="clip")
    ldp = [LDPSparseRegressor(n_nonzero=1, **bounds),
           LDPSparseRegressor(mode="nldp", **bounds),
           LDPSparseRegressor(mode="nldp", x_norm="l2", mechanism="l2_ball", **bounds)]
    replaced = (LDPSparseRegressor, GSMPRegressor, SLIMKLRegressor)
    defaults = [cls() for name, cls in all_estimators()
                if not name.endswith("CV") and cls not in replaced]
    return defaults + engine + sbl + dag + cv + ldp + gp


def test_every_estimator_is_discovered():
    names = [name for name, _ in all_estimators()]
    assert names == sorted(names) and "Lasso" in names


@parametrize_with_checks(_instances())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
