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
    return [cls() for _, cls in all_estimators()] + engine + sbl + dag


def test_every_estimator_is_discovered():
    names = [name for name, _ in all_estimators()]
    assert names == sorted(names) and "Lasso" in names


@parametrize_with_checks(_instances())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
