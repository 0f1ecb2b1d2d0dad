"""scikit-learn's common checks on every public estimator, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sparseopt.utils import all_estimators


def _instances():
    """Every estimator with its defaults, plus the block-engine configurations
    and the DAG estimators' other modes."""
    from sparseopt.bcd import ElasticNet, Lasso, LeastSquaresBCD
    from sparseopt.dag import ColideNV, DagmaLinear

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
    from sparseopt.gp import GSMPRegressor, SLIMKLRegressor

    # small grids and iteration caps: the checks' 10-feature data cost 2^9 cosine terms
    # per atom, minutes for the default 300 atoms (same code paths, fewer atoms and steps)
    short = {"n_components": 4, "max_iter": 10}
    gp = {"GSMPRegressor": [GSMPRegressor(**short),
                            GSMPRegressor(solver="sca", n_blocks=2, **short)],
          "SLIMKLRegressor": [SLIMKLRegressor(n_agents=2, local_max_iter=1, **short),
                              SLIMKLRegressor(n_agents=2, local_max_iter=1, quantization_bits=8,
                                              fusion="rbcm", **short)]}
    defaults = [cls() for name, cls in all_estimators() if name not in gp]
    return defaults + engine + sbl + dag + [model for models in gp.values() for model in models]


def test_every_estimator_is_discovered():
    names = [name for name, _ in all_estimators()]
    assert names == sorted(names) and "Lasso" in names


@parametrize_with_checks(_instances())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
