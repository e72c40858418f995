r"""Negative pairs with the positives' degrees: each TF and each target gets as many
negatives as it has positives, so degree alone cannot tell the classes apart.

Following Stock et al. (bioRxiv 2025, "Hidden sampling biases inflate performance in gene
regulatory network inference"): with negatives drawn uniformly, a hub TF or target is
mostly seen in positives, and a degree heuristic scores well without any biology. Here the
negatives of positive pairs :math:`(t_e, g_e)_{e=1..m}` are a random re-pairing of the
same TF and target *stubs* (a bipartite configuration model),

.. math::
    (t_e, g_{\pi(e)})_{e=1..m}, \quad \pi \text{ a random permutation},

so every TF's and every target's number of negatives equals its number of positives.
Pairs that are not allowed (a known edge, a self-loop, a pair used elsewhere, a repeat)
are repaired by degree-preserving swaps of two targets, each swap accepted only when both
new pairs are allowed. Some cannot be (a TF linked to most of the split's targets has too
few non-edges among them); such a pair keeps its TF and takes a target drawn from
``fallback_targets`` (all the network's target occurrences, so in proportion to in-degree):
the TF's count stays exact and the target's holds in expectation. A pair for which even
that fails is dropped, with a warning.

>>> import numpy as np
>>> tf, target = np.array([0, 1, 2]), np.array([3, 4, 5])  # known edges 0->3, 1->4, 2->5
>>> neg = degree_matched_negatives(tf, target, n_genes=6, forbidden=set(tf * 6 + target),
...                                rng=np.random.default_rng(0))
>>> [(int(t), int(g)) for t, g in zip(*neg)]  # each TF and target once again, no known edge
[(0, 5), (1, 3), (2, 4)]
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

__all__ = ["degree_matched_negatives"]

#: repair swaps tried per pair before giving up on it
SWAPS_PER_PAIR = 200


def degree_matched_negatives(tf: np.ndarray, target: np.ndarray, n_genes: int,
                             forbidden: set[int], rng: np.random.Generator,
                             fallback_targets: np.ndarray | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Negatives (TF rows, target rows) with the TF and target counts of the positive
    pairs ``(tf, target)``; none is a self-loop, a repeat or in ``forbidden`` (pair keys
    ``tf * n_genes + target``). ``fallback_targets``: the targets to draw from for a pair
    the swaps cannot repair (default: ``target``)."""
    tf = np.asarray(tf, np.int64)
    target = rng.permutation(np.asarray(target, np.int64))
    keys = tf * n_genes + target
    count = Counter(keys.tolist())

    def allowed(t: int, g: int, others: int = 0) -> bool:  # others: copies already there
        key = t * n_genes + g
        return t != g and key not in forbidden and count[key] == others

    bad = {e for e in range(len(tf)) if not allowed(int(tf[e]), int(target[e]), 1)}
    for _ in range(SWAPS_PER_PAIR * len(bad)):
        if not bad:
            break
        e = next(iter(bad))
        r = int(rng.integers(len(tf)))
        if allowed(int(tf[e]), int(target[e]), 1):  # its repeat was moved away
            bad.discard(e)
            continue
        if r == e:
            continue
        count[keys[e]] -= 1  # the two pairs leave before the new ones are checked
        count[keys[r]] -= 1
        if (allowed(int(tf[e]), int(target[r])) and allowed(int(tf[r]), int(target[e]))
                and tf[e] * n_genes + target[r] != tf[r] * n_genes + target[e]):
            target[e], target[r] = target[r], target[e]
            keys[e], keys[r] = tf[e] * n_genes + target[e], tf[r] * n_genes + target[r]
            bad -= {e, r}
        count[keys[e]] += 1
        count[keys[r]] += 1
    fallback = np.unique(target) if fallback_targets is None else np.asarray(fallback_targets)
    for e in sorted(bad):
        count[keys[e]] -= 1
        for g in [target[e], *rng.permutation(fallback)]:  # one copy of a repeat may stay
            if allowed(int(tf[e]), int(g)):
                target[e], keys[e] = g, tf[e] * n_genes + g
                count[keys[e]] += 1
                bad.discard(e)
                break
    if bad:
        warnings.warn(f"{len(bad)} of {len(tf)} degree-matched negatives could not avoid the "
                      "known edges and were dropped; their TFs are left with one negative "
                      "fewer than positives", stacklevel=2)
    keep = np.setdiff1d(np.arange(len(tf)), np.fromiter(bad, np.int64, len(bad)))
    return tf[keep], target[keep]
