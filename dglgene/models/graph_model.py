"""A gene-graph model: an encoder shared as it says, a decoder per dataset, weighted losses.

MuSe-GNN and the GAE/VGAE baselines are instances with other parts; a method developer
builds a new one the same way (parts by registered name or as modules).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import anndata as ad
import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from dglgene.data import GeneGraph, GraphCollection
from dglgene.errors import DglgeneInputError
from dglgene.losses import Loss, WeightedSum
from dglgene.losses.base import EdgeTargets
from dglgene.losses.pair_batch import pair_batch
from dglgene.nn.decoders import DECODERS
from dglgene.nn.encoders import ENCODERS
from dglgene.ops import PairOverlap, PairOverlaps

GROUP_KEYS = ("modality", "tissue", "dataset", "species")


@dataclass(frozen=True)
class DatasetRecord:
    """What a model keeps of a dataset it was built for: its metadata, its genes in node
    order and its node-feature width. A saved model is rebuilt from these, without graphs.

    >>> import numpy as np, scipy.sparse as sp
    >>> g = GeneGraph.from_adjacency(sp.eye(2, format="csr"), np.ones((2, 3)), ["a", "b"],
    ...                              dataset="h1", modality="rna", tissue="heart")
    >>> record = DatasetRecord.of(g)
    >>> record.dataset, record.genes, record.n_genes, record.n_feats
    ('h1', ('a', 'b'), 2, 3)
    """

    dataset: str
    modality: str
    tissue: str
    species: str
    genes: tuple[str, ...]
    n_feats: int

    @classmethod
    def of(cls, graph: GeneGraph | DatasetRecord) -> DatasetRecord:
        if isinstance(graph, DatasetRecord):
            return graph
        return cls(graph.dataset, graph.modality, graph.tissue, graph.species,
                   tuple(graph.genes), int(graph.graph.ndata["feat"].shape[1]))

    @property
    def n_genes(self) -> int:
        return len(self.genes)


#: What a GraphModel is built for: the graphs themselves, or only their records.
Datasets = GraphCollection | Sequence[DatasetRecord]


def sharing_groups(collection: Datasets, group_by: str | tuple[str, ...] = "auto"
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
        raise DglgeneInputError(f"cannot group datasets by {group_by!r}; use 'auto' or a tuple of "
                         f"{GROUP_KEYS}")
    return {g.dataset: ":".join(str(getattr(g, key)) for key in group_by) for g in collection}


def existing_group(record: DatasetRecord, group_by: str | tuple[str, ...],
                   groups: Sequence[str]) -> str:
    """The sharing group, among a trained model's ``groups``, that a new dataset joins.

    With ``"auto"``, its modality x tissue group where the model has one (it held several
    datasets), else its modality's group, as :func:`sharing_groups` would have placed it;
    otherwise the group ``group_by`` names. None of them in ``groups``: a one-line error.
    """
    if group_by == "auto":
        wanted = [f"{record.modality}:{record.tissue}", record.modality]
    else:
        wanted = list(sharing_groups([record], group_by).values())
    for group in wanted:
        if group in groups:
            return group
    raise DglgeneInputError(
        f"{record.dataset}: the model has no sharing group for it (it would join "
        f"{' or '.join(map(repr, wanted))}; the model has {', '.join(map(repr, groups))}); "
        "embed it with a model trained on a dataset of its modality, or train a new one")


class GraphModel(nn.Module):
    """Encoder + per-dataset decoders + a :class:`~dglgene.losses.WeightedSum` of losses.

    Parameters
    ----------
    collection
        The graphs the model will see (feature widths and gene counts are read from it),
        or their :class:`DatasetRecord` s.
    encoder
        A registered name (``"muse"``, ``"gcn"``) or a module called as
        ``encoder(graph, feat, dataset)``.
    decoder
        A registered name (``"mlp"``, ``"inner"``) or a class (any callable) that makes
        one dataset's decoder as ``decoder(n_genes, dim=dim)``: each dataset has its own.
    losses
        ``{name or Loss instance: weight}``.
    group_by
        How datasets share the encoder's block (:func:`sharing_groups`).
    groups
        The sharing group of each dataset, given outright (instead of ``group_by``'s rule:
        a saved model's groups).
    seed
        Seed of the initial weights.
    reference
        The training graphs' structure with their final embeddings, which new datasets are
        aligned to (:func:`~dglgene.train.fit_new_datasets.fit_new_datasets`); a loaded
        model has them.
    config
        The tables of the run that trained it (``graphs``, ``model``, ``train``), kept for
        saving it again.
    """

    def __init__(self, collection: Datasets, encoder: str | nn.Module = "muse",
                 decoder: str | Callable[..., nn.Module] = "mlp",
                 losses: Mapping[str | Loss, float] | None = None,
                 dim: int = 32, group_by: str | tuple[str, ...] = "auto",
                 encoder_options: Mapping[str, object] | None = None, seed: int = 0,
                 groups: Mapping[str, str] | None = None,
                 reference: GraphCollection | None = None,
                 config: Mapping[str, Mapping] | None = None) -> None:
        super().__init__()
        self.records = [DatasetRecord.of(g) for g in collection]
        self.datasets = [r.dataset for r in self.records]
        in_feats = {r.dataset: r.n_feats for r in self.records}
        self.group_by = group_by
        self.groups = (sharing_groups(self.records, group_by) if groups is None
                       else {d: groups[d] for d in self.datasets})
        # Initial weights depend on the seed only, not on the global random state.
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.encoder = (ENCODERS.get(encoder)(in_feats, self.groups, dim=dim,
                                                  **dict(encoder_options or {}))
                            if isinstance(encoder, str) else encoder)
            self.make_decoder = DECODERS.get(decoder) if isinstance(decoder, str) else decoder
            self.decoders = nn.ModuleList(self.make_decoder(r.n_genes, dim=dim)
                                          for r in self.records)
            self.loss = WeightedSum(losses or {"recon": 1.0})
        self.dim = dim
        self.reference = reference
        self.config = dict(config) if config is not None else None

    def add_dataset(self, record: DatasetRecord, group: str | None = None, seed: int = 0
                    ) -> str:
        """A new dataset's own layers (its encoder layer, its decoder), feeding the trained
        block of sharing ``group`` (default: the one :func:`existing_group` picks); train
        them with :func:`~dglgene.train.fit_new_datasets.fit_new_datasets`. Returns the
        group."""
        if group is None:
            group = existing_group(record, self.group_by, sorted(set(self.groups.values())))
        if record.dataset in self.datasets:
            raise DglgeneInputError(f"the model already has a dataset {record.dataset!r}; "
                                    "give the new one another name (adata.uns['dataset'])")
        if not hasattr(self.encoder, "add_dataset"):
            raise ValueError(f"{type(self.encoder).__name__} cannot take new datasets")
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.encoder.add_dataset(record.dataset, record.n_feats, group)
            self.decoders.append(self.make_decoder(record.n_genes, dim=self.dim))
        self.to(self.device)
        self.records.append(record)
        self.datasets.append(record.dataset)
        self.groups[record.dataset] = group
        return group

    def encode(self, collection: GraphCollection, k: int) -> Tensor:
        g = collection[k]
        graph = g.graph.to(self.device)
        return self.encoder(graph, graph.ndata["feat"], g.dataset)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def parameter_groups(self, lr_encoder: float, lr_decoder: float,
                         datasets: Sequence[str] | None = None) -> list[dict]:
        """Encoder and decoder parameters with their own learning rates (Algorithm 1);
        with ``datasets``, only those datasets' own layers (the rest stays frozen)."""
        if datasets is None:
            return [{"params": list(self.encoder.parameters()), "lr": lr_encoder},
                    {"params": list(self.decoders.parameters()), "lr": lr_decoder},
                    {"params": list(self.loss.parameters()), "lr": lr_encoder}]
        return [{"params": [p for d in datasets
                            for p in self.encoder.specific_layer(d).parameters()],
                 "lr": lr_encoder},
                {"params": [p for d in datasets
                            for p in self.decoders[self.datasets.index(d)].parameters()],
                 "lr": lr_decoder}]

    def training_step(self, collection: GraphCollection, i: int, j: int,
                      overlaps: PairOverlaps, edges_i: EdgeTargets | Tensor,
                      rng: np.random.Generator,
                      contrastive_genes: int | None) -> dict[str, Tensor]:
        """Unweighted loss components of one step on graph i with partner j (``edges_i``:
        graph i's edges, or its dense adjacency)."""
        if isinstance(edges_i, Tensor):
            edges_i = EdgeTargets.from_dense(edges_i)
        z_i = self.encode(collection, i)
        # a variational encoder's KL is that of its last call: read it before encoding j
        kl_i = getattr(self.encoder, "kl", None)
        extras = {} if kl_i is None else {"kl_i": kl_i}
        z_j = self.encode(collection, j) if j != i else z_i
        # alone (a one-dataset collection), graph i has no partner: reconstruction only
        overlap = overlaps.get(i, j) if j != i else PairOverlap.empty()
        return self.pair_losses(collection[i].dataset, z_i, z_j, overlap, edges_i, rng,
                                contrastive_genes, overlaps.mean_weight, extras)

    def pair_losses(self, dataset: str, z_i: Tensor, z_j: Tensor, overlap: PairOverlap,
                    edges_i: EdgeTargets, rng: np.random.Generator,
                    contrastive_genes: int | None, weight_scale: float,
                    extras: Mapping[str, Tensor] | None = None) -> dict[str, Tensor]:
        """Unweighted loss components of the embeddings ``z_i`` of ``dataset`` (decoded by
        its decoder) against a partner's ``z_j``, given their overlap and graph i's edges.
        The batch holds only what the losses read (``batch_inputs``): dense logits and
        adjacency for the dense reconstruction, edges and a pair scorer for the sampled one
        (the decoder's own, or its dense logits indexed where it has none)."""
        decoder = self.decoders[self.datasets.index(dataset)]
        wants = self.loss.batch_inputs
        logits = decoder(z_i) if "logits_i" in wants else None
        pair = getattr(decoder, "pair_logits", None)
        if pair is None and "pair_logits_i" in wants:
            def pair(z: Tensor, src: Tensor, dst: Tensor) -> Tensor:
                return decoder(z)[src, dst]
        batch = pair_batch(z_i, z_j, overlap, rng, contrastive_genes,
                           adjacency_i=edges_i.dense() if "adjacency_i" in wants else None,
                           logits_i=logits, pair_logits_i=pair, edges_i=edges_i,
                           extras=dict(extras or {}), weight_scale=weight_scale)
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
