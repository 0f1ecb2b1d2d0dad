"""
Learning a dictionary from a stream of image patches
====================================================

Out-of-core learning: the patches are never stored. Each mini-batch is 256
random 8x8 patches cut on the fly from one of scikit-learn's two bundled
images (``china.jpg`` and ``flower.jpg``, grey), handed to
:meth:`sparseopt.dictionary.OnlineDictionaryLearning.partial_fit` and thrown
away. The learner keeps only Mairal et al.'s sufficient statistics (a 64 x 64
and a 64 x 64 matrix for 64 atoms of 64 pixels), so its memory does not grow
with the stream: we measure the peak memory of two streams, one four times
longer than the other.

Side by side, scikit-learn's ``MiniBatchDictionaryLearning.partial_fit`` sees
the same batches from the same initial atoms. Every 10 batches both
dictionaries are scored on the same 2000 held-out patches by one formula,
the mean lasso cost :math:`\\tfrac12\\|x - D^\\top c\\|^2 + \\alpha\\|c\\|_1`
with exact codes.
"""

import time
import tracemalloc
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image
from sklearn.decomposition import MiniBatchDictionaryLearning

from sparseopt.dictionary import OnlineDictionaryLearning, sparse_encode

IMAGES = [load_sample_image(name).mean(axis=2) / 255.0 for name in ("china.jpg", "flower.jpg")]
SIDE, ALPHA, N_ATOMS, BATCH = 8, 0.1, 64, 256


def patches(n_patches, rng):
    """``n_patches`` random centred patches, cut from the bundled images on demand."""
    out = np.empty((n_patches, SIDE * SIDE))
    for k in range(n_patches):
        image = IMAGES[rng.integers(len(IMAGES))]
        row = rng.integers(image.shape[0] - SIDE + 1)
        col = rng.integers(image.shape[1] - SIDE + 1)
        out[k] = image[row:row + SIDE, col:col + SIDE].ravel()
    return out - out.mean(axis=1, keepdims=True)


def stream(n_batches, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n_batches):
        yield patches(BATCH, rng)


held_out = patches(2000, np.random.default_rng(12345))
initial = patches(N_ATOMS, np.random.default_rng(7))
initial /= np.linalg.norm(initial, axis=1, keepdims=True)


def held_out_cost(atoms):
    codes = sparse_encode(held_out, atoms, alpha=ALPHA)
    residual = held_out - codes @ atoms
    return float(np.mean(0.5 * (residual ** 2).sum(axis=1) + ALPHA * np.abs(codes).sum(axis=1)))


ours = OnlineDictionaryLearning(N_ATOMS, alpha=ALPHA, dict_init=initial, random_state=0)
theirs = MiniBatchDictionaryLearning(N_ATOMS, alpha=ALPHA, dict_init=initial,
                                     fit_algorithm="cd", random_state=0)
seen, costs, seconds = [], {"sparseopt": [], "sklearn": []}, {"sparseopt": 0.0, "sklearn": 0.0}
for batch_index, batch in enumerate(stream(120, seed=0), start=1):
    for name, learner in (("sparseopt", ours), ("sklearn", theirs)):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's lasso_cd convergence warnings
            learner.partial_fit(batch)
        seconds[name] += time.perf_counter() - start
    if batch_index % 10 == 0:
        seen.append(batch_index * BATCH)
        for name, learner in (("sparseopt", ours), ("sklearn", theirs)):
            costs[name].append(held_out_cost(learner.components_))

print(f"initial atoms (random patches): held-out cost {held_out_cost(initial):.4f}")
for name in costs:
    print(f"{name:9s} {seen[-1]} patches in {seconds[name]:5.2f} s, "
          f"held-out cost {costs[name][0]:.4f} after {seen[0]} -> {costs[name][-1]:.4f}")
print(f"time ratio sparseopt / sklearn: {seconds['sparseopt'] / seconds['sklearn']:.2f}")


def peak_megabytes(n_batches):
    """Peak traced memory of a fresh learner over a stream of ``n_batches``."""
    learner = OnlineDictionaryLearning(N_ATOMS, alpha=ALPHA, dict_init=initial, random_state=0)
    tracemalloc.start()
    for batch in stream(n_batches, seed=1):
        learner.partial_fit(batch)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


short, long = peak_megabytes(25), peak_megabytes(100)
print(f"peak memory: {short:.2f} MB for 25 batches, {long:.2f} MB for 100 batches "
      f"({25 * BATCH} and {100 * BATCH} patches)")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
for name, marker in (("sparseopt", "o"), ("sklearn", "s")):
    left.plot(seen, costs[name], marker=marker, label=f"{name} ({seconds[name]:.1f} s)")
left.axhline(held_out_cost(initial), color="grey", linestyle=":", label="initial atoms")
left.set_xlabel("patches seen")
left.set_ylabel("mean lasso cost on 2000 held-out patches")
left.set_title("partial_fit on a stream of random patches")
left.legend()
left.set_yscale("log")
grid = np.full((8 * (SIDE + 1), 8 * (SIDE + 1)), np.nan)
for k, atom in enumerate(ours.components_):
    row, col = divmod(k, 8)
    grid[row * (SIDE + 1):row * (SIDE + 1) + SIDE,
         col * (SIDE + 1):col * (SIDE + 1) + SIDE] = atom.reshape(SIDE, SIDE)
right.imshow(grid, cmap="gray", interpolation="nearest")
right.set_title(f"the {N_ATOMS} atoms learned by sparseopt")
right.set_axis_off()
fig.tight_layout()
plt.show()
