"""Torch module for the graph transformer convolution of UniMP (Shi et al., 2021)."""

from __future__ import annotations

import math

import torch
from dgl import DGLGraph, ops
from dgl.nn.functional import edge_softmax
from dgl.utils import expand_as_pair
from torch import nn

from dglgene.ops.graph_attention import fused_attention_applies, graph_attention


class GraphTransformerConv(nn.Module):
    r"""Graph transformer layer from `Masked Label Prediction: Unified Message Passing Model
    for Semi-Supervised Classification <https://arxiv.org/abs/2009.03509>`__ (UniMP); the
    layer PyG calls ``TransformerConv``.

    For a destination node :math:`i` with incoming edges :math:`j \to i` and each head
    :math:`c`:

    .. math::
        \alpha_{ij}^{(c)} &= \mathrm{softmax}_{j \in \mathcal{N}(i)} \left(
            \frac{(W_q^{(c)} x_i)^\top (W_k^{(c)} x_j + W_e^{(c)} e_{ji})}{\sqrt{d}} \right)

        m_i^{(c)} &= \sum_{j \in \mathcal{N}(i)} \alpha_{ij}^{(c)}
            \left(W_v^{(c)} x_j + W_e^{(c)} e_{ji}\right)

    where :math:`d` is ``out_feats`` and the :math:`W_e` terms appear only with edge
    features. The heads are concatenated, :math:`m_i = \Vert_c m_i^{(c)}`, or averaged,
    :math:`m_i = \frac{1}{H} \sum_c m_i^{(c)}`. With ``root_weight`` the skip term
    :math:`r_i = W_r x_i` is added, :math:`h_i' = m_i + r_i`, or, with ``beta``, mixed in by
    a learned gate:

    .. math::
        \beta_i = \sigma\left(w_\beta^\top [r_i \,\Vert\, m_i \,\Vert\, r_i - m_i]\right),
        \qquad h_i' = \beta_i r_i + (1 - \beta_i) m_i .

    A node without incoming edges gets :math:`m_i = 0`. Dropout acts on the attention
    coefficients :math:`\alpha_{ij}`. On the CPU, without edge features or active dropout,
    the scores, their softmax and :math:`m_i` come from one fused native kernel
    (:mod:`dglgene.ops.graph_attention`); otherwise from DGL's ``u_dot_v``,
    ``edge_softmax`` and ``u_mul_e_sum``.

    Parameters
    ----------
    in_feats : int
        Input node feature size.
    out_feats : int
        Output size :math:`d` of each head.
    num_heads : int
        Number of attention heads :math:`H`.
    concat : bool
        Concatenate the heads (output ``num_heads * out_feats``) or average them (output
        ``out_feats``).
    beta : bool
        Gate the skip connection with :math:`\beta_i` (needs ``root_weight``).
    root_weight : bool
        Add the skip term :math:`W_r x_i`.
    edge_feats : int, optional
        Edge feature size; ``None`` for a layer without edge features.
    dropout : float
        Dropout rate on the attention coefficients.
    bias : bool
        Learn additive biases in :math:`W_q, W_k, W_v, W_r` (:math:`W_e` and :math:`w_\beta`
        have none).

    Examples
    --------
    >>> import dgl, torch
    >>> from dglgene.nn import GraphTransformerConv
    >>> g = dgl.graph(([0, 1, 2, 3], [1, 2, 3, 1]), num_nodes=5)
    >>> conv = GraphTransformerConv(8, 4, num_heads=2, edge_feats=3, beta=True)
    >>> out, attn = conv(g, torch.randn(5, 8), torch.randn(4, 3), get_attention=True)
    >>> out.shape, attn.shape
    (torch.Size([5, 8]), torch.Size([4, 2, 1]))
    >>> GraphTransformerConv(8, 4, num_heads=2, concat=False)(g, torch.randn(5, 8)).shape
    torch.Size([5, 4])
    """

    def __init__(self, in_feats: int, out_feats: int, num_heads: int = 1, concat: bool = True,
                 beta: bool = False, root_weight: bool = True, edge_feats: int | None = None,
                 dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        if beta and not root_weight:
            raise ValueError("beta=True gates the root weight term: it needs root_weight=True")
        self._in_feats, self._out_feats, self._num_heads = in_feats, out_feats, num_heads
        self._concat, self._beta, self._root_weight = concat, beta, root_weight
        width = num_heads * out_feats
        self.lin_query = nn.Linear(in_feats, width, bias=bias)
        self.lin_key = nn.Linear(in_feats, width, bias=bias)
        self.lin_value = nn.Linear(in_feats, width, bias=bias)
        self.lin_edge = None if edge_feats is None else nn.Linear(edge_feats, width, bias=False)
        out_width = width if concat else out_feats
        self.lin_skip = nn.Linear(in_feats, out_width, bias=bias) if root_weight else None
        self.lin_beta = nn.Linear(3 * out_width, 1, bias=False) if beta else None
        self.attn_drop = nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Reinitialise as PyG's ``TransformerConv`` does: each Linear's own default
        (Kaiming-uniform weights, a = sqrt(5); uniform biases). On the simulated collection
        this integrates better than Xavier weights with zero biases (README, MuSe-GNN)."""
        for lin in (self.lin_query, self.lin_key, self.lin_value, self.lin_edge,
                    self.lin_skip, self.lin_beta):
            if lin is not None:
                lin.reset_parameters()

    def forward(self, graph: DGLGraph, feat: torch.Tensor | tuple[torch.Tensor, torch.Tensor],
                edge_feat: torch.Tensor | None = None, get_attention: bool = False,
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        r"""Compute the layer's output.

        Parameters
        ----------
        graph : DGLGraph
            The graph (or a block / unidirectional bipartite graph with a feature pair).
        feat : torch.Tensor or pair of torch.Tensor
            Node features :math:`(N, D_{in})`, or (source, destination) features.
        edge_feat : torch.Tensor, optional
            Edge features :math:`(E, D_{edge})`; required exactly when ``edge_feats`` was set.
        get_attention : bool
            Also return the attention coefficients :math:`(E, H, 1)` (before dropout).

        Returns
        -------
        torch.Tensor
            :math:`(N_{dst}, H \cdot d)` with ``concat``, :math:`(N_{dst}, d)` otherwise; and the
            attention coefficients if ``get_attention``.
        """
        if (edge_feat is None) != (self.lin_edge is None):
            if edge_feat is None:
                raise ValueError("this layer was built with edge_feats: pass edge_feat")
            raise ValueError("edge_feat was given but the layer was built with edge_feats=None")
        heads, dim = self._num_heads, self._out_feats
        src, dst = expand_as_pair(feat, graph)
        query = self.lin_query(dst).view(-1, heads, dim)
        key = self.lin_key(src).view(-1, heads, dim)
        value = self.lin_value(src).view(-1, heads, dim)
        dropout = self.training and self.attn_drop.p > 0
        if self.lin_edge is None and not dropout and fused_attention_applies(query, key, value):
            # the three passes below in one native kernel (dglgene.ops.graph_attention)
            out, attn = graph_attention(graph, query, key, value, 1 / math.sqrt(dim))
            attn = attn.unsqueeze(-1)
        else:
            score = ops.u_dot_v(graph, key, query)  # (E, H, 1)
            if self.lin_edge is not None:
                edge = self.lin_edge(edge_feat).view(-1, heads, dim)
                score = score + ops.e_dot_v(graph, edge, query)
            attn = edge_softmax(graph, score / math.sqrt(dim))
            alpha = self.attn_drop(attn)
            out = ops.u_mul_e_sum(graph, value, alpha)  # (N_dst, H, d); 0 without in-edges
            if self.lin_edge is not None:
                out = out + ops.copy_e_sum(graph, edge * alpha)
        out = out.flatten(1) if self._concat else out.mean(1)
        if self.lin_skip is not None:
            root = self.lin_skip(dst)
            if self.lin_beta is not None:
                gate = torch.sigmoid(self.lin_beta(torch.cat([root, out, root - out], dim=-1)))
                out = gate * root + (1 - gate) * out
            else:
                out = out + root
        return (out, attn) if get_attention else out

    def extra_repr(self) -> str:
        return (f"in_feats={self._in_feats}, out_feats={self._out_feats}, "
                f"num_heads={self._num_heads}, concat={self._concat}, beta={self._beta}, "
                f"root_weight={self._root_weight}")
