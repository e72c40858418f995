r"""InfoNCE over the genes two datasets do not share (MuSe-GNN's Eq. 7).

The queries are the different genes of both graphs, :math:`Q = e_i[D_{ij}] \oplus
e_j[D_{ji}]` (:math:`D_{ij}`: genes of i that j lacks); each query's key is a graph
neighbour of that gene in its own graph, :math:`K = e_i[N(D_{ij})] \oplus e_j[N(D_{ji})]`
(drawn by the native kernels). Every other key of the joined batch is a negative
(NT-Xent, as the reference's ``SelfSupervisedLoss(NTXentLoss)``):

.. math::
    \mathcal{L}_{nce} = -\frac{1}{m}\sum_{a=1}^{m}
        \log\frac{e^{s(q_a,k_a)/\tau}}{\sum_{b=1}^{m} e^{s(q_a,k_b)/\tau}},
    \qquad s = \cos,\ \tau = 0.07,\ m = |Q|.

A dataset-specific gene is pulled towards its own co-expression neighbour and pushed from
the neighbours of the other specific genes, of both datasets. With all similarities equal
the loss is :math:`\log m`.

Example
-------
>>> import math, torch
>>> from dglgene.losses.base import PairBatch
>>> z = torch.ones(5, 3)                       # every similarity equals 1
>>> d_i, d_j = torch.tensor([0, 1]), torch.tensor([2, 3, 4])
>>> batch = PairBatch(z, z, d_i[:0], d_i[:0], torch.zeros(0), d_i, d_i.flip(0), d_j, d_j)
>>> math.isclose(float(InfoNCE()(batch)), math.log(5), rel_tol=1e-6)
True
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from dglgene.losses.base import LOSSES, Loss, PairBatch


def nt_xent(queries: Tensor, keys: Tensor, temperature: float) -> Tensor:
    """Mean cross-entropy of each query against all keys, its own key being the target."""
    logits = F.normalize(queries, dim=-1) @ F.normalize(keys, dim=-1).T / temperature
    return F.cross_entropy(logits, torch.arange(len(queries), device=logits.device))


@LOSSES.register("nce")
class InfoNCE(Loss):
    """Contrastive loss of the different genes of both graphs (module docstring)."""

    batch_inputs = frozenset()  # embeddings and index arrays only

    def __init__(self, temperature: float = 0.07) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature

    def forward(self, batch: PairBatch) -> Tensor:
        if len(batch.diff_i) + len(batch.diff_j) == 0:
            return batch.zero()
        queries = torch.cat([batch.z_i[batch.diff_i], batch.z_j[batch.diff_j]])
        keys = torch.cat([batch.z_i[batch.diff_i_neighbor], batch.z_j[batch.diff_j_neighbor]])
        return nt_xent(queries, keys, self.temperature)
