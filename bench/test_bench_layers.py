"""Benchmark of GraphTransformerConv: dglgene's fused native attention against DGL's
sparse ops and plain PyTorch.

Group ``layer``: forward + backward of one layer (4 heads x 64, 64 input features, concat,
root weight) on a random 2,000-node, 100,000-edge graph, with ``dglgene.nn`` (on the CPU:
the fused kernel of ``dglgene.ops.graph_attention``), with DGL's u_dot_v, edge_softmax and
u_mul_e_sum, and with index_select / scatter_reduce / index_add, all on the same weights (5
rounds each, 15-35 s in all on 2 cores). ``test_layers_agree`` checks that the three
compute the same.
"""

from __future__ import annotations

import math
from functools import cache

import dgl
import pytest
import torch
import torch.nn.functional as F
from dgl import ops
from dgl.nn.functional import edge_softmax
from pytest_benchmark.fixture import BenchmarkFixture

from dglgene.nn import GraphTransformerConv

N_NODES, N_EDGES, IN_FEATS, HEADS, DIM = 2_000, 100_000, 64, 4, 64
Workload = tuple[dgl.DGLGraph, torch.Tensor, torch.Tensor, torch.Tensor, GraphTransformerConv]


@cache
def workload() -> Workload:
    gen = torch.Generator().manual_seed(0)
    src, dst = torch.randint(0, N_NODES, (2, N_EDGES), generator=gen)
    torch.manual_seed(0)
    conv = GraphTransformerConv(IN_FEATS, DIM, num_heads=HEADS)
    feat = torch.randn(N_NODES, IN_FEATS, generator=gen)
    return dgl.graph((src, dst), num_nodes=N_NODES), src, dst, feat, conv


def dgl_conv(conv: GraphTransformerConv, graph: dgl.DGLGraph, feat: torch.Tensor
             ) -> torch.Tensor:
    """The same layer with DGL's sparse ops (what dglgene.nn ran before its fused kernel)."""
    n = feat.shape[0]
    q = conv.lin_query(feat).view(n, HEADS, DIM)
    k = conv.lin_key(feat).view(n, HEADS, DIM)
    v = conv.lin_value(feat).view(n, HEADS, DIM)
    alpha = edge_softmax(graph, ops.u_dot_v(graph, k, q) / math.sqrt(DIM))
    return ops.u_mul_e_sum(graph, v, alpha).flatten(1) + conv.lin_skip(feat)


def torch_conv(conv: GraphTransformerConv, src: torch.Tensor, dst: torch.Tensor,
               feat: torch.Tensor) -> torch.Tensor:
    """The same layer (concat, root weight, no edge features) with plain PyTorch ops."""
    n = feat.shape[0]
    q = conv.lin_query(feat).view(n, HEADS, DIM)
    k = conv.lin_key(feat).view(n, HEADS, DIM)
    v = conv.lin_value(feat).view(n, HEADS, DIM)
    score = (q.index_select(0, dst) * k.index_select(0, src)).sum(-1) / math.sqrt(DIM)
    top = torch.full((n, HEADS), -math.inf).scatter_reduce(
        0, dst[:, None].expand(-1, HEADS), score.detach(), "amax")
    weight = (score - top.index_select(0, dst)).exp()
    alpha = weight / torch.zeros(n, HEADS).index_add(0, dst, weight).index_select(0, dst)
    out = torch.zeros(n, HEADS, DIM).index_add(0, dst, alpha[..., None] * v.index_select(0, src))
    return out.flatten(1) + conv.lin_skip(feat)


def step(impl: str) -> None:
    graph, src, dst, feat, conv = workload()
    conv.zero_grad(set_to_none=True)
    x = feat.detach().requires_grad_()
    if impl == "dglgene":
        out = conv(graph, x)
    elif impl == "dgl":
        out = dgl_conv(conv, graph, x)
    else:
        out = torch_conv(conv, src, dst, x)
    F.mse_loss(out, torch.zeros_like(out)).backward()


def test_layers_agree() -> None:
    graph, src, dst, feat, conv = workload()
    ours = conv(graph, feat)
    for other in (dgl_conv(conv, graph, feat), torch_conv(conv, src, dst, feat)):
        torch.testing.assert_close(other, ours, atol=1e-4, rtol=1e-4)


@pytest.mark.benchmark(group="layer")
@pytest.mark.parametrize("impl", ["dglgene", "dgl", "torch"])
def test_graph_transformer_conv(benchmark: BenchmarkFixture, impl: str) -> None:
    benchmark.pedantic(step, args=(impl,), rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(n_nodes=N_NODES, n_edges=N_EDGES, impl=impl, heads=HEADS,
                                out_feats=DIM, in_feats=IN_FEATS, threads=torch.get_num_threads())
