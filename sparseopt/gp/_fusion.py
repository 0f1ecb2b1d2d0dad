r"""Fusion of local GP predictions: product of experts and Bayesian committee machines.

With expert :math:`j`'s latent mean :math:`\mu_j` and variance
:math:`\sigma_j^2` at a point and the prior variance :math:`\sigma_{**}^2`:

- PoE: :math:`\sigma^{-2} = \sum_j \sigma_j^{-2}`;
- gPoE (Cao & Fleet 2014): :math:`\sigma^{-2} = \sum_j \beta_j \sigma_j^{-2}`
  with :math:`\beta_j \propto \frac12(\log\sigma_{**}^2 - \log\sigma_j^2)`
  (the entropy each expert removes), normalised to :math:`\sum_j \beta_j =
  1` as Deisenroth & Ng (2015) advise, so that the fused variance stays
  between the experts' (unnormalised, correlated experts make it
  over-confident);
- BCM (Tresp 2000): :math:`\sigma^{-2} = \sum_j \sigma_j^{-2} - (N - 1)
  \sigma_{**}^{-2}`;
- rBCM (Deisenroth & Ng 2015): :math:`\sigma^{-2} = \sum_j \beta_j
  \sigma_j^{-2} + (1 - \sum_j \beta_j) \sigma_{**}^{-2}`;

and :math:`\mu = \sigma^2 \sum_j \beta_j \sigma_j^{-2} \mu_j` (:math:`\beta_j
= 1` for PoE and BCM). A precision that is not positive (BCM far from the
data) falls back to the prior.
"""

import numpy as np

__all__ = ["FUSION_RULES", "fuse_predictions"]

FUSION_RULES = ("poe", "gpoe", "bcm", "rbcm")


def fuse_predictions(means, variances, prior_variance, rule):
    """Fuse the experts' latent predictions.

    Parameters
    ----------
    means, variances : ndarray of shape (n_experts, n_points)
        Local latent means and variances (variances positive).
    prior_variance : float
        :math:`\\sigma_{**}^2`.
    rule : {"poe", "gpoe", "bcm", "rbcm"}
        Fusion rule.

    Returns
    -------
    mean, variance : ndarray of shape (n_points,)
    """
    tiny = np.finfo(float).tiny
    variances = np.maximum(variances, tiny * max(prior_variance, 1.0))
    precisions = 1.0 / variances
    prior_precision = 1.0 / max(prior_variance, tiny)
    if rule in ("gpoe", "rbcm"):
        beta = np.maximum(0.5 * (np.log(prior_variance) - np.log(variances)), 0.0)
        if rule == "gpoe":
            total = beta.sum(axis=0)
            beta = np.where(total > 0, beta / np.where(total > 0, total, 1.0),
                            1.0 / means.shape[0])
    else:
        beta = np.ones_like(variances)
    precision = np.sum(beta * precisions, axis=0)
    if rule == "bcm":
        precision = precision - (means.shape[0] - 1) * prior_precision
    elif rule == "rbcm":
        precision = precision + (1.0 - beta.sum(axis=0)) * prior_precision
    precision = np.where(precision > 0, precision, prior_precision)
    variance = 1.0 / precision
    mean = variance * np.sum(beta * precisions * means, axis=0)
    return mean, variance
