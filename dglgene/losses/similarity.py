r"""Weighted cosine similarity of the genes two datasets share.

.. math::
    \mathcal{L}_{sim} = -\frac{1}{|C_{ij}|}\sum_{g \in C_{ij}}
        \frac{\lambda_{ijg}}{\bar\lambda}\,\cos\big(z^{(i)}_g, z^{(j)}_g\big),
    \qquad \lambda_{ijg} = \frac{|N_{ig}\cap N_{jg}|}{|N_{ig}\cup N_{jg}|}

A common gene is pulled towards itself across datasets as strongly as its co-expression
neighbourhoods agree. :math:`\bar\lambda` is the mean Jaccard weight over all common genes
of all pairs of the collection (``PairBatch.weight_scale``), so that a loss weight means
the same pull on collections whose neighbourhoods overlap little (real sets: 0.05) or much
(the simulated sets: 0.34), while pairs and genes keep their relative weights.
``relative=False`` uses the raw :math:`\lambda_{ijg}`, as the reference does. The minimum,
:math:`-\overline{\lambda_{ij}}/\bar\lambda`, is reached when every common gene's two
embeddings point the same way.

Example
-------
>>> import torch
>>> from dglgene.losses.base import PairBatch
>>> z = torch.randn(4, 8)
>>> idx = torch.arange(4)
>>> batch = PairBatch(z, 3 * z, idx, idx, torch.full((4,), 0.5), idx[:0], idx[:0],
...                   idx[:0], idx[:0], weight_scale=0.25)
>>> round(float(WeightedCosineSimilarity()(batch)), 6)
-2.0
>>> round(float(WeightedCosineSimilarity(relative=False)(batch)), 6)
-0.5
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from dglgene.losses.base import LOSSES, Loss, PairBatch


@LOSSES.register("sim")
class WeightedCosineSimilarity(Loss):
    """Minus the λ-weighted mean cosine similarity of common genes (module docstring)."""

    batch_inputs = frozenset()  # embeddings and index arrays only

    def __init__(self, relative: bool = True, eps: float = 1e-8) -> None:
        super().__init__()
        self.relative = relative
        self.eps = eps

    def forward(self, batch: PairBatch) -> Tensor:
        if len(batch.common_i) == 0:
            return batch.zero()
        cosine = F.cosine_similarity(batch.z_i[batch.common_i], batch.z_j[batch.common_j],
                                     dim=-1, eps=self.eps)
        weights = batch.weights.to(cosine.dtype)
        if self.relative:
            weights = weights / batch.weight_scale
        return -(weights * cosine).mean()
