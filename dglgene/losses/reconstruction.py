r"""Graph reconstruction: binary cross-entropy of decoder logits against the adjacency.

.. math::
    \mathcal{L}_{rec} = -\frac{1}{|S|}\sum_{(u,v)\in S}
        \big[A_{uv}\log\sigma(\hat A_{uv}) + (1 - A_{uv})\log(1 - \sigma(\hat A_{uv}))\big]

over all node pairs :math:`S = V \times V` (dense, as MuSe-GNN does), or over all edges
plus ``negative_ratio`` times as many node pairs drawn uniformly (seeded by the batch) for
graphs too big for dense logits.

Example
-------
>>> import torch
>>> from dglgene.losses.base import PairBatch
>>> a = torch.eye(3)
>>> empty = torch.zeros(0, dtype=torch.long)
>>> batch = PairBatch(torch.zeros(3, 2), torch.zeros(3, 2), empty, empty, torch.zeros(0),
...                   empty, empty, empty, empty, adjacency_i=a, logits_i=20 * (2 * a - 1))
>>> float(ReconstructionBCE()(batch)) < 1e-8
True
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from dglgene.losses.base import LOSSES, Loss, PairBatch


@LOSSES.register("recon")
class ReconstructionBCE(Loss):
    """BCE-with-logits reconstruction of graph i (see the module docstring)."""

    def __init__(self, negative_ratio: float | None = None) -> None:
        super().__init__()
        self.negative_ratio = negative_ratio

    def forward(self, batch: PairBatch) -> Tensor:
        if batch.adjacency_i is None:
            raise ValueError("ReconstructionBCE needs batch.adjacency_i")
        target = batch.adjacency_i
        if self.negative_ratio is None:
            if batch.logits_i is None:
                raise ValueError("dense ReconstructionBCE needs batch.logits_i")
            return F.binary_cross_entropy_with_logits(batch.logits_i, target)
        src, dst = target.nonzero(as_tuple=True)
        n = target.shape[0]
        generator = torch.Generator().manual_seed(batch.seed)
        k = max(1, int(self.negative_ratio * len(src)))
        neg_src = torch.randint(n, (k,), generator=generator).to(src.device)
        neg_dst = torch.randint(n, (k,), generator=generator).to(src.device)
        src, dst = torch.cat([src, neg_src]), torch.cat([dst, neg_dst])
        if batch.pair_logits_i is not None:
            logits = batch.pair_logits_i(batch.z_i, src, dst)
        elif batch.logits_i is not None:
            logits = batch.logits_i[src, dst]
        else:
            raise ValueError("sampled ReconstructionBCE needs batch.logits_i or pair_logits_i")
        return F.binary_cross_entropy_with_logits(logits, target[src, dst])
