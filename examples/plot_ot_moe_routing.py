"""
Balanced mixture-of-experts routing with sparse transport
=========================================================

A router scores 256 tokens against 8 experts, some of them popular. Sending
each token to its top-scoring expert overloads the popular experts; Liu,
Puigcerver & Blondel route with sparsity-constrained OT instead
(:func:`sparseopt.ot.route_tokens`): every token goes to ``k`` experts, and
each expert receives the same load, 256 / 8 = 32 tokens. At the default
``reg=1`` (the authors' :math:`\\gamma = 1`, in the plan's units where a token
carries mass one) every token uses exactly ``k`` experts; a masked expert
(``-inf`` logit) is never used.
"""

import matplotlib.pyplot as plt
import numpy as np

from sparseopt.ot import route_tokens

rng = np.random.default_rng(0)
n_tokens, n_experts = 256, 8
bias = np.linspace(1.5, -1.5, n_experts)  # some experts are more popular
logits = rng.standard_normal((n_tokens, n_experts)) + bias
logits[:32, 0] = -np.inf  # the first 32 tokens may not use expert 0

greedy_load = np.bincount(np.argmax(logits, axis=1), minlength=n_experts)
loads, experts_per_token = {}, {}
for k in (1, 2):
    routes = route_tokens(logits, k=k)
    loads[k] = np.asarray(routes.sum(axis=0)).ravel()
    experts_per_token[k] = np.diff(routes.indptr)
    assert routes[:32, 0].nnz == 0  # the mask holds
    print(f"k = {k}: experts per token min {experts_per_token[k].min()}, "
          f"mean {experts_per_token[k].mean():.2f}, max {experts_per_token[k].max()}; "
          f"loads {np.round(loads[k], 6).tolist()}")
print("top-1 load per expert:", greedy_load.tolist())

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
positions = np.arange(n_experts)
left.bar(positions - 0.27, greedy_load, width=0.27, label="top-1 routing")
left.bar(positions, loads[1], width=0.27, label="sparse OT, k = 1")
left.bar(positions + 0.27, loads[2], width=0.27, label="sparse OT, k = 2")
left.axhline(n_tokens / n_experts, color="k", ls="--", lw=1, label="balanced load")
left.set(xlabel="expert", ylabel="tokens (mass)", title="Expert load")
left.legend(fontsize=8)
counts = [np.bincount(experts_per_token[k], minlength=3)[1:3] for k in (1, 2)]
right.bar([0.85, 1.85], counts[0], width=0.3, label="k = 1")
right.bar([1.15, 2.15], counts[1], width=0.3, label="k = 2")
right.set(xticks=[1, 2], xlabel="experts used by a token", ylabel="tokens",
          title="Experts per token")
right.legend()
fig.tight_layout()
plt.show()
