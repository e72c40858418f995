"""GraphTransformerConv and GraphNorm (dglgene.nn) against plain-PyTorch references."""

from __future__ import annotations

import math

import dgl
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from dglgene.nn import GraphNorm, GraphTransformerConv

ATOL = 1e-5


@st.composite
def edge_lists(draw: st.DrawFn, max_nodes: int = 30) -> tuple[int, torch.Tensor, torch.Tensor]:
    """1..max_nodes nodes; random directed edges with self-loops, multi-edges, isolated nodes."""
    n = draw(st.integers(1, max_nodes))
    node = st.integers(0, n - 1)
    edges = draw(st.lists(st.tuples(node, node), max_size=3 * n))
    if edges and draw(st.booleans()):  # repeat some edges: multi-edges
        edges += draw(st.lists(st.sampled_from(edges), max_size=len(edges)))
    if draw(st.booleans()):
        edges += [(u, u) for u in range(n) if draw(st.booleans())]
    src = torch.tensor([u for u, _ in edges], dtype=torch.int64)
    dst = torch.tensor([v for _, v in edges], dtype=torch.int64)
    return n, src, dst


@st.composite
def conv_configs(draw: st.DrawFn) -> dict:
    root_weight = draw(st.booleans())
    return {"in_feats": draw(st.integers(1, 6)), "out_feats": draw(st.integers(1, 5)),
            "num_heads": draw(st.integers(1, 4)), "concat": draw(st.booleans()),
            "beta": root_weight and draw(st.booleans()), "root_weight": root_weight,
            "edge_feats": draw(st.none() | st.integers(1, 4)), "bias": draw(st.booleans())}


def make_case(cfg: dict, n: int, n_edges: int, seed: int, n_dst: int | None = None) -> tuple:
    """A float64 layer with random weights (biases too) and its random inputs."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    conv = GraphTransformerConv(**cfg).double()
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    x = torch.randn(n, cfg["in_feats"], generator=gen, dtype=torch.float64, requires_grad=True)
    e = None
    if cfg["edge_feats"] is not None:
        e = torch.randn(n_edges, cfg["edge_feats"], generator=gen, dtype=torch.float64,
                        requires_grad=True)
    return conv, x, e


def reference_conv(conv: GraphTransformerConv, cfg: dict, src: torch.Tensor, dst: torch.Tensor,
                   x_src: torch.Tensor, x_dst: torch.Tensor, e: torch.Tensor | None,
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """The UniMP formula edge by edge with index_add/scatter, on the layer's own weights."""
    heads, dim, n_dst = cfg["num_heads"], cfg["out_feats"], x_dst.shape[0]
    q = F.linear(x_dst, conv.lin_query.weight, conv.lin_query.bias).view(-1, heads, dim)
    k = F.linear(x_src, conv.lin_key.weight, conv.lin_key.bias).view(-1, heads, dim)[src]
    v = F.linear(x_src, conv.lin_value.weight, conv.lin_value.bias).view(-1, heads, dim)[src]
    if e is not None:
        edge = F.linear(e, conv.lin_edge.weight).view(-1, heads, dim)
        k, v = k + edge, v + edge
    score = (q[dst] * k).sum(-1) / math.sqrt(dim)  # (E, H)
    index = dst[:, None].expand(-1, heads)
    top = torch.full((n_dst, heads), -math.inf, dtype=score.dtype)
    top = top.scatter_reduce(0, index, score.detach(), "amax")
    weight = (score - top[dst]).exp()
    alpha = weight / torch.zeros(n_dst, heads, dtype=score.dtype).index_add(0, dst, weight)[dst]
    m = torch.zeros(n_dst, heads, dim, dtype=score.dtype).index_add(0, dst, alpha[..., None] * v)
    m = m.reshape(n_dst, heads * dim) if cfg["concat"] else m.mean(1)
    if cfg["root_weight"]:
        r = F.linear(x_dst, conv.lin_skip.weight, conv.lin_skip.bias)
        if cfg["beta"]:
            b = torch.sigmoid(torch.cat([r, m, r - m], -1) @ conv.lin_beta.weight.T)
            m = b * r + (1 - b) * m
        else:
            m = m + r
    return m, alpha


def assert_same_values_and_grads(out: torch.Tensor, ref: torch.Tensor,
                                 inputs: list[torch.Tensor], seed: int) -> None:
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=1e-6)
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=out.dtype)
    grads = torch.autograd.grad((out * w).sum(), inputs, allow_unused=True)
    ref_grads = torch.autograd.grad((ref * w).sum(), inputs, allow_unused=True)
    for g, rg in zip(grads, ref_grads):
        g = torch.zeros_like(rg) if g is None and rg is not None else g
        rg = torch.zeros_like(g) if rg is None and g is not None else rg
        if g is not None:
            torch.testing.assert_close(g, rg, atol=ATOL, rtol=1e-6)


# ---------------------------------------------------------------- GraphTransformerConv


@given(graph=edge_lists(), cfg=conv_configs(), seed=st.integers(0, 2**16))
def test_conv_matches_reference_values_and_grads(graph: tuple, cfg: dict, seed: int) -> None:
    n, src, dst = graph
    conv, x, e = make_case(cfg, n, len(src), seed)
    g = dgl.graph((src, dst), num_nodes=n)
    out, attn = conv(g, x, e, get_attention=True)
    ref, ref_alpha = reference_conv(conv, cfg, src, dst, x, x, e)
    torch.testing.assert_close(attn.squeeze(-1), ref_alpha, atol=ATOL, rtol=1e-6)
    inputs = [x, *([] if e is None else [e]), *conv.parameters()]
    assert_same_values_and_grads(out, ref, inputs, seed)


@given(graph=edge_lists(), cfg=conv_configs(), seed=st.integers(0, 2**16))
def test_conv_attention_sums_to_one_per_destination(graph: tuple, cfg: dict, seed: int) -> None:
    n, src, dst = graph
    conv, x, e = make_case(cfg, n, len(src), seed)
    _, attn = conv(dgl.graph((src, dst), num_nodes=n), x, e, get_attention=True)
    assert attn.shape == (len(src), cfg["num_heads"], 1)
    assert bool((attn >= 0).all())
    totals = torch.zeros(n, cfg["num_heads"], dtype=attn.dtype).index_add(0, dst, attn[..., 0])
    has_in_edge = torch.bincount(dst, minlength=n) > 0
    torch.testing.assert_close(totals[has_in_edge], torch.ones_like(totals[has_in_edge]))
    assert bool((totals[~has_in_edge] == 0).all())


@given(graph=edge_lists(), cfg=conv_configs(), seed=st.integers(0, 2**16), data=st.data())
def test_conv_is_permutation_equivariant(graph: tuple, cfg: dict, seed: int,
                                         data: st.DataObject) -> None:
    n, src, dst = graph
    conv, x, e = make_case(cfg, n, len(src), seed)
    perm = torch.tensor(data.draw(st.permutations(range(n))), dtype=torch.int64)
    eperm = torch.tensor(data.draw(st.permutations(range(len(src)))), dtype=torch.int64)
    x_new = torch.empty_like(x)
    x_new[perm] = x  # node i is node perm[i] of the relabelled graph
    g_new = dgl.graph((perm[src][eperm], perm[dst][eperm]), num_nodes=n)
    out, attn = conv(dgl.graph((src, dst), num_nodes=n), x, e, get_attention=True)
    out_new, attn_new = conv(g_new, x_new, None if e is None else e[eperm], get_attention=True)
    torch.testing.assert_close(out_new[perm], out, atol=ATOL, rtol=1e-6)
    torch.testing.assert_close(attn_new, attn[eperm], atol=ATOL, rtol=1e-6)


@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("root_weight", [True, False])
@pytest.mark.parametrize("edge_feats", [None, 3])
def test_conv_output_shapes(concat: bool, root_weight: bool, edge_feats: int | None) -> None:
    g = dgl.rand_graph(7, 20)
    conv = GraphTransformerConv(5, 4, num_heads=3, concat=concat, root_weight=root_weight,
                                beta=root_weight, edge_feats=edge_feats)
    e = None if edge_feats is None else torch.randn(20, edge_feats)
    out, attn = conv(g, torch.randn(7, 5), e, get_attention=True)
    assert out.shape == ((7, 12) if concat else (7, 4))
    assert attn.shape == (20, 3, 1)
    assert out.dtype == torch.float32


def test_conv_isolated_node_gets_root_term_only() -> None:
    g = dgl.graph(([0, 1], [1, 0]), num_nodes=3)  # node 2 has no incoming edge
    x = torch.randn(3, 4)
    with_root = GraphTransformerConv(4, 2, num_heads=2)
    torch.testing.assert_close(with_root(g, x)[2], with_root.lin_skip(x[2]))
    assert bool((GraphTransformerConv(4, 2, root_weight=False)(g, x)[2] == 0).all())


def test_conv_on_bipartite_graph_with_feature_pair() -> None:
    cfg = {"in_feats": 4, "out_feats": 3, "num_heads": 2, "concat": True, "beta": True,
           "root_weight": True, "edge_feats": 2, "bias": True}
    src, dst = torch.tensor([0, 1, 4, 4, 2, 0]), torch.tensor([0, 0, 1, 1, 2, 2])
    g = dgl.heterograph({("a", "to", "b"): (src, dst)}, num_nodes_dict={"a": 5, "b": 4})
    conv, x_src, e = make_case(cfg, 5, len(src), seed=3)
    x_dst = torch.randn(4, 4, dtype=torch.float64, requires_grad=True)
    out = conv(g, (x_src, x_dst), e)
    ref, _ = reference_conv(conv, cfg, src, dst, x_src, x_dst, e)
    assert_same_values_and_grads(out, ref, [x_src, x_dst, e, *conv.parameters()], seed=3)


def test_conv_dropout_acts_in_training_only() -> None:
    g, x = dgl.rand_graph(10, 60), torch.randn(10, 4)
    conv = GraphTransformerConv(4, 3, num_heads=2, dropout=0.5)
    plain = GraphTransformerConv(4, 3, num_heads=2)
    plain.load_state_dict(conv.state_dict())
    torch.manual_seed(0)
    trained, attn = conv(g, x, get_attention=True)
    assert not torch.allclose(trained, plain(g, x))
    torch.testing.assert_close(attn, plain(g, x, get_attention=True)[1])  # before dropout
    torch.testing.assert_close(conv.eval()(g, x), plain(g, x))


def test_conv_edge_feature_mismatch_raises() -> None:
    g, x = dgl.rand_graph(5, 8), torch.randn(5, 4)
    with pytest.raises(ValueError, match="edge_feats=None"):
        GraphTransformerConv(4, 2)(g, x, torch.randn(8, 3))
    with pytest.raises(ValueError, match="pass edge_feat"):
        GraphTransformerConv(4, 2, edge_feats=3)(g, x)
    with pytest.raises(ValueError, match="root_weight"):
        GraphTransformerConv(4, 2, beta=True, root_weight=False)


def test_conv_reset_parameters_is_deterministic() -> None:
    torch.manual_seed(1)
    conv = GraphTransformerConv(4, 2, num_heads=2, edge_feats=3, beta=True)
    torch.manual_seed(1)
    conv.reset_parameters()
    again = GraphTransformerConv(4, 2, num_heads=2, edge_feats=3, beta=True)
    torch.manual_seed(1)
    again.reset_parameters()
    for p, q in zip(conv.parameters(), again.parameters()):
        torch.testing.assert_close(p, q)
    # PyG's initialisation (the reference's): weights and biases uniform in +-1/sqrt(fan_in)
    for lin in (conv.lin_query, conv.lin_key, conv.lin_value, conv.lin_skip):
        bound = 1 / lin.in_features ** 0.5
        assert float(lin.weight.abs().max()) <= bound and float(lin.bias.abs().max()) <= bound
        assert float(lin.bias.abs().max()) > 0


# ---------------------------------------------------------------- GraphNorm


@st.composite
def batches(draw: st.DrawFn) -> tuple[dgl.DGLGraph, list[int], torch.Generator]:
    sizes = draw(st.lists(st.integers(0, 12), min_size=1, max_size=5))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    graphs = [dgl.graph(tuple(torch.randint(0, max(s, 1), (2, 2 * s), generator=gen)),
                        num_nodes=s) for s in sizes]
    return dgl.batch(graphs), sizes, gen


def random_norm(dim: int, gen: torch.Generator, alpha_one: bool = False) -> GraphNorm:
    norm = GraphNorm(dim).double()
    with torch.no_grad():
        for p in (norm.gamma, norm.beta) if alpha_one else norm.parameters():
            p.copy_(torch.randn(dim, generator=gen, dtype=torch.float64))
    return norm


def reference_norm(norm: GraphNorm, x: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    parts = []
    for part in x.split(sizes):
        if len(part) == 0:  # an empty graph: nothing to normalise (its mean would be NaN)
            parts.append(part)
            continue
        shifted = part - norm.alpha * part.mean(0)
        var = shifted.pow(2).mean(0)
        parts.append(norm.gamma * shifted / torch.sqrt(var + norm.eps) + norm.beta)
    return torch.cat(parts)


@given(batch=batches(), dim=st.integers(1, 5))
def test_graph_norm_matches_reference_values_and_grads(batch: tuple, dim: int) -> None:
    g, sizes, gen = batch
    norm = random_norm(dim, gen)
    x = torch.randn(g.num_nodes(), dim, generator=gen, dtype=torch.float64, requires_grad=True)
    assert_same_values_and_grads(norm(g, x), reference_norm(norm, x, sizes),
                                 [x, *norm.parameters()], seed=0)


@given(batch=batches(), dim=st.integers(1, 5))
def test_graph_norm_output_moments(batch: tuple, dim: int) -> None:
    g, sizes, gen = batch
    norm = random_norm(dim, gen, alpha_one=True)
    x = 3 * torch.randn(g.num_nodes(), dim, generator=gen, dtype=torch.float64) + 1
    y = norm(g, x).detach()
    for part_x, part_y in zip(x.split(sizes), y.split(sizes)):
        if len(part_x) == 0:
            continue
        torch.testing.assert_close(part_y.mean(0), norm.beta.detach().expand(dim))
        raw = part_x.var(0, unbiased=False)
        torch.testing.assert_close(part_y.var(0, unbiased=False),
                                   norm.gamma.detach() ** 2 * raw / (raw + norm.eps))


@given(batch=batches(), dim=st.integers(1, 5))
def test_graph_norm_normalises_batched_graphs_independently(batch: tuple, dim: int) -> None:
    g, sizes, gen = batch
    norm = random_norm(dim, gen)
    x = torch.randn(g.num_nodes(), dim, generator=gen, dtype=torch.float64)
    y = norm(g, x)
    for single, part_x, part_y in zip(dgl.unbatch(g), x.split(sizes), y.split(sizes)):
        torch.testing.assert_close(norm(single, part_x), part_y)


def test_graph_norm_unbatched_default_is_standardisation() -> None:
    g, x = dgl.rand_graph(50, 100), torch.randn(50, 3) * 4 - 2
    y = GraphNorm(3)(g, x)
    torch.testing.assert_close(y, (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5))
