"""Consensus ADMM with quantized messages, on plain arrays, serial or on Dask.

Used by :class:`sparseopt.gp.SLIMKLRegressor` (Suwandi et al.'s SLIM-KL), whose
agents each run a local DSCA step of :mod:`sparseopt.solvers.lmk`; any local
problem with ``solve`` and ``objective`` methods can take part:

- :mod:`~sparseopt.solvers.admm.consensus`: the agents' round and the
  coordinator's loop (projection, multipliers, residuals, residual balancing,
  bit accounting);
- :mod:`~sparseopt.solvers.admm.quantize`: the unbiased stochastic-rounding
  quantizer (fixed step or bit budget);
- :mod:`~sparseopt.solvers.admm.pools`: where agents live: this process, or one
  per Dask worker with their data kept there; they run any agent round (also
  the statistics exchange of :mod:`sparseopt.solvers.lmk.distributed`).
"""
