"""
Sparse regression under local differential privacy: which protocol, how many users
===================================================================================

Every user randomises their own record on their device; the server sees only
the randomised reports. :class:`sparseopt.ldp.LDPSparseRegressor` offers three
protocols (Zhu et al., ICLR 2024): the sequentially interactive LDP-IHT
(``mode="iht"``), the non-interactive algorithm that privatises the
covariance and the cross-covariance (``"nldp"``), and its variant with public
unlabelled features (``"public"``). We first measure the l2 error against the
number of users on synthetic data (median of 5 seeds), then run the protocol
end to end, device by device, on scikit-learn's diabetes data.
"""

import itertools
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso

from sparseopt.datasets import make_ldp_regression
from sparseopt.ldp import Aggregator, LDPSparseRegressor, LocalRandomizer

# %%
# Error against the number of users
# ---------------------------------
# d = 20 features, k = 3 non-zeros, ||theta*|| = 1 (so the zero estimator
# scores 1), epsilon = 4 and delta = 1e-6 per user, the estimator's defaults
# and bounds declared in advance: ||x||_2 <= sqrt(d) (standardised features)
# and :math:`|y| \le 2`; records beyond are shrunk onto them on the device. The
# non-private Lasso on the same users is the price-free reference.
n_features, n_nonzero, epsilon = 20, 3, 4.0
sizes = np.array([10_000, 30_000, 100_000, 300_000, 1_000_000])
bounds = dict(x_bound=np.sqrt(n_features), x_norm="l2", y_bound=2.0, on_out_of_bounds="clip")
modes = ["iht", "public", "nldp"]
errors = {name: np.empty((5, sizes.size)) for name in [*modes, "Lasso (no privacy)"]}
start = time.perf_counter()
for seed in range(5):
    X, y, coef, X_public = make_ldp_regression(sizes[-1], n_features, n_nonzero,
                                               n_public=5000, random_state=seed)
    for j, n in enumerate(sizes):
        for mode in modes:
            model = LDPSparseRegressor(epsilon, mode=mode, n_nonzero=n_nonzero,
                                       random_state=seed, **bounds)
            model.fit(X[:n], y[:n], **({"X_public": X_public} if mode == "public" else {}))
            errors[mode][seed, j] = np.linalg.norm(model.coef_ - coef)
        lasso = Lasso(alpha=0.01, fit_intercept=False).fit(X[:n], y[:n])
        errors["Lasso (no privacy)"][seed, j] = np.linalg.norm(lasso.coef_ - coef)
print(f"{len(modes) * 5 * sizes.size} private fits in {time.perf_counter() - start:.1f} s")
print("median l2 error over 5 seeds")
print("n users     " + "".join(f"{name:>20}" for name in errors))
for j, n in enumerate(sizes):
    print(f"{n:>9,}   " + "".join(f"{np.median(e[:, j]):20.3f}" for e in errors.values()))

fig, ax = plt.subplots(figsize=(6, 4))
for name, e in errors.items():
    ax.loglog(sizes, np.median(e, axis=0), "o-", label=name)
ax.axhline(1.0, color="grey", linestyle=":", label="zero estimator")
ax.set_xlabel("number of users n")
ax.set_ylabel(r"median $\|\hat\theta - \theta^*\|_2$")
ax.set_title(rf"$d = {n_features}$, $k = {n_nonzero}$, $\varepsilon = {epsilon:g}$ per user")
ax.legend()
fig.tight_layout()

# %%
# The interactive LDP-IHT needs the fewest users: its error is at about 0.04
# from 100 000 users on, and the one-shot protocol with public features needs
# about ten times more users for the same error. Before there is enough
# signal every protocol returns (close to) zero rather than noise, because
# the estimates are screened at their public noise floor and projected onto
# the known ball. Public features spare the users the d(d+1)/2 covariance
# entries; ``"nldp"`` must privatise them and needs far more users (its rate
# has d, not sqrt(d), in front).
#
# The diabetes data, device by device
# -----------------------------------
# scikit-learn's diabetes data (442 patients, 10 baseline variables) are far
# too few for local privacy: we treat the 442 records as a population and
# draw 400 000 users from it with replacement. Bounds come from the data's
# description, not from the data: the loader standardises each column to norm
# 1 (so sqrt(442) x has unit variance; we bound :math:`|x_j|` by 4), and the target, a
# disease progression score in [25, 346], is mapped to [-1, 1]. We judge every
# estimate by its R^2 on the population, next to the non-private least squares
# on all 10 variables and the best 4-variable least squares (brute force over
# the 210 subsets).
diabetes = load_diabetes()
names = np.array(diabetes.feature_names)
X_all = diabetes.data * np.sqrt(diabetes.data.shape[0])
y_all = (diabetes.target - 185.5) / 160.5
y_centred = y_all - y_all.mean()


def population_r2(coef):
    residual = y_centred - X_all @ coef
    return 1.0 - residual @ residual / (y_centred @ y_centred)


def least_squares(columns):
    coef = np.zeros(X_all.shape[1])
    coef[list(columns)] = np.linalg.lstsq(X_all[:, list(columns)], y_centred, rcond=None)[0]
    return coef


best_four = max(itertools.combinations(range(10), 4),
                key=lambda columns: population_r2(least_squares(columns)))
print(f"R^2: least squares {population_r2(least_squares(range(10))):.3f}, best 4 variables "
      f"{names[list(best_four)].tolist()} {population_r2(least_squares(best_four)):.3f}")
rng = np.random.default_rng(0)
users = rng.integers(0, X_all.shape[0], 400_000)
X_users, y_users = X_all[users], y_all[users]

# %%
# What a device sends. In the non-interactive protocol a patient's phone
# shrinks the record onto the bounds and sends the upper triangle of x x^T and
# x y with Gaussian noise calibrated to (epsilon, delta) = (4, 1e-6), half the
# budget on each part. Nothing else leaves the device.
bounds = dict(x_bound=4.0, y_bound=1.0, on_out_of_bounds="clip")
device = LocalRandomizer("nldp", epsilon=4.0, delta=1e-6, n_features=10, random_state=1,
                         **bounds)
report = device.privatize_one(X_users[0], y_users[0])
print({part: values.shape for part, values in report.items()}, device.noise_scales())

# %%
# The server only accumulates the reports (O(d^2) memory, whatever the number
# of users) and fits on them: here the devices send in batches of 50 000.
server = Aggregator("nldp", 10)
for batch in range(0, X_users.shape[0], 50_000):
    server.partial_fit(device.report(X_users[batch:batch + 50_000],
                                     y_users[batch:batch + 50_000]))
model = LDPSparseRegressor(4.0, mode="nldp", n_nonzero=4, coef_bound=np.inf, **bounds)
fits = {"nldp (reports)": model.fit_reports(server)}

# %%
# The same users under the two other protocols, simulated by ``fit``. The
# 442 patients' unlabelled records serve as the public features of
# ``"public"``, and give LDP-IHT its step size, one over the largest
# eigenvalue of their covariance (the features are correlated).
public_step = 1.0 / np.linalg.eigvalsh(X_all.T @ X_all / X_all.shape[0]).max()
fits["iht"] = LDPSparseRegressor(4.0, mode="iht", n_nonzero=4, step_size=public_step,
                                 coef_bound=np.inf, random_state=0, **bounds).fit(
    X_users, y_users)
fits["public"] = LDPSparseRegressor(4.0, mode="public", n_nonzero=4, coef_bound=np.inf,
                                    random_state=0, **bounds).fit(
    X_users, y_users, X_public=X_all)
for name, fitted in fits.items():
    print(f"{name:>15}: R^2 {population_r2(fitted.coef_):.3f}, "
          f"kept {names[fitted.coef_ != 0].tolist()}")

# %%
# LDP-IHT comes within a few hundredths of the best 4-variable fit's R^2
# (0.47 against 0.49; its iterates keep up to k' = 2k variables). The two
# non-interactive protocols suffer from the correlated serum variables (the
# smallest eigenvalue of the covariance is 0.009): the inverse covariance
# multiplies the privacy noise of the cross-covariance by about a hundred.
# ``"nldp"`` keeps part of the signal (R^2 0.27 in this run; the median over
# 10 draws of the users and the noise is 0.15, from 0.07 to 0.39), because the
# eigenvalue floor that repairs its noisy covariance acts as a ridge on those
# directions; ``"public"`` inverts the exact covariance of the public
# features, and its screening at the public noise floor finds no detectable
# signal here (median R^2 over 10 draws: 0.00). On correlated features,
# use ``mode="iht"``.
