"""
How sure is each edge? Bootstrap frequencies on the Sachs data
==============================================================

On real data there is no SHD to tell a good edge from a bad one. Refitting
on rows resampled with replacement and counting how often each edge comes
back (:func:`sparseopt.dag.bootstrap_edges`) gives each edge of a fit a
confidence (Friedman, Goldszmidt & Wyner, 1999). We bootstrap
:class:`sparseopt.dag.ColideNV` on the 853 observational Sachs samples and
set the frequencies beside the 17-arc consensus network: are the frequent
edges the consensus ones? The refits run on two threads (the numba kernels
release the GIL).
"""

import matplotlib.pyplot as plt
import numpy as np

from sparseopt.dag import ColideNV, bootstrap_edges
from sparseopt.datasets import load_sachs

sachs = load_sachs()
names = ["Raf", "Mek", "Plcg", "PIP2", "PIP3", "Erk", "Akt", "PKA", "PKC", "P38", "Jnk"]
truth = sachs.target.astype(bool)
frequencies = bootstrap_edges(ColideNV(), sachs.data, n_bootstrap=30, n_jobs=2, random_state=0)

# either orientation of a consensus edge (directions are harder than adjacencies)
skeleton = truth | truth.T
order = np.dstack(np.unravel_index(np.argsort(-frequencies, axis=None), frequencies.shape))[0]
print("most frequent edges (frequency, in the consensus?):")
for i, j in order[:12]:
    status = "yes" if truth[i, j] else ("reversed" if truth[j, i] else "no")
    print(f"  {names[i]:>4} -> {names[j]:<4} {frequencies[i, j]:.2f}  {status}")

# %%
# Frequencies against the consensus
# ---------------------------------
# Left: the frequency of every ordered pair, consensus edges framed. Right: the
# frequency of each unordered pair (either direction) for the pairs adjacent in
# the consensus and for the others.
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained",
                                  gridspec_kw={"width_ratios": [1.2, 1]})
image = left.imshow(frequencies, cmap="Blues", vmin=0, vmax=1)
for i, j in np.argwhere(truth):
    left.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="tab:red",
                                 lw=1.5))
left.set(xticks=range(11), yticks=range(11), xlabel="effect", ylabel="cause",
         title="frequency of i -> j over 30 refits (red: consensus edge)")
left.set_xticklabels(names, rotation=90)
left.set_yticklabels(names)
fig.colorbar(image, ax=left, shrink=0.8)

pairs = np.triu_indices(11, 1)
either = np.maximum(frequencies, frequencies.T)[pairs]
adjacent = skeleton[pairs]
rng = np.random.default_rng(0)
for k, (mask, label) in enumerate([(adjacent, "adjacent in the consensus"),
                                   (~adjacent, "not adjacent")]):
    right.scatter(k + rng.uniform(-0.15, 0.15, mask.sum()), either[mask], alpha=0.7, label=label)
right.set(xticks=[0, 1], xticklabels=[f"consensus pairs ({adjacent.sum()})",
                                      f"other pairs ({(~adjacent).sum()})"],
          ylabel="frequency of the pair (either direction)", ylim=(-0.05, 1.05),
          title="bootstrap frequency by consensus status")
plt.show()
