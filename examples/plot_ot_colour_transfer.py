"""
Colour transfer with a sparsity-constrained plan
================================================

The colour palette of one image is mapped onto another: both images (the two
photographs shipped with scikit-learn) are summarised by 256 k-means colours,
a transport plan between the two palettes (weighted by pixel counts) is
computed with :class:`sparseopt.ot.SparsityConstrainedOT`, each source colour
moves to the barycentre of its (at most ``k``) target colours, and every
pixel takes the new colour of its cluster. Small ``k`` keeps colours crisp
(each colour borrows from few others); larger ``k`` blends them. With so
few non-zeros the plan cannot match the palettes' weights exactly (the
relaxation is not tight: the marginal error is reported and its warning
silenced); the barycentric map only needs the plan's rows.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_images

from sparseopt.ot import SparsityConstrainedOT

images = load_sample_images().images
source = images[0][::4, ::4] / 255.0  # china.jpg, downsampled
target = images[1][::4, ::4] / 255.0  # flower.jpg


def palette(image, n_colours=256):
    pixels = image.reshape(-1, 3)
    model = KMeans(n_colours, n_init=1, max_iter=50, random_state=0).fit(pixels)
    weights = np.bincount(model.labels_, minlength=n_colours).astype(float)
    return model.cluster_centers_, weights / weights.sum(), model.labels_


source_colours, a, labels = palette(source)
target_colours, b, _ = palette(target)

results = {}
for k in (1, 4):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SparsityConstrainedOT(reg=0.05, max_nz=k, axis="rows").fit(
            source_colours, Xt=target_colours, a=a, b=b)
    mapped = np.clip(model.transform(source_colours), 0, 1)
    results[k] = mapped[labels].reshape(source.shape)
    print(f"k = {k}: at most {k} target colours per source colour, "
          f"marginal error {model.marginal_error_:.1e}")

fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
for ax, (title, image) in zip(axes, [("source", source), ("target palette", target),
                                     ("transferred, k = 1", results[1]),
                                     ("transferred, k = 4", results[4])], strict=True):
    ax.imshow(image)
    ax.set(title=title)
    ax.axis("off")
fig.tight_layout()
plt.show()
