"""Decoders from gene embeddings to edge logits of one graph."""

from __future__ import annotations

from torch import Tensor, nn

from dglgene.registry import Registry

DECODERS: Registry[nn.Module] = Registry("decoder")


@DECODERS.register("inner")
class InnerProductDecoder(nn.Module):
    r"""Edge logits :math:`\hat A = Z Z^\top` (the GAE decoder).

    >>> import torch
    >>> InnerProductDecoder(3)(torch.eye(3)).diagonal().tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, n_genes: int) -> None:
        super().__init__()
        self.n_genes = n_genes

    def forward(self, z: Tensor) -> Tensor:
        return z @ z.T

    def pair_logits(self, z: Tensor, src: Tensor, dst: Tensor) -> Tensor:
        """Logits of the node pairs (src, dst) only: for graphs too big for dense logits."""
        return (z[src] * z[dst]).sum(-1)


@DECODERS.register("mlp")
class MLPDecoder(nn.Module):
    r"""MuSe-GNN's dataset-specific decoder: an MLP over the rows of :math:`Z Z^\top`.

    .. math::
        \hat A = W_3\,\mathrm{Mish}(W_2\,\mathrm{Mish}(W_1 (Z Z^\top)^\top)) \ \text{(row-wise)}

    with :math:`W_k \in \mathbb{R}^{n \times n}` for a graph of :math:`n` genes.

    >>> import torch
    >>> MLPDecoder(4)(torch.randn(4, 2)).shape
    torch.Size([4, 4])
    """

    def __init__(self, n_genes: int) -> None:
        super().__init__()
        self.n_genes = n_genes
        self.mlp = nn.Sequential(nn.Linear(n_genes, n_genes), nn.Mish(),
                                 nn.Linear(n_genes, n_genes), nn.Mish(),
                                 nn.Linear(n_genes, n_genes))

    def forward(self, z: Tensor) -> Tensor:
        return self.mlp(z @ z.T)
