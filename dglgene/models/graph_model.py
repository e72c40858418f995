"""A gene-graph model: an encoder shared as it says, a decoder per dataset, weighted losses.

MuSe-GNN and the GAE/VGAE baselines are instances with other parts; a method developer
builds a new one the same way (parts by registered name or as modules).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import anndata as ad
import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from dglgene.data import GraphCollection
from dglgene.losses import Loss, WeightedSum
from dglgene.losses.pair_batch import pair_batch
from dglgene.nn.decoders import DECODERS
from dglgene.nn.encoders import ENCODERS
from dglgene.ops import PairOverlap, PairOverlaps

GROUP_KEYS = ("modality", "tissue", "dataset", "species")


def sharing_groups(collection: GraphCollection, group_by: str | tuple[str, ...] = "auto"
                   ) -> dict[str, str]:
    """The encoder sharing group of each dataset.

    ``group_by`` names GeneGraph attributes (``()``: one group for the whole collection), or
    is ``"auto"``: modality x tissue, as the reference shares, except that a dataset alone in
    its modality x tissue falls back to its modality's group. A group of one shares nothing,
    and the reference's groups each hold several datasets.

    >>> from dglgene.data import GeneGraph, GraphCollection
    >>> import scipy.sparse as sp, numpy as np
    >>> def graph(name, modality, tissue):
    ...     return GeneGraph.from_adjacency(sp.eye(2, format="csr"), np.ones((2, 1)), ["a", "b"],
    ...                                     dataset=name, modality=modality, tissue=tissue)
    >>> coll = GraphCollection([graph("h1", "rna", "heart"), graph("h2", "rna", "heart"),
    ...                         graph("k1", "rna", "kidney"), graph("s1", "spatial", "heart")])
    >>> sharing_groups(coll)
    {'h1': 'rna:heart', 'h2': 'rna:heart', 'k1': 'rna', 's1': 'spatial'}
    """
    if group_by == "auto":
        fine = sharing_groups(collection, ("modality", "tissue"))
        size = Counter(fine.values())
        return {g.dataset: fine[g.dataset] if size[fine[g.dataset]] > 1 else g.modality
                for g in collection}
    unknown = set(group_by) - set(GROUP_KEYS)
    if isinstance(group_by, str) or unknown:
        raise ValueError(f"cannot group datasets by {group_by!r}; use 'auto' or a tuple of "
                         f"{GROUP_KEYS}")
    return {g.dataset: ":".join(str(getattr(g, key)) for key in group_by) for g in collection}


class GraphModel(nn.Module):
    """Encoder + per-dataset decoders + a :class:`~dglgene.losses.WeightedSum` of losses.

    Parameters
    ----------
    collection
        The graphs the model will see (feature widths and gene counts are read from it).
    encoder, decoder
        Registered names (``"muse"``, ``"gcn"``; ``"mlp"``, ``"inner"``) or, for the
        encoder, a module called as ``encoder(graph, feat, dataset)``.
    losses
        ``{name or Loss instance: weight}``.
    group_by
        How datasets share the encoder's block (:func:`sharing_groups`).
    seed
        Seed of the initial weights.
    """

    def __init__(self, collection: GraphCollection, encoder: str | nn.Module = "muse",
                 decoder: str = "mlp", losses: Mapping[str | Loss, float] | None = None,
                 dim: int = 32, group_by: str | tuple[str, ...] = "auto",
                 encoder_options: Mapping[str, object] | None = None, seed: int = 0) -> None:
        super().__init__()
        self.datasets = [g.dataset for g in collection]
        in_feats = {g.dataset: int(g.graph.ndata["feat"].shape[1]) for g in collection}
        groups = sharing_groups(collection, group_by)
        # Initial weights depend on the seed only, not on the global random state.
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.encoder = (ENCODERS.get(encoder)(in_feats, groups, dim=dim,
                                                  **dict(encoder_options or {}))
                            if isinstance(encoder, str) else encoder)
            self.decoders = nn.ModuleList(DECODERS.get(decoder)(g.n_genes)
                                          for g in collection)
            self.loss = WeightedSum(losses or {"recon": 1.0})
        self.dim = dim

    def encode(self, collection: GraphCollection, k: int) -> Tensor:
        g = collection[k]
        graph = g.graph.to(self.device)
        return self.encoder(graph, graph.ndata["feat"], g.dataset)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def parameter_groups(self, lr_encoder: float, lr_decoder: float) -> list[dict]:
        """Encoder and decoder parameters with their own learning rates (Algorithm 1)."""
        return [{"params": list(self.encoder.parameters()), "lr": lr_encoder},
                {"params": list(self.decoders.parameters()), "lr": lr_decoder},
                {"params": list(self.loss.parameters()), "lr": lr_encoder}]

    def training_step(self, collection: GraphCollection, i: int, j: int,
                      overlaps: PairOverlaps, adjacency_i: Tensor, rng: np.random.Generator,
                      contrastive_genes: int | None) -> dict[str, Tensor]:
        """Unweighted loss components of one step on graph i with partner j."""
        z_i = self.encode(collection, i)
        z_j = self.encode(collection, j) if j != i else z_i
        decoder = self.decoders[i]
        extras = {}
        if getattr(self.encoder, "kl", None) is not None:
            extras["kl_i"] = self.encoder.kl
        # alone (a one-dataset collection), graph i has no partner: reconstruction only
        overlap = overlaps.get(i, j) if j != i else PairOverlap.empty()
        batch = pair_batch(z_i, z_j, overlap, rng, contrastive_genes,
                           adjacency_i=adjacency_i, logits_i=decoder(z_i),
                           pair_logits_i=getattr(decoder, "pair_logits", None), extras=extras,
                           weight_scale=overlaps.mean_weight)
        return self.loss.components(batch)

    @torch.no_grad()
    def embed(self, collection: GraphCollection) -> ad.AnnData:
        """Gene embeddings, one row per (dataset, gene), with obs gene/dataset/modality/tissue."""
        was_training = self.training
        self.eval()
        blocks = [self.encode(collection, k).cpu().numpy() for k in range(len(collection))]
        self.train(was_training)
        return ad.AnnData(np.concatenate(blocks).astype(np.float32),
                          obs=embedding_frame(collection))


def embedding_frame(collection: GraphCollection) -> pd.DataFrame:
    """obs of an embedding: one row per (dataset, gene), in collection order, with the
    gene's co-expression degree in that dataset (self-loop excluded)."""
    obs = pd.DataFrame([
        {"gene": gene, "dataset": g.dataset, "modality": g.modality, "tissue": g.tissue}
        for g in collection for gene in g.genes])
    obs.index = [f"{row.dataset}:{row.gene}" for row in obs.itertuples()]
    for column in obs:
        obs[column] = obs[column].astype("category")
    obs["degree"] = np.concatenate([g.degree() for g in collection])
    return obs
