"""Torch module for graph normalisation (GraphNorm, Cai et al., 2021)."""

from __future__ import annotations

import torch
from dgl import DGLGraph, ops
from torch import nn


class GraphNorm(nn.Module):
    r"""Graph normalisation from `GraphNorm: A Principled Approach to Accelerating Graph
    Neural Network Training <https://arxiv.org/abs/2009.03294>`__.

    Each graph :math:`G` of a (batched) graph is normalised over its own :math:`n_G` nodes,
    per feature:

    .. math::
        \mu_G = \frac{1}{n_G} \sum_{i \in G} x_i, \qquad
        \sigma_G^2 = \frac{1}{n_G} \sum_{i \in G} (x_i - \alpha \odot \mu_G)^2, \qquad
        y_i = \gamma \odot \frac{x_i - \alpha \odot \mu_G}{\sqrt{\sigma_G^2 + \epsilon}}
            + \beta

    with learnable :math:`\alpha` (initialised to 1), :math:`\gamma` (1) and :math:`\beta`
    (0). :math:`\sigma_G^2` is the (biased) second moment of the shifted features, as in the
    paper; with :math:`\alpha = 1` it is the variance of :math:`x` over the graph's nodes.

    Parameters
    ----------
    num_features : int
        Feature size :math:`D`.
    eps : float
        :math:`\epsilon`, added to the variance for numerical stability.

    Examples
    --------
    >>> import dgl, torch
    >>> from dglgene.nn import GraphNorm
    >>> g = dgl.batch([dgl.rand_graph(4, 6), dgl.rand_graph(3, 2)])
    >>> y = GraphNorm(5)(g, torch.randn(7, 5))
    >>> y.shape
    torch.Size([7, 5])
    >>> bool(y[:4].mean(0).abs().max() < 1e-5) and bool(y[4:].mean(0).abs().max() < 1e-5)
    True
    """

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features, self.eps = num_features, eps
        self.alpha = nn.Parameter(torch.empty(num_features))
        self.gamma = nn.Parameter(torch.empty(num_features))
        self.beta = nn.Parameter(torch.empty(num_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Reset :math:`\alpha, \gamma` to 1 and :math:`\beta` to 0."""
        nn.init.ones_(self.alpha)
        nn.init.ones_(self.gamma)
        nn.init.zeros_(self.beta)

    def forward(self, graph: DGLGraph, feat: torch.Tensor) -> torch.Tensor:
        """Normalise node features :math:`(N, D)` of ``graph`` graph by graph."""
        counts = graph.batch_num_nodes().to(feat.device)
        mean = ops.segment_reduce(counts, feat, "mean")  # (B, D)
        shifted = feat - self.alpha * torch.repeat_interleave(mean, counts, dim=0,
                                                              output_size=feat.shape[0])
        var = ops.segment_reduce(counts, shifted.pow(2), "mean")
        std = torch.repeat_interleave((var + self.eps).sqrt(), counts, dim=0,
                                      output_size=feat.shape[0])
        return self.gamma * shifted / std + self.beta

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"
