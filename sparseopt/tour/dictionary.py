"""Tour rows of dictionary learning and sparse coding (:mod:`sparseopt.dictionary`).

The images are 8x8 patches of scikit-learn's bundled ``china.jpg``,
standardised per pixel; the digits are scikit-learn's bundled digits. Every
quality figure is recomputed from what each library returned, with one
formula: the mean lasso objective of the codes, the mean squared residual of
the codes, or the held-out accuracy. scikit-learn is the anchor (SPAMS, when
installed, is compared in ``asv_bench/benchmarks/dictionary.py``).
"""

import functools

import numpy as np

from sparseopt.tour._runner import Implementation, Task

_ALPHA = 1.0


@functools.lru_cache(maxsize=2)
def _patches(n_patches):
    from sklearn.datasets import load_sample_image
    from sklearn.feature_extraction.image import extract_patches_2d

    image = load_sample_image("china.jpg").mean(axis=2) / 255.0
    patches = extract_patches_2d(image, (8, 8), max_patches=n_patches, random_state=0)
    patches = patches.reshape(n_patches, -1)
    return (patches - patches.mean(axis=0)) / patches.std(axis=0)


def _random_atoms(patches, n_atoms):
    rng = np.random.default_rng(0)
    atoms = patches[rng.choice(len(patches), n_atoms, replace=False)]
    return atoms / np.linalg.norm(atoms, axis=1, keepdims=True)


def _lasso_objective(X, dictionary, codes):
    residual = X - codes @ dictionary
    return float(np.mean(0.5 * (residual ** 2).sum(axis=1) + _ALPHA * np.abs(codes).sum(axis=1)))


def _residual(X, dictionary, codes):
    return float(np.mean(((X - codes @ dictionary) ** 2).sum(axis=1)))


def _nonzeros(codes):
    return f"{np.mean(np.sum(codes != 0, axis=1)):.1f} non-zeros per signal"


def sparse_coding(quick=False):
    """sparse_encode (lasso) next to scikit-learn's sparse_encode (lasso_cd)."""
    n_patches = 1000 if quick else 4000
    X = _patches(n_patches)
    dictionary = _random_atoms(X, 100)

    def ours():
        from sparseopt.dictionary import sparse_encode
        return sparse_encode(X, dictionary, method="lasso", alpha=_ALPHA)

    def sklearn(algorithm):
        def run():
            from sklearn.decomposition import sparse_encode
            # sklearn's alpha multiplies the l1 norm of 1/2 ||x - D^T c||^2 + alpha ||c||_1
            return sparse_encode(X, dictionary, algorithm=algorithm, alpha=_ALPHA,
                                 max_iter=1000)
        return run

    return Task(
        title="sparse_encode: lasso codes of image patches on a coherent dictionary",
        data=f"china.jpg 8x8 patches, {n_patches} signals x 100 random-patch atoms, "
             f"alpha = {_ALPHA}",
        metric="objective",
        higher_is_better=False,
        score=lambda codes: _lasso_objective(X, dictionary, codes),
        details=_nonzeros,
        covers=("sparse_encode",),
        implementations=[
            Implementation("sparseopt sparse_encode lasso", ours, compiles=True),
            Implementation("sklearn sparse_encode lasso_cd", sklearn("lasso_cd"),
                           role="anchor"),
        ],
    )


def sparse_coder_omp(quick=False):
    """SparseCoder with batch OMP (5 atoms) next to scikit-learn's SparseCoder."""
    n_patches = 2000 if quick else 10_000
    X = _patches(n_patches)
    dictionary = _random_atoms(X, 100)

    def ours():
        from sparseopt.dictionary import SparseCoder
        return SparseCoder(dictionary, transform_algorithm="omp",
                           transform_n_nonzero_coefs=5).transform(X)

    def sklearn():
        from sklearn.decomposition import SparseCoder
        return SparseCoder(dictionary, transform_algorithm="omp",
                           transform_n_nonzero_coefs=5).transform(X)

    return Task(
        title="SparseCoder: 5-atom orthogonal matching pursuit codes",
        data=f"china.jpg 8x8 patches, {n_patches} signals x 100 random-patch atoms",
        metric="residual",
        higher_is_better=False,
        score=lambda codes: _residual(X, dictionary, codes),
        details=_nonzeros,
        covers=("SparseCoder",),
        implementations=[
            Implementation("sparseopt SparseCoder omp", ours, compiles=True),
            Implementation("sklearn SparseCoder omp", sklearn, role="anchor"),
        ],
    )


def online_learning(quick=False):
    """Online dictionary learning (Mairal et al.) next to MiniBatchDictionaryLearning."""
    n_patches = 2000 if quick else 10_000
    X = _patches(n_patches)
    start = _random_atoms(X, 100)
    options = dict(n_components=100, alpha=_ALPHA, batch_size=256, dict_init=start,
                   shuffle=False)

    def ours():
        from sparseopt.dictionary import OnlineDictionaryLearning
        return OnlineDictionaryLearning(n_epochs=1, random_state=0, **options).fit(X)

    def sklearn():
        from sklearn.decomposition import MiniBatchDictionaryLearning
        return MiniBatchDictionaryLearning(max_iter=1, fit_algorithm="cd",
                                           transform_algorithm="lasso_cd", random_state=0,
                                           **options).fit(X)

    def objective(model):
        from sparseopt.dictionary import sparse_encode

        codes = sparse_encode(X, model.components_, method="lasso", alpha=_ALPHA)
        return _lasso_objective(X, model.components_, codes)

    return Task(
        title="OnlineDictionaryLearning: 100 atoms from image patches, one pass",
        data=f"china.jpg 8x8 patches, {n_patches} signals, batches of 256, "
             f"alpha = {_ALPHA}, same initial atoms",
        metric="objective",
        higher_is_better=False,
        score=objective,
        details=lambda model: f"{model.components_.shape[0]} atoms",
        covers=("OnlineDictionaryLearning",),
        implementations=[
            Implementation("sparseopt OnlineDictionaryLearning", ours, compiles=True),
            Implementation("sklearn MiniBatchDictionaryLearning", sklearn, role="anchor"),
        ],
    )


def orthogonal_learning(quick=False):
    """Xue & Lau's online orthogonal dictionary: 5-sparse codes on held-out patches."""
    n_patches = 4000 if quick else 20_000
    X = _patches(n_patches + 2000)
    X_train, X_test = X[:n_patches], X[n_patches:]

    def ours():
        from sparseopt.dictionary import OnlineOrthogonalDictionaryLearning
        return OnlineOrthogonalDictionaryLearning(transform_n_nonzero_coefs=5,
                                                  random_state=0).fit(X_train)

    def pca():
        from sklearn.decomposition import PCA
        return PCA(random_state=0).fit(X_train)

    def held_out_residual(model):
        from sparseopt.dictionary import sparse_encode

        atoms = model.components_
        codes = sparse_encode(X_test, atoms, method="omp", n_nonzero_coefs=5)
        return _residual(X_test, atoms, codes)

    return Task(
        title="OnlineOrthogonalDictionaryLearning: an orthogonal basis for 5-sparse codes",
        data=f"china.jpg 8x8 patches, {n_patches} to learn, 2000 held out, 64 atoms",
        metric="residual",
        higher_is_better=False,
        score=held_out_residual,
        details=lambda model: "held-out mean squared residual of 5-atom OMP codes",
        covers=("OnlineOrthogonalDictionaryLearning",),
        implementations=[
            Implementation("sparseopt OnlineOrthogonalDictionaryLearning", ours,
                           compiles=True),
            Implementation("PCA basis (sklearn)", pca, role="baseline"),
        ],
    )


def supervised(quick=False):
    """Supervised dictionary learning with a covariate; factorise-then-regress baseline."""
    from sklearn.model_selection import train_test_split

    from sparseopt.datasets import load_bundled

    digits = load_bundled("digits")
    keep = np.isin(digits.target, [3, 8])
    X, y = digits.data[keep] / 16.0, digits.target[keep]
    ink = X.sum(axis=1, keepdims=True)
    X = X - X.mean(axis=0)
    covariates = (ink - ink.mean()) / ink.std()
    X, X_test, y, y_test, c, c_test = train_test_split(X, y, covariates, test_size=0.5,
                                                       random_state=0, stratify=y)

    def ours():
        from sparseopt.dictionary import SupervisedDictionaryLearning
        # stops when the objective's relative decrease per iteration is below 1e-4
        model = SupervisedDictionaryLearning(n_components=2, xi=0.01, nu=1.0, tol=1e-4,
                                             max_iter=1000).fit(X, y, covariates=c)
        predict = lambda: model.predict(X_test, covariates=c_test)  # noqa: E731
        predict.details = f"{model.n_iter_} iterations"
        return predict

    def pca_then_logistic():
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LogisticRegression

        pca = PCA(2).fit(X)
        features = np.hstack([pca.transform(X), c])
        model = LogisticRegression().fit(features, y)
        predict = lambda: model.predict(np.hstack([pca.transform(X_test), c_test]))  # noqa: E731
        predict.details = "two stages: atoms, then the classifier"
        return predict

    return Task(
        title="SupervisedDictionaryLearning: 2 atoms shaped by the labels, plus a covariate",
        data="digits 3 vs 8, pixels /16, total ink as covariate, 50% test",
        metric="test acc.",
        score=lambda predict: float(np.mean(predict() == y_test)),
        details=lambda predict: predict.details,
        covers=("SupervisedDictionaryLearning",),
        implementations=[
            Implementation("sparseopt SupervisedDictionaryLearning", ours, compiles=True),
            Implementation("PCA(2) then LogisticRegression", pca_then_logistic,
                           role="baseline"),
        ],
    )


TASKS = (sparse_coding, sparse_coder_omp, online_learning, orthogonal_learning, supervised)
