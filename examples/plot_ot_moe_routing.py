"""
Balanced mixture-of-experts routing with sparse transport
=========================================================

A router scores 256 tokens against 8 experts. Sending each token to its
top-scoring expert overloads popular experts; Liu, Puigcerver & Blondel route
with sparsity-constrained OT instead: every token still goes to at most
``k`` experts, and each expert receives the same load
(:func:`sparseopt.ot.route_tokens`).
"""

import matplotlib.pyplot as plt
import numpy as np

from sparseopt.ot import route_tokens

rng = np.random.default_rng(0)
n_tokens, n_experts = 256, 8
bias = np.linspace(1.5, -1.5, n_experts)  # some experts are more popular
logits = rng.standard_normal((n_tokens, n_experts)) + bias

greedy_load = np.bincount(np.argmax(logits, axis=1), minlength=n_experts)
routes = route_tokens(logits, k=2)
ot_load = np.asarray(routes.sum(axis=0)).ravel()
experts_per_token = np.diff(routes.indptr)
print("top-1 load per expert:", greedy_load.tolist())
print("OT load per expert:   ", np.round(ot_load, 2).tolist())
print(f"experts per token: at most {experts_per_token.max()}, "
      f"mean {experts_per_token.mean():.2f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
positions = np.arange(n_experts)
ax.bar(positions - 0.2, greedy_load, width=0.4, label="top-1 routing")
ax.bar(positions + 0.2, ot_load, width=0.4, label="sparse OT routing (k = 2)")
ax.axhline(n_tokens / n_experts, color="k", ls="--", lw=1, label="balanced load")
ax.set(xlabel="expert", ylabel="tokens (mass)", title="Expert load")
ax.legend()
fig.tight_layout()
plt.show()
