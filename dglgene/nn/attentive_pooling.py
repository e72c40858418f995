r"""Attentive pooling of per-cell gene encodings into one vector per gene (scTransNet).

For gene :math:`g` with encodings :math:`h_{gc}` in cells :math:`c = 1..C`:

.. math::
    e_{gc} = w^\top \tanh(W h_{gc}), \qquad
    a_{gc} = \frac{\exp e_{gc}}{\sum_{c'} \exp e_{gc'}}, \qquad
    z_g = \sum_c a_{gc}\, h_{gc}.

:meth:`AttentivePooling.pool_chunks` streams cells in chunks with an online softmax
(running maximum, normaliser and weighted sum per gene), so memory stays bounded by one
chunk for thousands of cells; it equals the one-shot :meth:`forward`.
``MeanPooling`` is the ablation (:math:`a_{gc} = 1/C`).

Example
-------
>>> import torch
>>> pool = AttentivePooling(dim=4)
>>> h = torch.randn(10, 3, 4)                                  # cells x genes x dim
>>> chunks = pool.pool_chunks(h.split(3))                       # 4 chunks of cells
>>> torch.allclose(pool(h), chunks, atol=1e-6)
True
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn


class AttentivePooling(nn.Module):
    """Learned attention over cells (see the module docstring)."""

    def __init__(self, dim: int, hidden: int | None = None) -> None:
        super().__init__()
        self.project = nn.Linear(dim, hidden or dim)
        self.score = nn.Linear(hidden or dim, 1, bias=False)

    def logits(self, h: Tensor) -> Tensor:
        """:math:`e_{gc}` for encodings ``h`` (cells x genes x dim) -> cells x genes."""
        return self.score(torch.tanh(self.project(h))).squeeze(-1)

    def forward(self, h: Tensor) -> Tensor:
        weights = torch.softmax(self.logits(h), dim=0)
        return (weights.unsqueeze(-1) * h).sum(0)

    def pool_chunks(self, chunks: Iterable[Tensor]) -> Tensor:
        """The same pooling over cell chunks, one chunk in memory at a time."""
        running_max = normaliser = weighted = None
        for h in chunks:
            e = self.logits(h)
            chunk_max = e.max(0).values
            if running_max is None:
                running_max = chunk_max
                normaliser = torch.zeros_like(chunk_max)
                weighted = torch.zeros(h.shape[1:], dtype=h.dtype, device=h.device)
            new_max = torch.maximum(running_max, chunk_max)
            rescale = torch.exp(running_max - new_max)  # earlier terms under the new maximum
            p = torch.exp(e - new_max)
            normaliser = normaliser * rescale + p.sum(0)
            weighted = weighted * rescale.unsqueeze(-1) + (p.unsqueeze(-1) * h).sum(0)
            running_max = new_max
        if weighted is None:
            raise ValueError("no cells to pool; pass at least one non-empty chunk")
        return weighted / normaliser.unsqueeze(-1)


class MeanPooling(nn.Module):
    """Unweighted mean over cells: the ablation of :class:`AttentivePooling`."""

    def forward(self, h: Tensor) -> Tensor:
        return h.mean(0)

    def pool_chunks(self, chunks: Iterable[Tensor]) -> Tensor:
        total, count = None, 0
        for h in chunks:
            total = h.sum(0) if total is None else total + h.sum(0)
            count += h.shape[0]
        if total is None:
            raise ValueError("no cells to pool; pass at least one non-empty chunk")
        return total / count
