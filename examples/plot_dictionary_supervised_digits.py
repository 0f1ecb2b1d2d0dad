"""
Supervised dictionary learning on handwritten digits, with a covariate
=======================================================================

scikit-learn's bundled digits (8x8 images): tell 3s from 8s. We learn
``r = 2`` atoms with :class:`sparseopt.dictionary.SupervisedDictionaryLearning`
(Lee, Lyu & Yao; filter variant) and pass one auxiliary covariate, the total
ink of the image, straight to the classifier. A small ``xi`` lets the labels
shape the atoms (discriminative atoms); a large ``xi`` makes them the top
principal directions of the images (reconstructive atoms: factorise, then
regress). We compare held-out accuracy over 10 random splits and show the
atoms of both (measured: median 0.983, range 0.944-1.000, against 0.955,
range 0.911-0.978).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sparseopt.datasets import load_digits_ink
from sparseopt.dictionary import SupervisedDictionaryLearning

X, y, covariates = load_digits_ink(classes=(3, 8))  # pixels / 16 centred, standardised ink

settings = {"discriminative (xi = 0.01)": 0.01, "reconstructive (xi = 100)": 100.0}
scores = {name: [] for name in settings}
models = {}
for seed in range(10):
    split = train_test_split(X, y, covariates, test_size=0.5, random_state=seed, stratify=y)
    X_train, X_test, y_train, y_test, c_train, c_test = split
    for name, xi in settings.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # accuracy is checked below
            model = SupervisedDictionaryLearning(n_components=2, xi=xi, nu=1.0,
                                                 max_iter=300).fit(X_train, y_train,
                                                                   covariates=c_train)
        scores[name].append(np.mean(model.predict(X_test, covariates=c_test) == y_test))
        models[name] = model
for name, values in scores.items():
    print(f"{name:28s} held-out accuracy: median {np.median(values):.3f} "
          f"(min {np.min(values):.3f}, max {np.max(values):.3f})")

fig, axes = plt.subplots(2, 2, figsize=(5, 5))
for row, (name, model) in enumerate(models.items()):
    for k in range(2):
        axes[row, k].imshow(model.components_[k].reshape(8, 8), cmap="RdBu")
        axes[row, k].set_title(f"{name.split()[0]} atom {k + 1}", fontsize=8)
        axes[row, k].set_axis_off()
fig.tight_layout()
plt.show()
