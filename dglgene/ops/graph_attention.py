r"""The graph transformer layer's attention in one fused native kernel (CPU).

For a destination node :math:`i`, head :math:`h` and incoming edges :math:`j \to i`:

.. math::
    \alpha_{ij} = \mathrm{softmax}_{j}\left(s\, q_i^\top k_j\right), \qquad
    o_i = \sum_j \alpha_{ij} v_j

what DGL computes with ``u_dot_v``, ``edge_softmax`` and ``u_mul_e_sum`` in three
passes over the edges, here in one per destination (``csrc/graph_attention.cpp``; the
backward pass in one over the destinations and one over the sources). Every output row is
summed by one thread, in edge order: the result does not depend on the thread count.
Used by :class:`~dglgene.nn.GraphTransformerConv` on the CPU for float32 and float64
without edge features; :func:`fused_attention_applies` says when.

Example
-------
>>> import dgl, torch
>>> g = dgl.graph(([0, 1, 2], [1, 1, 0]), num_nodes=3)
>>> q = k = v = torch.ones(3, 1, 2)
>>> out, alpha = graph_attention(g, q, k, v, scale=1.0)
>>> alpha[:, 0].tolist()  # node 1 splits its attention between its two in-edges
[0.5, 0.5, 1.0]
>>> out[:, 0].tolist()  # node 2 has no in-edge
[[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

import dgl
import torch
from torch import Tensor

__all__ = ["fused_attention_applies", "graph_attention"]


@cache
def _native() -> ModuleType | None:
    try:
        return importlib.import_module("dglgene._C")
    except ImportError:  # not built: the layer keeps DGL's ops
        return None


def fused_attention_applies(*tensors: Tensor) -> bool:
    """Whether the fused kernel takes these tensors: the native module is built, and they
    are on the CPU, of float32 or float64, all of one dtype."""
    dtype = tensors[0].dtype
    return _native() is not None and dtype in (torch.float32, torch.float64) and all(
        t.device.type == "cpu" and t.dtype == dtype for t in tensors)


def _groups(graph: dgl.DGLGraph, fmt: str) -> tuple:
    """(indptr, other endpoint, edge id) of the edges grouped by destination ("csc") or by
    source ("csr"), as NumPy views; DGL keeps each format once built."""
    return tuple(a.numpy() for a in graph.adj_tensors(fmt))


def _rows(t: Tensor) -> Tensor:
    return t.detach().contiguous()


class _GraphAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, graph: dgl.DGLGraph, q: Tensor, k: Tensor, v: Tensor, scale: float
                ) -> tuple[Tensor, Tensor]:
        q, k, v = _rows(q), _rows(k), _rows(v)
        out = torch.empty_like(q)
        alpha = torch.empty(graph.num_edges(), q.shape[1], dtype=q.dtype)
        _native().attention_forward(*_groups(graph, "csc"), q.numpy(), k.numpy(), v.numpy(),
                                    scale, out.numpy(), alpha.numpy(), torch.get_num_threads())
        ctx.graph, ctx.scale = graph, scale
        ctx.save_for_backward(q, k, v, alpha)
        ctx.mark_non_differentiable(alpha)
        return out, alpha

    @staticmethod
    def backward(ctx, grad_out: Tensor, _grad_alpha: Tensor) -> tuple:
        q, k, v, alpha = ctx.saved_tensors
        grad_out = _rows(grad_out)
        grad_q, grad_k, grad_v = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
        scratch = torch.empty_like(alpha)
        _native().attention_backward(*_groups(ctx.graph, "csc"), *_groups(ctx.graph, "csr"),
                                     q.numpy(), k.numpy(), v.numpy(), alpha.numpy(),
                                     grad_out.numpy(), ctx.scale, grad_q.numpy(),
                                     grad_k.numpy(), grad_v.numpy(), scratch.numpy(),
                                     torch.get_num_threads())
        return None, grad_q, grad_k, grad_v, None


def graph_attention(graph: dgl.DGLGraph, q: Tensor, k: Tensor, v: Tensor, scale: float
                    ) -> tuple[Tensor, Tensor]:
    """Attention output ``(N_dst, H, d)`` and coefficients ``(E, H)`` (module docstring);
    ``q``: ``(N_dst, H, d)``, ``k`` and ``v``: ``(N_src, H, d)``, on the CPU."""
    return _GraphAttention.apply(graph, q, k, v, scale)
