"""
Image denoising with a learned dictionary
=========================================

The right half of a grey crop of scikit-learn's bundled ``china.jpg`` is
corrupted with Gaussian noise. We learn 100 atoms of 7x7 patches from the
clean left half with :class:`sparseopt.dictionary.OnlineDictionaryLearning`
(Mairal et al.'s online algorithm, as scikit-learn's
``MiniBatchDictionaryLearning``, same settings side by side), then rebuild
each noisy patch from its sparse code (OMP with 2 atoms, and the exact
lasso) and average the overlapping patches, as in scikit-learn's "Image
denoising using dictionary learning" example. We print the fit times and
the error of each reconstruction.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image
from sklearn.decomposition import MiniBatchDictionaryLearning
from sklearn.feature_extraction.image import extract_patches_2d, reconstruct_from_patches_2d

from sparseopt.dictionary import OnlineDictionaryLearning, SparseCoder

image = load_sample_image("china.jpg").mean(axis=2)[100:260, 200:420] / 255.0
height, width = image.shape
rng = np.random.default_rng(0)
noisy = image.copy()
noisy[:, width // 2:] += 0.075 * rng.standard_normal((height, width - width // 2))

# training patches from the clean left half, centred and scaled
patch_size = (7, 7)
train = extract_patches_2d(image[:, : width // 2], patch_size).reshape(-1, 49)
train -= train.mean(axis=1, keepdims=True)
train /= train.std(axis=0)

learners = {
    "sparseopt": OnlineDictionaryLearning(100, alpha=1.0, batch_size=256, n_epochs=1,
                                          random_state=0),
    "sklearn": MiniBatchDictionaryLearning(100, alpha=1.0, batch_size=256, max_iter=1,
                                           fit_algorithm="cd", random_state=0),
}
atoms = {}
for name, learner in learners.items():
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's lasso_cd convergence warnings
        learner.fit(train)
    atoms[name] = learner.components_
    print(f"{name:9s} learned {len(train)} patches in {time.perf_counter() - start:5.2f} s")

# denoise the right half with each dictionary
noisy_right = noisy[:, width // 2:]
patches = extract_patches_2d(noisy_right, patch_size).reshape(-1, 49)
means = patches.mean(axis=1, keepdims=True)
centred = patches - means


def denoise(dictionary, **coding):
    codes = SparseCoder(dictionary, **coding).transform(centred)
    rebuilt = (codes @ dictionary + means).reshape(-1, *patch_size)
    return reconstruct_from_patches_2d(rebuilt, noisy_right.shape)


clean_right = image[:, width // 2:]
results = {"noisy": noisy_right}
results["OMP, 2 atoms"] = denoise(atoms["sparseopt"], transform_algorithm="omp",
                                  transform_n_nonzero_coefs=2)
results["OMP, 2 atoms (sklearn atoms)"] = denoise(atoms["sklearn"], transform_algorithm="omp",
                                                  transform_n_nonzero_coefs=2)
results["lasso, alpha=0.1"] = denoise(atoms["sparseopt"], transform_algorithm="lasso",
                                      transform_alpha=0.1)
for name, result in results.items():
    print(f"{name:30s} error norm {np.linalg.norm(result - clean_right):6.3f}")

fig, axes = plt.subplots(2, 3, figsize=(10, 6))
panels = [("atoms (sparseopt)", None)] + list(results.items()) + [("original", clean_right)]
for ax, (title, picture) in zip(axes.ravel(), panels, strict=True):
    if picture is None:
        grid = np.zeros((10 * 8, 10 * 8))
        for k, atom in enumerate(atoms["sparseopt"]):
            row, col = divmod(k, 10)
            grid[row * 8:row * 8 + 7, col * 8:col * 8 + 7] = atom.reshape(7, 7)
        picture = grid
    ax.imshow(picture, cmap="gray", interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
