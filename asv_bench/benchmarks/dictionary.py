"""Sparse coding: sparseopt against scikit-learn's sparse_encode and SPAMS.

Data (the issue's target setting): 8x8 patches of scikit-learn's bundled
china.jpg (grey, 20k patches, standardised per pixel); the dictionary is 100
normalised random patches (Mairal et al.'s and SPAMS' initialisation, atom
coherence above 0.9); the first 10k patches are coded. Lasso:
``1/2 ||x - D^T c||^2 + alpha ||c||_1``, alpha = 1, the same problem for every
library (scikit-learn's ``lasso_cd`` and ``lasso_lars``, SPAMS ``lasso``
mode 2). OMP: 5 atoms, scikit-learn's ``omp``; ORMP: 5 atoms, SPAMS ``omp``
(which is ORMP). Single thread, numba warm. Quality next to time: the mean
objective, its excess over the best of all implementations, and the largest
KKT violation (lasso); the fraction of signals whose support equals the
anchor's (greedy coders).
"""

import functools
import warnings

import numpy as np

from sparseopt.dictionary import sparse_encode

from .common import Benchmark

ALPHA = 1.0
N_CODED = 10_000


@functools.lru_cache(maxsize=1)
def china_patches(n_patches=20_000, n_atoms=100, seed=0):
    from sklearn.datasets import load_sample_image
    from sklearn.feature_extraction.image import extract_patches_2d

    image = load_sample_image("china.jpg").mean(axis=2) / 255.0
    patches = extract_patches_2d(image, (8, 8), max_patches=n_patches, random_state=seed)
    patches = patches.reshape(n_patches, -1)
    patches = (patches - patches.mean(axis=0)) / patches.std(axis=0)
    rng = np.random.default_rng(seed)
    dictionary = patches[rng.choice(n_patches, n_atoms, replace=False)]
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    return patches, dictionary


def lasso_objective(X, dictionary, codes, alpha=ALPHA):
    """Per-signal ``1/2 ||x - D^T c||^2 + alpha ||c||_1`` (one formula for all)."""
    return 0.5 * ((X - codes @ dictionary) ** 2).sum(1) + alpha * np.abs(codes).sum(1)


def kkt_violation(X, dictionary, codes, alpha=ALPHA):
    correlation = (X - codes @ dictionary) @ dictionary.T
    on = np.abs(correlation - alpha * np.sign(codes))
    off = np.maximum(np.abs(correlation) - alpha, 0.0)
    return float(np.where(codes != 0, on, off).max())


def encode(implementation, method, X, dictionary):
    """Codes of ``X`` (rows) by one library, as an (n_samples, n_atoms) array."""
    if implementation == "sparseopt":
        options = dict(alpha=ALPHA) if method == "lasso" else dict(n_nonzero_coefs=5)
        return sparse_encode(X, dictionary, method=method, **options)
    if implementation == "spams":
        import spams

        signals, atoms = np.asfortranarray(X.T), np.asfortranarray(dictionary.T)
        if method == "lasso":
            codes = spams.lasso(signals, D=atoms, lambda1=ALPHA, mode=2, numThreads=1)
        else:
            codes = spams.omp(signals, D=atoms, L=5, numThreads=1)
        return np.asarray(codes.todense()).T
    from sklearn.decomposition import sparse_encode as sklearn_encode

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lasso_cd's ConvergenceWarnings, omp's dependence
        if method == "lasso":
            return sklearn_encode(X, dictionary, algorithm=implementation.split("-")[1],
                                  alpha=ALPHA)
        return sklearn_encode(X, dictionary, algorithm="omp", n_nonzero_coefs=5)


class _Coding(Benchmark):
    method = None
    param_names = ["implementation"]

    def setup(self, implementation):
        self.single_thread()
        if implementation == "spams":
            self.skip_unless_installed("spams")
        patches, self.dictionary = china_patches()
        self.X = patches[:N_CODED]
        encode(implementation, self.method, self.X[:50], self.dictionary)  # warm-up

    def time_encode(self, implementation):
        encode(implementation, self.method, self.X, self.dictionary)


class LassoCoding(_Coding):
    """Lasso codes of 10k china patches, 100 atoms, alpha=1 (targets: <= 2x SPAMS'
    time, >= 15x faster than sklearn lasso_cd, same objective to 1e-8)."""

    method = "lasso"
    params = (["sparseopt", "sklearn-lasso_cd", "sklearn-lasso_lars", "spams"],)

    def track_mean_objective(self, implementation):
        codes = encode(implementation, "lasso", self.X, self.dictionary)
        return float(lasso_objective(self.X, self.dictionary, codes).mean())

    track_mean_objective.unit = "objective"

    def track_excess_over_sparseopt(self, implementation):
        """Mean over signals of F(codes) - F(sparseopt's codes), relative."""
        codes = encode(implementation, "lasso", self.X, self.dictionary)
        ours = sparse_encode(self.X, self.dictionary, alpha=ALPHA)
        mine = lasso_objective(self.X, self.dictionary, ours)
        return float((lasso_objective(self.X, self.dictionary, codes) - mine).mean()
                     / mine.mean())

    track_excess_over_sparseopt.unit = "relative objective"

    def track_kkt_violation(self, implementation):
        codes = encode(implementation, "lasso", self.X, self.dictionary)
        return kkt_violation(self.X, self.dictionary, codes)

    track_kkt_violation.unit = "max |violation|"


class OMPCoding(_Coding):
    """OMP, 5 atoms, 10k china patches (target: >= 10x faster than sklearn's omp)."""

    method = "omp"
    params = (["sparseopt", "sklearn"],)

    def track_supports_equal_to_sklearn(self, implementation):
        codes = encode(implementation, "omp", self.X, self.dictionary)
        reference = encode("sklearn", "omp", self.X, self.dictionary)
        return float(np.mean(np.all((codes != 0) == (reference != 0), axis=1)))

    track_supports_equal_to_sklearn.unit = "fraction of signals"


class ORMPCoding(_Coding):
    """ORMP, 5 atoms, 10k china patches: sparseopt's ormp vs SPAMS' omp (ORMP)."""

    method = "ormp"
    params = (["sparseopt", "spams"],)

    def track_supports_equal_to_spams(self, implementation):
        self.skip_unless_installed("spams")
        codes = encode(implementation, "ormp", self.X, self.dictionary)
        reference = encode("spams", "ormp", self.X, self.dictionary)
        return float(np.mean(np.all((codes != 0) == (reference != 0), axis=1)))

    track_supports_equal_to_spams.unit = "fraction of signals"


def learn_dictionary(implementation, patches, n_epochs, seed=0):
    """100 atoms learned on the patches, alpha = 1, batches of 256."""
    if implementation == "sparseopt":
        from sparseopt.dictionary import OnlineDictionaryLearning

        model = OnlineDictionaryLearning(100, alpha=ALPHA, batch_size=256, n_epochs=n_epochs,
                                         random_state=seed)
        return model.fit(patches).components_
    if implementation == "spams":
        import spams

        signals = np.asfortranarray(patches.T)
        atoms = spams.trainDL(signals, K=100, lambda1=ALPHA, mode=2, batchsize=256,
                              iter=n_epochs * len(patches) // 256, numThreads=1,
                              verbose=False)
        return np.asarray(atoms).T
    from sklearn.decomposition import MiniBatchDictionaryLearning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MiniBatchDictionaryLearning(100, alpha=ALPHA, batch_size=256,
                                            max_iter=n_epochs, fit_algorithm="cd", tol=0,
                                            max_no_improvement=None, random_state=seed)
        return model.fit(patches).components_


class OnlineLearning(Benchmark):
    """Online dictionary learning on 20k china patches, 100 atoms, alpha=1, batches of 256
    (targets: objective <= 8.450 after 3 epochs, <= 2x SPAMS trainDL's time, >= 10x
    faster than sklearn's MiniBatchDictionaryLearning). The objective is the mean exact
    lasso cost of all patches on the learned atoms (one formula for every library)."""

    params = (["sparseopt", "sklearn", "spams"], [1, 3])
    param_names = ["implementation", "n_epochs"]
    repeat = (1, 3, 120.0)

    def setup(self, implementation, n_epochs):
        self.single_thread()
        if implementation == "spams":
            self.skip_unless_installed("spams")
        if implementation == "sklearn" and n_epochs == 3:
            raise NotImplementedError("sklearn at 3 epochs: ~60 s per run, 1 epoch suffices")
        self.patches, _ = china_patches()
        learn_dictionary(implementation, self.patches[:512], 1)  # warm-up

    def time_fit(self, implementation, n_epochs):
        learn_dictionary(implementation, self.patches, n_epochs)

    def track_objective(self, implementation, n_epochs):
        atoms = learn_dictionary(implementation, self.patches, n_epochs)
        codes = sparse_encode(self.patches, atoms, alpha=ALPHA)
        return float(lasso_objective(self.patches, atoms, codes).mean())

    track_objective.unit = "objective"


@functools.lru_cache(maxsize=1)
def digits_three_eight(seed=0):
    """Digits 3 vs 8 with the standardised ink covariate, split in half
    (stratified), as the supervised gallery example."""
    from sklearn.model_selection import train_test_split

    from sparseopt.datasets import load_digits_ink

    X, y, covariates = load_digits_ink(classes=(3, 8))
    return train_test_split(X, y, covariates, test_size=0.5, random_state=seed, stratify=y)


def supervised_model(implementation):
    """A classifier on 2 atoms (or the raw pixels) with the ink covariate, ``fit(X, y, c)``
    and ``predict(X, c)`` for every implementation."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression

    from sparseopt.dictionary import SupervisedDictionaryLearning

    if implementation.startswith("sparseopt"):
        _, variant, solver, xi = implementation.split("-")
        model = SupervisedDictionaryLearning(n_components=2, xi=float(xi), nu=1.0,
                                             variant=variant, solver=solver, max_iter=300)
        return model.fit, model.predict

    features = {"two_stage_pca": lambda X: pca.transform(X), "logistic_pixels": lambda X: X}
    pca = PCA(2, random_state=0)
    classifier = LogisticRegression(C=1.0, max_iter=1000)

    def fit(X, y, covariates):
        if implementation == "two_stage_pca":
            pca.fit(X)
        classifier.fit(np.hstack([features[implementation](X), covariates]), y)

    def predict(X, covariates):
        return classifier.predict(np.hstack([features[implementation](X), covariates]))

    return fit, predict


class SupervisedDigits(Benchmark):
    """Supervised dictionary learning, digits 3 vs 8 with the ink covariate, 2 atoms,
    300 iterations, nu = 1: held-out accuracy next to fit time, against factorise-then-
    regress (PCA's 2 directions, then logistic regression) and logistic regression on
    all 64 pixels (the accuracy ceiling without a rank constraint)."""

    params = (["sparseopt-filter-lpgd-0.01", "sparseopt-filter-bcd-0.01",
               "sparseopt-feature-bcd-0.1", "two_stage_pca", "logistic_pixels"],)
    param_names = ["implementation"]
    repeat = (1, 3, 120.0)

    def setup(self, implementation):
        self.single_thread()
        self.split = digits_three_eight()
        X_train, _, y_train, _, c_train, _ = self.split
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            supervised_model(implementation)[0](X_train[:40], y_train[:40], c_train[:40])

    def _fit(self, implementation):
        X_train, X_test, y_train, y_test, c_train, c_test = self.split
        fit, predict = supervised_model(implementation)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # max_iter reached: accuracy is what is tracked
            fit(X_train, y_train, c_train)
        return predict, X_test, y_test, c_test

    def time_fit(self, implementation):
        self._fit(implementation)

    def track_accuracy(self, implementation):
        predict, X_test, y_test, c_test = self._fit(implementation)
        return float(np.mean(predict(X_test, c_test) == y_test))

    track_accuracy.unit = "held-out accuracy"


class AtomRecovery(Benchmark):
    """Noiseless make_sparse_coded_signal (20 atoms in 30 dimensions, 3 non-zeros,
    2000 signals), alpha = 0.3, batches of 32, 20 epochs: the fraction of planted atoms
    recovered at |cos| > 0.99, median over 5 seeds, next to the fit time of seed 0."""

    params = (["sparseopt", "sklearn"],)
    param_names = ["implementation"]
    repeat = (1, 3, 120.0)

    @staticmethod
    def learn(implementation, seed):
        from sklearn.datasets import make_sparse_coded_signal
        from sklearn.decomposition import MiniBatchDictionaryLearning

        from sparseopt.dictionary import OnlineDictionaryLearning

        X, dictionary, _ = make_sparse_coded_signal(2000, n_components=20, n_features=30,
                                                    n_nonzero_coefs=3, random_state=seed)
        if implementation == "sparseopt":
            model = OnlineDictionaryLearning(20, alpha=0.3, batch_size=32, n_epochs=20,
                                             random_state=seed)
        else:
            model = MiniBatchDictionaryLearning(20, alpha=0.3, batch_size=32, max_iter=20,
                                                tol=0, max_no_improvement=None,
                                                random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            learned = model.fit(X).components_
        cosines = np.abs(learned @ dictionary.T) / np.linalg.norm(learned, axis=1)[:, None]
        return float(np.mean(cosines.max(axis=0) > 0.99))

    def setup(self, implementation):
        self.single_thread()

    def time_fit(self, implementation):
        self.learn(implementation, 0)

    def track_recovered_fraction(self, implementation):
        return float(np.median([self.learn(implementation, seed) for seed in range(5)]))

    track_recovered_fraction.unit = "fraction of atoms"
