"""MuSe-GNN's training step as the reference code takes it, re-implemented on PyG and
pytorch-metric-learning: the baseline that ``test_bench_step.py`` times dglgene against.

Written from the paper and the published structure of the reference
(HelloWorldLTY/MuSe-GNN, ``Model/MuSeGNN_*.py``), none of its code:

- per dataset, ``TransformerConv(F -> 32, 4 heads)`` -> ``GraphNorm`` -> Mish;
- per sharing group, ``TransformerConv(128 -> 32, 2 heads)`` -> ``GraphNorm`` -> Mish ->
  ``TransformerConv(64 -> 32)``, plus a residual ``TransformerConv(128 -> 32)`` of the
  block's input;
- per dataset, the n -> n -> n -> n MLP with Mish over the rows of Z Z^T;
- one step on graph i with partner j: BCE-with-logits of graph i's decoded Z Z^T against
  its dense adjacency; minus the Jaccard-weighted mean cosine of the common genes (raw
  weights); ``lambda_nce`` x ``SelfSupervisedLoss(NTXentLoss(0.07))`` over 100 different
  genes drawn with replacement, the same positions into both sides, against their sampled
  neighbours; three Adam optimisers (specific layers and shared blocks at the encoder
  rate, decoders at the decoder rate).

As in the reference, each step moves graph i's and j's features and edges to the device;
the pair sets (common genes, Jaccard weights, different genes and their neighbours) are
computed before training. Here they come from dglgene's kernels, so both implementations
step on the same sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from pytorch_metric_learning.losses import NTXentLoss, SelfSupervisedLoss
from torch import Tensor, nn
from torch_geometric.nn import GraphNorm, TransformerConv

from dglgene.data import GraphCollection
from dglgene.models import MuSeGNN
from dglgene.ops import PairOverlaps

#: The reference's defaults: temperature, InfoNCE weight, genes drawn per step.
TEMPERATURE, LAMBDA_NCE, SAMPLE_SIZE = 0.07, 0.01, 100


class ConvNorm(nn.Module):
    """TransformerConv -> GraphNorm (the reference's PyG ``Sequential`` of the two)."""

    def __init__(self, in_channels: int, out_channels: int, heads: int) -> None:
        super().__init__()
        self.conv = TransformerConv(in_channels, out_channels, heads=heads)
        self.norm = GraphNorm(out_channels * heads)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        return self.norm(self.conv(x, edge_index))


class SharedBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.first = ConvNorm(dim * 4, dim, heads=2)
        self.second = TransformerConv(dim * 2, dim)
        self.residual = TransformerConv(dim * 4, dim)
        self.act = nn.Mish()

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        hidden = self.act(self.first(x, edge_index))
        return self.second(hidden, edge_index) + self.residual(x, edge_index)


@dataclass
class Graph:
    """What the reference keeps of a graph: features, PyG edge index, dense adjacency."""

    x: Tensor
    edge_index: Tensor
    adjacency: Tensor


class ReferenceMuSeGNN(nn.Module):
    """The reference's encoders and decoders for the datasets and groups of ``model``
    (a dglgene :class:`~dglgene.models.MuSeGNN`), with ``model``'s weights."""

    def __init__(self, model: MuSeGNN) -> None:
        super().__init__()
        encoder, dim = model.encoder, model.dim
        self.group_of = {d: encoder.group_keys[encoder.group_of[d]] for d in model.datasets}
        self.specific = nn.ModuleDict({
            encoder.datasets[r.dataset]: ConvNorm(r.n_feats, dim, heads=4)
            for r in model.records})
        self.shared = nn.ModuleDict({key: SharedBlock(dim) for key in encoder.shared})
        self.decoders = nn.ModuleList(
            nn.Sequential(nn.Linear(r.n_genes, r.n_genes), nn.Mish(),
                          nn.Linear(r.n_genes, r.n_genes), nn.Mish(),
                          nn.Linear(r.n_genes, r.n_genes)) for r in model.records)
        self.keys = [encoder.datasets[d] for d in model.datasets]
        self.groups = [self.group_of[d] for d in model.datasets]
        self.act = nn.Mish()
        self.load_state_dict(reference_state(model.state_dict()))

    def encode(self, k: int, graph: Graph, device: torch.device) -> Tensor:
        x, edge_index = graph.x.to(device), graph.edge_index.to(device)
        hidden = self.act(self.specific[self.keys[k]](x, edge_index))
        return self.shared[self.groups[k]](hidden, edge_index)

    def optimizers(self, lr_encoder: float = 1e-3, lr_decoder: float = 1e-3
                   ) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.specific.parameters(), lr=lr_encoder),
                torch.optim.Adam(self.shared.parameters(), lr=lr_encoder),
                torch.optim.Adam(self.decoders.parameters(), lr=lr_decoder)]


def reference_state(ours: dict[str, Tensor]) -> dict[str, Tensor]:
    """dglgene's MuSeGNN state dict in the names of :class:`ReferenceMuSeGNN`: the same
    layers (PyG's TransformerConv has dglgene's ``lin_*`` names; GraphNorm's
    alpha, gamma, beta are PyG's mean_scale, weight, bias)."""
    norm = {"alpha": "mean_scale", "gamma": "weight", "beta": "bias"}
    state = {}
    for name, value in ours.items():
        if name.startswith("encoder."):
            name = name.removeprefix("encoder.")
            head, _, last = name.rpartition(".")
            if head.endswith(".norm"):
                name = f"{head}.{norm[last]}"
        elif name.startswith("decoders."):
            name = name.replace(".mlp.", ".")
        else:
            continue  # the losses' own parameters (MuSe-GNN's have none)
        state[name] = value
    return state


def reference_graphs(collection: GraphCollection) -> list[Graph]:
    graphs = []
    for g in collection:
        src, dst = g.graph.edges()
        graphs.append(Graph(g.graph.ndata["feat"], torch.stack([src, dst]).long(),
                            torch.as_tensor(g.adjacency().toarray(), dtype=torch.float32)))
    return graphs


def draw_different(overlaps: PairOverlaps, i: int, j: int, rng: np.random.Generator
                   ) -> np.ndarray:
    """The reference's draw: SAMPLE_SIZE positions into the pair's different genes, with
    replacement, used on both sides (it needs as many different genes in i as in j)."""
    n = len(overlaps.get(i, j).diff_i)
    return rng.choice(n, min(SAMPLE_SIZE, n))


def reference_losses(model: ReferenceMuSeGNN, graphs: list[Graph], overlaps: PairOverlaps,
                     i: int, j: int, positions: np.ndarray, device: torch.device,
                     symmetric: bool = False) -> dict[str, Tensor]:
    """The reference's three loss terms on (i, j), unweighted. ``symmetric``: InfoNCE as
    ``SelfSupervisedLoss`` computes it by default since pytorch-metric-learning 2.2 (queries
    and keys joined into one batch of anchors); False: queries against keys alone, as
    before 2.2 and as dglgene."""
    z = model.encode(i, graphs[i], device)
    logits = model.decoders[i](z @ z.T)
    recon = nn.functional.binary_cross_entropy_with_logits(
        logits.flatten(), graphs[i].adjacency.to(device).flatten())
    z_new = model.encode(j, graphs[j], device)
    pair = overlaps.get(i, j)
    zero = recon.new_zeros(())
    if len(pair.common_i) == 0:  # the reference returns the reconstruction alone
        return {"recon": recon, "sim": zero, "nce": zero}
    weight = torch.as_tensor(pair.weights, dtype=torch.float32, device=device)
    cosine = torch.cosine_similarity(z[pair.common_i], z_new[pair.common_j], dim=1) * weight
    if len(pair.diff_i) == 0:
        return {"recon": recon, "sim": -cosine.mean(), "nce": zero}
    queries = torch.cat([z[pair.diff_i[positions]], z_new[pair.diff_j[positions]]])
    keys = torch.cat([z[pair.diff_i_neighbor[positions]], z_new[pair.diff_j_neighbor[positions]]])
    nce = SelfSupervisedLoss(NTXentLoss(temperature=TEMPERATURE), symmetric=symmetric)(
        queries, keys)
    return {"recon": recon, "sim": -cosine.mean(), "nce": nce}


def reference_step(model: ReferenceMuSeGNN, optimizers: list[torch.optim.Optimizer],
                   graphs: list[Graph], overlaps: PairOverlaps, i: int, j: int,
                   rng: np.random.Generator, device: torch.device, symmetric: bool = False
                   ) -> float:
    """One training step of the reference on (i, j); its total loss."""
    for optimizer in optimizers:
        optimizer.zero_grad(set_to_none=True)
    terms = reference_losses(model, graphs, overlaps, i, j,
                             draw_different(overlaps, i, j, rng), device, symmetric)
    loss = terms["recon"] + terms["sim"] + LAMBDA_NCE * terms["nce"]
    loss.backward()
    for optimizer in optimizers:
        optimizer.step()
    return float(loss)
