"""The fused native attention kernel against DGL's three ops (u_dot_v, edge_softmax,
u_mul_e_sum), values and gradients, and its independence of the thread count."""

from __future__ import annotations

import dgl
import pytest
import torch
from dgl import ops
from dgl.nn.functional import edge_softmax
from hypothesis import given
from hypothesis import strategies as st
from test_nn_layers import edge_lists

from dglgene.ops.graph_attention import fused_attention_applies, graph_attention

TOL = {torch.float64: {"atol": 1e-10, "rtol": 1e-9}, torch.float32: {"atol": 1e-5, "rtol": 1e-4}}


def dgl_attention(graph: dgl.DGLGraph, q, k, v, scale: float):
    alpha = edge_softmax(graph, ops.u_dot_v(graph, k, q) * scale)
    return ops.u_mul_e_sum(graph, v, alpha), alpha[..., 0]


def inputs(n_src: int, n_dst: int, heads: int, dim: int, dtype: torch.dtype, seed: int):
    gen = torch.Generator().manual_seed(seed)

    def rows(n: int) -> torch.Tensor:
        return (torch.randn(n, heads, dim, generator=gen, dtype=torch.float64) * 2).to(dtype) \
            .requires_grad_()
    return rows(n_dst), rows(n_src), rows(n_src)


def assert_same(graph: dgl.DGLGraph, q, k, v, scale: float, dtype: torch.dtype, seed: int):
    out, alpha = graph_attention(graph, q, k, v, scale)
    ref, ref_alpha = dgl_attention(graph, q, k, v, scale)
    torch.testing.assert_close(out, ref, **TOL[dtype])
    torch.testing.assert_close(alpha, ref_alpha, **TOL[dtype])
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    grads = torch.autograd.grad((out * w).sum(), [q, k, v])
    ref_grads = torch.autograd.grad((ref * w).sum(), [q, k, v])
    for name, a, b in zip("qkv", grads, ref_grads):
        torch.testing.assert_close(a, b, **TOL[dtype], msg=name)


@given(graph=edge_lists(), heads=st.integers(1, 4), dim=st.integers(1, 9),
       scale=st.floats(0.1, 2.0), dtype=st.sampled_from([torch.float32, torch.float64]),
       seed=st.integers(0, 2**16))
def test_fused_attention_equals_dgl_ops(graph: tuple, heads: int, dim: int, scale: float,
                                        dtype: torch.dtype, seed: int) -> None:
    """Multi-edges, self-loops and nodes without in-edges (their output is 0) included."""
    n, src, dst = graph
    g = dgl.graph((src, dst), num_nodes=n)
    assert_same(g, *inputs(n, n, heads, dim, dtype, seed), scale, dtype, seed)


@given(n_src=st.integers(1, 12), n_dst=st.integers(1, 12), data=st.data(),
       seed=st.integers(0, 2**16))
def test_fused_attention_on_a_bipartite_block(n_src: int, n_dst: int, data: st.DataObject,
                                              seed: int) -> None:
    edges = data.draw(st.lists(st.tuples(st.integers(0, n_src - 1), st.integers(0, n_dst - 1)),
                               max_size=40))
    src = torch.tensor([u for u, _ in edges], dtype=torch.int64)
    dst = torch.tensor([w for _, w in edges], dtype=torch.int64)
    block = dgl.create_block((src, dst), num_src_nodes=n_src, num_dst_nodes=n_dst)
    assert_same(block, *inputs(n_src, n_dst, 2, 3, torch.float64, seed), 0.5, torch.float64,
                seed)


def test_fused_attention_does_not_depend_on_the_thread_count() -> None:
    """Each output row is summed by one thread in edge order: bit-identical results."""
    src, dst = torch.randint(0, 500, (2, 20_000), generator=torch.Generator().manual_seed(0))
    g = dgl.graph((src, dst), num_nodes=500)
    q, k, v = inputs(500, 500, 4, 32, torch.float32, 0)
    threads = torch.get_num_threads()
    results = []
    try:
        for n in (1, 3):
            torch.set_num_threads(n)
            out, alpha = graph_attention(g, q, k, v, 0.2)
            results.append([out, alpha, *torch.autograd.grad(out.square().sum(), [q, k, v])])
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(*results):
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype, applies", [
    (torch.float32, True), (torch.float64, True), (torch.float16, False),
    (torch.bfloat16, False)])
def test_fused_attention_applies_to_cpu_float32_and_float64(dtype, applies) -> None:
    t = torch.zeros(2, 1, 1, dtype=dtype)
    assert fused_attention_applies(t, t, t) is applies
    assert not fused_attention_applies(t.float(), t.double(), t.float())
