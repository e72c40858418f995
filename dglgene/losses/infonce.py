r"""InfoNCE over the genes two datasets do not share.

For each gene :math:`a` of dataset i that j lacks (an anchor), its positive :math:`p` is a
graph neighbour of :math:`a` in i (drawn by the native kernels) and its negatives are the
genes of j that i lacks, :math:`D_{ji}`:

.. math::
    \mathcal{L}_{nce} = -\frac{1}{|D_{ij}|}\sum_{a \in D_{ij}}
        \log\frac{e^{s(a,p)/\tau}}{e^{s(a,p)/\tau} + \sum_{n \in D_{ji}} e^{s(a,n)/\tau}},
    \qquad s = \cos,\ \tau = 0.07.

Dataset-specific genes stay near their own co-expression neighbours and apart from the
other dataset's specific genes. ``symmetric=True`` averages this with the same loss seen
from j. Anchors and negatives are used as the batch gives them: the batch builder samples
them independently, so datasets may differ in size (MuSe-GNN's reference paired them by
position). With all similarities equal the loss is :math:`\log(K+1)`, :math:`K = |D_{ji}|`.

Example
-------
>>> import math, torch
>>> from dglgene.losses.base import PairBatch
>>> z = torch.ones(5, 3)                       # every similarity equals 1
>>> a, n = torch.tensor([0, 1]), torch.tensor([2, 3, 4])
>>> batch = PairBatch(z, z, a[:0], a[:0], torch.zeros(0), a, a.flip(0), n, n)
>>> math.isclose(float(InfoNCE()(batch)), math.log(4), rel_tol=1e-6)
True
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from dglgene.losses.base import LOSSES, Loss, PairBatch


def info_nce(anchors: Tensor, positives: Tensor, negatives: Tensor, temperature: float
             ) -> Tensor | None:
    """Mean InfoNCE of anchors against their positives and shared negatives (or None)."""
    if len(anchors) == 0 or len(negatives) == 0:
        return None
    anchors, positives, negatives = (F.normalize(x, dim=-1) for x in
                                     (anchors, positives, negatives))
    positive = (anchors * positives).sum(-1, keepdim=True)
    logits = torch.cat([positive, anchors @ negatives.T], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(anchors), dtype=torch.long,
                                               device=logits.device))


@LOSSES.register("nce")
class InfoNCE(Loss):
    """Contrastive loss of the different genes (module docstring)."""

    def __init__(self, temperature: float = 0.07, symmetric: bool = False) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature
        self.symmetric = symmetric

    def forward(self, batch: PairBatch) -> Tensor:
        sides = [info_nce(batch.z_i[batch.diff_i], batch.z_i[batch.diff_i_neighbor],
                          batch.z_j[batch.diff_j], self.temperature)]
        if self.symmetric:
            sides.append(info_nce(batch.z_j[batch.diff_j], batch.z_j[batch.diff_j_neighbor],
                                  batch.z_i[batch.diff_i], self.temperature))
        values = [v for v in sides if v is not None]
        return torch.stack(values).mean() if values else batch.zero()
