r"""Weighted cosine similarity of the genes two datasets share.

.. math::
    \mathcal{L}_{sim} = -\frac{1}{|C_{ij}|}\sum_{g \in C_{ij}}
        \lambda_{ijg}\,\cos\big(z^{(i)}_g, z^{(j)}_g\big),
    \qquad \lambda_{ijg} = \frac{|N_{ig}\cap N_{jg}|}{|N_{ig}\cup N_{jg}|}

A common gene is pulled towards itself across datasets as strongly as its co-expression
neighbourhoods agree. The minimum, :math:`-\bar\lambda`, is reached when every common
gene's two embeddings point the same way.

Example
-------
>>> import torch
>>> from dglgene.losses.base import PairBatch
>>> z = torch.randn(4, 8)
>>> idx = torch.arange(4)
>>> batch = PairBatch(z, 3 * z, idx, idx, torch.full((4,), 0.5), idx[:0], idx[:0],
...                   idx[:0], idx[:0])
>>> round(float(WeightedCosineSimilarity()(batch)), 6)
-0.5
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from dglgene.losses.base import LOSSES, Loss, PairBatch


@LOSSES.register("sim")
class WeightedCosineSimilarity(Loss):
    """Minus the λ-weighted mean cosine similarity of common genes (module docstring)."""

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, batch: PairBatch) -> Tensor:
        if len(batch.common_i) == 0:
            return batch.zero()
        cosine = F.cosine_similarity(batch.z_i[batch.common_i], batch.z_j[batch.common_j],
                                     dim=-1, eps=self.eps)
        return -(batch.weights.to(cosine.dtype) * cosine).mean()
