"""Gaussian processes with sparse linear multiple kernels (Suwandi et al.).

- :class:`GSMKernel` and :class:`GSMPKernel`: grid spectral mixture (product)
  kernels, scikit-learn kernels whose atoms are a fixed grid of frequencies
  and spectral scales (:func:`make_spectral_grid` builds it from the data);
- :class:`GSMPRegressor`: GP regression learning sparse non-negative kernel
  weights and the noise by MM or successive convex approximation;
- :class:`SLIMKLRegressor`: SLIM-KL, the same model learned by several agents
  that each keep their data (quantized consensus ADMM with a local DSCA step,
  serial or on Dask), predicting by PoE, gPoE, BCM or rBCM fusion.

The solvers are plain-array functions in :mod:`sparseopt.solvers.lmk` and
:mod:`sparseopt.solvers.admm`.
"""

from sparseopt.gp._grid import make_spectral_grid
from sparseopt.gp._kernels import GSMKernel, GSMPKernel
from sparseopt.gp._regressor import GSMPRegressor
from sparseopt.gp._slimkl import SLIMKLRegressor

__all__ = ["GSMKernel", "GSMPKernel", "GSMPRegressor", "SLIMKLRegressor", "make_spectral_grid"]
