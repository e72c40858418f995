"""Decoders from gene embeddings to edge logits of one graph.

Each gives dense logits (``forward``, n x n); the pair decoders (``inner``, ``bilinear``)
also score given node pairs alone (``pair_logits``), which the sampled reconstruction loss
uses so that no n x n tensor is formed. A registered decoder is built as
``cls(n_genes, dim)``: the graph's gene count and the embedding width.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from dglgene.registry import Registry

DECODERS: Registry[nn.Module] = Registry("decoder")


@DECODERS.register("inner")
class InnerProductDecoder(nn.Module):
    r"""Edge logits :math:`\hat A = Z Z^\top` (the GAE decoder).

    >>> import torch
    >>> InnerProductDecoder(3, dim=3)(torch.eye(3)).diagonal().tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, n_genes: int, dim: int | None = None) -> None:
        super().__init__()
        self.n_genes = n_genes

    def forward(self, z: Tensor) -> Tensor:
        return z @ z.T

    def pair_logits(self, z: Tensor, src: Tensor, dst: Tensor) -> Tensor:
        """Logits of the node pairs (src, dst) only: for graphs too big for dense logits."""
        return (z[src] * z[dst]).sum(-1)


@DECODERS.register("bilinear")
class BilinearDecoder(nn.Module):
    r"""Edge logits :math:`\hat A = Z W Z^\top` with a learned :math:`W \in
    \mathbb{R}^{d \times d}` (started at the identity: the inner product): the graph's own
    metric on the shared embedding, with :math:`d^2` parameters instead of the MLP's
    :math:`3 n^2`.

    >>> import torch
    >>> z = torch.randn(4, 3)
    >>> torch.allclose(BilinearDecoder(4, dim=3)(z), z @ z.T)
    True
    """

    def __init__(self, n_genes: int, dim: int) -> None:
        super().__init__()
        self.n_genes = n_genes
        self.weight = nn.Parameter(torch.eye(dim))

    def forward(self, z: Tensor) -> Tensor:
        return z @ self.weight @ z.T

    def pair_logits(self, z: Tensor, src: Tensor, dst: Tensor) -> Tensor:
        """Logits of the node pairs (src, dst) only."""
        return ((z @ self.weight)[src] * z[dst]).sum(-1)


@DECODERS.register("mlp")
class MLPDecoder(nn.Module):
    r"""MuSe-GNN's dataset-specific decoder: an MLP over the rows of :math:`Z Z^\top`.

    .. math::
        \hat A = W_3\,\mathrm{Mish}(W_2\,\mathrm{Mish}(W_1 (Z Z^\top)^\top)) \ \text{(row-wise)}

    with :math:`W_k \in \mathbb{R}^{n \times n}` for a graph of :math:`n` genes. The first
    layer is computed as :math:`Z (W_1 Z)^\top`, equal to :math:`(Z Z^\top) W_1^\top` but
    with :math:`2 n^2 d` multiply-adds instead of :math:`n^3` (and as few in its backward
    pass): :math:`Z Z^\top` has rank :math:`d`.

    >>> import torch
    >>> MLPDecoder(4, dim=2)(torch.randn(4, 2)).shape
    torch.Size([4, 4])
    """

    def __init__(self, n_genes: int, dim: int | None = None) -> None:
        super().__init__()
        self.n_genes = n_genes
        self.mlp = nn.Sequential(nn.Linear(n_genes, n_genes), nn.Mish(),
                                 nn.Linear(n_genes, n_genes), nn.Mish(),
                                 nn.Linear(n_genes, n_genes))

    def forward(self, z: Tensor) -> Tensor:
        first, *rest = self.mlp
        hidden = torch.addmm(first.bias, z, (first.weight @ z).T)  # = first(z @ z.T)
        for layer in rest:
            hidden = layer(hidden)
        return hidden
