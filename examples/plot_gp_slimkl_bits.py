"""
SLIM-KL on a Dask cluster: bits saved against forecast accuracy
===============================================================

Three agents each hold a third of a series (every fourth week of the first
1000 weeks of the vendored Mauna Loa CO2 record; 225 training points, 25 to
forecast) and learn one sparse grid spectral mixture kernel together
(:class:`sparseopt.gp.SLIMKLRegressor`). Each agent lives on a worker of a
local Dask cluster and keeps its data. Two solvers: the default
``solver="mm"``, where the agents send the (quantized) statistics of the MM
step and the coordinator takes the centralised MM step, and Suwandi et al.'s
quantized consensus ADMM (``solver="admm"``, capped at 60 rounds: it stops
short of the centralised optimum, see the user guide). We vary the bits per
message entry and plot the bits sent against the test MSE of the fused
(gPoE) forecast, next to the single-machine
:class:`~sparseopt.gp.GSMPRegressor`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning

from sparseopt.datasets import load_co2
from sparseopt.gp import GSMPRegressor, SLIMKLRegressor

co2 = load_co2()
X, y = co2.time[:1000:4, None], co2.data[:1000:4]
X_train, y_train, X_test, y_test = X[:225], y[:225], X[225:], y[225:]

central = GSMPRegressor(100).fit(X_train, y_train)
central_mse = np.mean((central.predict(X_test) - y_test) ** 2)
print(f"one machine (GSMPRegressor): test MSE {central_mse:.2f}")

results = []
if __name__ == "__main__":
    with LocalCluster(n_workers=3, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        for solver, max_iter in [("mm", None), ("admm", 60)]:
            for bits in [None, 8, 4, 2]:
                model = SLIMKLRegressor(3, solver=solver, n_components=100,
                                        quantization_bits=bits, max_iter=max_iter,
                                        backend="dask", client=client, random_state=0)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    model.fit(X_train, y_train)
                converged = not any(issubclass(w.category, ConvergenceWarning)
                                    for w in caught)
                mse = np.mean((model.predict(X_test) - y_test) ** 2)
                results.append((solver, bits, model.bits_communicated_, mse))
                print(f"{solver:>4} {'64-bit' if bits is None else f'{bits}-bit':>6}: "
                      f"{model.bits_communicated_ / 8e3:7.1f} kB sent "
                      f"({model.bits_unquantized_ / max(model.bits_communicated_, 1):4.1f}x "
                      f"saved), {model.n_iter_} rounds"
                      f"{'' if converged else ' (not converged)'}, "
                      f"{model.active_components_.size} atoms, test MSE {mse:.2f}")

# %%
# Bits against accuracy
# ---------------------
figure, axis = plt.subplots(figsize=(6, 4))
for solver, bits, sent, mse in results:
    color = "C0" if solver == "mm" else "C1"
    axis.plot(sent / 8e3, mse, "o" if solver == "mm" else "s", color=color)
    axis.annotate("64-bit" if bits is None else f"{bits}-bit", (sent / 8e3, mse),
                  textcoords="offset points", xytext=(5, 5), color=color)
for solver, color in [("mm", "C0"), ("admm", "C1")]:
    axis.plot([], [], "o" if solver == "mm" else "s", color=color, label=f'solver="{solver}"')
axis.axhline(central_mse, color="gray", linestyle=":", label="one machine")
axis.set(xscale="log", xlabel="kilobytes sent (up and down, whole fit)",
         ylabel="test MSE (ppm$^2$)", title="SLIM-KL, 3 agents on a Dask LocalCluster")
axis.legend()
figure.tight_layout()
plt.show()
