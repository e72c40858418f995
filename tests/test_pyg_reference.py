"""dglgene's layers and InfoNCE against the libraries the reference code is built on: PyG's
TransformerConv and GraphNorm, pytorch-metric-learning's NT-Xent (test-only pins), with the
same weights and inputs."""

from __future__ import annotations

import warnings

import dgl
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from test_nn_layers import conv_configs, edge_lists, make_case

from dglgene.losses import InfoNCE
from dglgene.losses.base import PairBatch
from dglgene.nn import GraphNorm

with warnings.catch_warnings():  # PyG warns about optional extensions it does not find
    warnings.simplefilter("ignore")
    import torch_geometric.nn as pyg
from pytorch_metric_learning.losses import NTXentLoss, SelfSupervisedLoss

TOL = {"atol": 1e-9, "rtol": 1e-7}


def pyg_beta(weight: torch.Tensor) -> torch.Tensor:
    """Our gate weight in PyG's layout: we gate [r, m, r - m] (the UniMP paper's order),
    PyG [m, r, m - r]; w = [a, b, c] on ours is [b, a, -c] on PyG's (its own inverse)."""
    a, b, c = weight.chunk(3, dim=-1)
    return torch.cat([b, a, -c], dim=-1)


def pyg_conv(cfg: dict, ours: torch.nn.Module) -> pyg.TransformerConv:
    """PyG's TransformerConv of the same configuration, holding ``ours``' weights (the two
    name their Linear layers alike)."""
    theirs = pyg.TransformerConv(cfg["in_feats"], cfg["out_feats"], heads=cfg["num_heads"],
                                 concat=cfg["concat"], beta=cfg["beta"],
                                 root_weight=cfg["root_weight"], edge_dim=cfg["edge_feats"],
                                 bias=cfg["bias"]).double()
    state = ours.state_dict()
    if cfg["beta"]:
        state["lin_beta.weight"] = pyg_beta(state["lin_beta.weight"])
    missing, unexpected = theirs.load_state_dict(state, strict=False)
    # without root_weight PyG still builds lin_skip (and leaves it unused); we build none
    assert not unexpected and all(k.startswith("lin_skip.") for k in missing)
    return theirs


@given(graph=edge_lists(), cfg=conv_configs(), seed=st.integers(0, 2**16))
def test_graph_transformer_conv_equals_pyg_transformer_conv(graph: tuple, cfg: dict,
                                                            seed: int) -> None:
    n, src, dst = graph
    conv, x, e = make_case(cfg, n, len(src), seed)
    theirs = pyg_conv(cfg, conv)
    out = conv(dgl.graph((src, dst), num_nodes=n), x, e)
    ref = theirs(x, torch.stack([src, dst]), e)
    torch.testing.assert_close(out, ref, **TOL)
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=out.dtype)
    inputs = [x, *([] if e is None else [e])]
    names = [name for name, _ in conv.named_parameters()]
    their_params = dict(theirs.named_parameters())
    ours_grads = torch.autograd.grad((out * w).sum(), [*inputs, *conv.parameters()])
    their_grads = torch.autograd.grad((ref * w).sum(),
                                      [*inputs, *(their_params[k] for k in names)])
    for name, a, b in zip(["x", "e"][:len(inputs)] + names, ours_grads, their_grads):
        b = pyg_beta(b) if name == "lin_beta.weight" else b
        torch.testing.assert_close(a, b, **TOL, msg=name)


@given(sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4),
       width=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_graph_norm_equals_pyg_graph_norm(sizes: list[int], width: int, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    ours = GraphNorm(width).double()
    with torch.no_grad():
        for p in ours.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    theirs = pyg.GraphNorm(width).double()
    theirs.load_state_dict({"mean_scale": ours.alpha, "weight": ours.gamma, "bias": ours.beta})
    x = torch.randn(sum(sizes), width, generator=gen, dtype=torch.float64) * 3 + 1
    graph = dgl.batch([dgl.graph(([], []), num_nodes=s) for s in sizes])
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    torch.testing.assert_close(ours(graph, x), theirs(x, batch), **TOL)


@given(n_i=st.integers(0, 8), n_j=st.integers(0, 8), dim=st.integers(2, 6),
       temperature=st.floats(0.05, 2.0), seed=st.integers(0, 2**16))
def test_infonce_equals_pml_ntxent_of_queries_against_keys(
        n_i: int, n_j: int, dim: int, temperature: float, seed: int) -> None:
    """The reference's ``SelfSupervisedLoss(NTXentLoss)``, queries against keys (what it
    computed before pytorch-metric-learning 2.2 made it symmetric by default)."""
    assume(n_i + n_j >= 2)  # a lone query has no negative
    gen = torch.Generator().manual_seed(seed)
    z_i = torch.randn(10, dim, generator=gen, dtype=torch.float64)
    z_j = torch.randn(10, dim, generator=gen, dtype=torch.float64)
    diff_i = torch.randperm(10, generator=gen)[:n_i]
    diff_j = torch.randperm(10, generator=gen)[:n_j]
    near_i = torch.randint(10, (n_i,), generator=gen)
    near_j = torch.randint(10, (n_j,), generator=gen)
    none = torch.zeros(0, dtype=torch.int64)
    batch = PairBatch(z_i, z_j, none, none, torch.zeros(0), diff_i, near_i, diff_j, near_j)
    ours = InfoNCE(temperature)(batch)
    queries = torch.cat([z_i[diff_i], z_j[diff_j]])
    keys = torch.cat([z_i[near_i], z_j[near_j]])
    theirs = SelfSupervisedLoss(NTXentLoss(temperature=temperature), symmetric=False)(queries, keys)
    # pytorch-metric-learning adds 1e-45 inside its log
    torch.testing.assert_close(ours, theirs, atol=1e-7, rtol=1e-6)
