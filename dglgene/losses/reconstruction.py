r"""Graph reconstruction: binary cross-entropy of decoder logits against the adjacency.

.. math::
    \mathcal{L}_{rec} = -\frac{1}{|S|}\sum_{(u,v)\in S}
        \big[A_{uv}\log\sigma(\hat A_{uv}) + (1 - A_{uv})\log(1 - \sigma(\hat A_{uv}))\big]

over all node pairs :math:`S = V \times V` (dense, as MuSe-GNN does). With
``negative_ratio`` :math:`\rho`, for graphs too big for dense logits, the same mean is
estimated from every edge :math:`E` and :math:`k = \rho |E|` node pairs :math:`P` drawn
uniformly (seeded by the batch), without bias:

.. math::
    \hat{\mathcal L}_{rec} = \frac{1}{n^2}\Big[\sum_{(u,v)\in E} \ell_1(\hat A_{uv})
        + \frac{n^2}{k} \sum_{(u,v)\in P,\ (u,v)\notin E} \ell_0(\hat A_{uv})\Big],

:math:`\ell_1, \ell_0` the BCE of a positive and a negative. It reads the graph's edges
(``batch.edges_i``) and scores pairs with ``batch.pair_logits_i``: with a pair decoder
(``inner``, ``bilinear``) no n x n tensor is formed.

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

from dglgene.losses.base import DENSE_INPUTS, LOSSES, EdgeTargets, Loss, PairBatch


@LOSSES.register("recon")
class ReconstructionBCE(Loss):
    """BCE-with-logits reconstruction of graph i (see the module docstring)."""

    def __init__(self, negative_ratio: float | None = None) -> None:
        super().__init__()
        self.negative_ratio = negative_ratio

    @property
    def batch_inputs(self) -> frozenset[str]:  # type: ignore[override]
        return DENSE_INPUTS if self.negative_ratio is None else \
            frozenset({"edges_i", "pair_logits_i"})

    def forward(self, batch: PairBatch) -> Tensor:
        if self.negative_ratio is None:
            if batch.adjacency_i is None or batch.logits_i is None:
                raise ValueError("dense ReconstructionBCE needs batch.adjacency_i and "
                                 "batch.logits_i")
            return F.binary_cross_entropy_with_logits(batch.logits_i, batch.adjacency_i)
        edges = batch.edges_i
        if edges is None:
            if batch.adjacency_i is None:
                raise ValueError("sampled ReconstructionBCE needs batch.edges_i or "
                                 "batch.adjacency_i")
            edges = EdgeTargets.from_dense(batch.adjacency_i)
        n, device = edges.n, edges.src.device
        generator = torch.Generator().manual_seed(batch.seed)
        k = max(1, int(self.negative_ratio * len(edges.src)))
        neg_src = torch.randint(n, (k,), generator=generator).to(device)
        neg_dst = torch.randint(n, (k,), generator=generator).to(device)
        src, dst = torch.cat([edges.src, neg_src]), torch.cat([edges.dst, neg_dst])
        if batch.pair_logits_i is not None:
            logits = batch.pair_logits_i(batch.z_i, src, dst)
        elif batch.logits_i is not None:
            logits = batch.logits_i[src, dst]
        else:
            raise ValueError("sampled ReconstructionBCE needs batch.pair_logits_i or logits_i")
        pos, neg = logits[:len(edges.src)], logits[len(edges.src):]
        # a drawn pair that is an edge is left out: the edges term counts it already
        negative = ~edges.contains(neg_src, neg_dst)
        pos_sum = F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos), reduction="sum")
        neg_sum = (F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg),
                                                      reduction="none") * negative).sum()
        return (pos_sum + neg_sum * (n * n / k)) / (n * n)


@LOSSES.register("recon-sampled")
class SampledReconstructionBCE(ReconstructionBCE):
    """:class:`ReconstructionBCE` estimated from the edges and as many drawn pairs
    (``negative_ratio=1``): the sparse path by name (TOML ``[model] losses =
    {recon-sampled = 1.0, ...}`` with ``decoder = "bilinear"``), so its models save."""

    def __init__(self, negative_ratio: float = 1.0) -> None:
        super().__init__(negative_ratio)
