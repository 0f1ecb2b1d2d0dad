"""scikit-learn's common checks on every public estimator, with no expected failures."""

import numpy as np
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
          GroupLassoCV(groups=2, **small), SparseLogisticRegressionCV(alphas=3, cv=2)]
    from sparseopt.gp import GSMPRegressor, SLIMKLRegressor

    # small grids and iteration caps: the checks' 10-feature data cost 2^9 cosine terms
    # per atom, minutes for the default 300 atoms (same code paths, fewer atoms and steps)
    tiny = {"n_components": 2, "max_iter": 3}
    gp = [GSMPRegressor(**tiny), GSMPRegressor(solver="sca", n_blocks=2, n_components=2,
                                               max_iter=2),
          SLIMKLRegressor(n_agents=2, local_max_iter=1, quantization_bits=8, fusion="rbcm",
                          **tiny)]
    bounds = dict(x_bound=10.0, y_bound=100.0, on_out_of_bounds="clip")
    ldp = [LDPSparseRegressor(n_nonzero=1, **bounds),
           LDPSparseRegressor(mode="nldp", **bounds),
           LDPSparseRegressor(mode="nldp", x_norm="l2", mechanism="l2_ball", **bounds)]
    from sparseopt.dictionary import SupervisedDictionaryLearning

    # the feature variant and the block coordinate descent (short runs: same code paths)
    sdl = [SupervisedDictionaryLearning(variant="feature", max_iter=10),
           SupervisedDictionaryLearning(solver="bcd", max_iter=10),
           SupervisedDictionaryLearning(variant="feature", solver="bcd", max_iter=10)]
    # estimators that need data-shaped parameters get them in their own test below
    needs_data = {"SparseCoder"}
    replaced = (LDPSparseRegressor, GSMPRegressor, SLIMKLRegressor)
    defaults = [cls() for name, cls in all_estimators()
                if not name.endswith("CV") and cls not in replaced and name not in needs_data]
    return defaults + engine + sbl + dag + cv + ldp + gp + sdl


def _sparse_coder(n_features):
    from sparseopt.dictionary import SparseCoder

    atoms = np.random.default_rng(0).standard_normal((5, n_features))
    return SparseCoder(atoms, transform_algorithm="lasso", transform_alpha=0.1)


def test_every_estimator_is_discovered():
    names = [name for name, _ in all_estimators()]
    assert names == sorted(names) and "Lasso" in names


@parametrize_with_checks(_instances())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# SparseCoder's dictionary fixes n_features: like scikit-learn's own common
# tests, each check gets a dictionary of the width of the data it builds.
_CODER_FEATURES = {
    "check_estimators_dtypes": 5, "check_dtype_object": 10,
    "check_transformers_unfitted_stateless": 5, "check_fit_idempotent": 2,
    "check_transformer_preserve_dtypes": 3, "check_set_output_transform": 5,
    "check_global_output_transform_pandas": 5, "check_set_output_transform_pandas": 5,
    "check_set_output_transform_polars": 5, "check_global_set_output_transform_polars": 5,
    "check_dataframe_column_names_consistency": 8, "check_estimators_overwrite_params": 2,
    "check_estimators_fit_returns_self": 2, "check_readonly_memmap_input": 2,
    "check_n_features_in_after_fitting": 4, "check_positive_only_tag_during_fit": 4,
    "check_fit2d_1sample": 10, "check_fit2d_1feature": 1, "check_fit_check_is_fitted": 2,
    "check_n_features_in": 2, "check_array_api_input": 10,
}


def _check_name(check):
    return getattr(check, "__name__", None) or check.func.__name__


@parametrize_with_checks([_sparse_coder(3)])
def test_sklearn_compatible_sparse_coder(estimator, check):
    width = _CODER_FEATURES.get(_check_name(check))
    check(estimator if width is None else _sparse_coder(width))
