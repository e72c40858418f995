"""Saved models: a trained MuSe-GNN or scTransNet in a directory, read back ready to use.

``dglgene embed`` and ``dglgene grn`` write ``OUT/model/model.pt``: one torch file of
tensors and plain containers only (read with ``weights_only=True``, so a file of unknown
origin runs no code), written atomically. Every such file has

- ``format`` = ``"dglgene.model"``, ``version`` = :data:`MODEL_VERSION` (other files and
  versions are refused by :func:`load` with one line), ``kind`` (``"muse-gnn"`` or
  ``"sctransnet"``), ``dglgene_version`` (the writer);
- ``state``: the model's ``state_dict``.

A MuSe-GNN (:func:`save_muse_gnn`) adds ``config`` (the run's ``[graphs]`` recipe and
``[train]`` tables, and as ``[model]`` the keyword arguments that rebuild the model),
``vocabulary`` (the sorted union of the genes), ``datasets`` (per dataset: name,
modality, tissue, species, genes in node order, feature width, sharing group, build
info) and ``reference`` (per dataset: its co-expression graph as CSR ``indptr`` /
``indices`` and its final embedding, genes x dim): what a new dataset is aligned to
(:func:`~dglgene.train.fit_new_datasets.fit_new_datasets`) without the training data.

An scTransNet (:func:`save_sctransnet`) adds ``options`` (its keyword arguments),
``expression`` (genes x cells, the GNN's node features) with ``genes`` and ``cells``,
``gene_representation`` (the transformer side frozen into its pooled genes x d output;
the per-cell encodings are not kept: hundreds of MB), ``known_grn`` (``src``, ``dst``,
number of nodes of the graph its GNN runs on: the training positives), ``settings`` (its
:class:`~dglgene.grn.settings.GRNSettings` as a table) and ``data`` (dataset metadata).

>>> import tempfile, torch
>>> from dglgene.data import build_collection
>>> from dglgene.datasets import simulate_collection
>>> from dglgene.models import MuSeGNN
>>> coll = build_collection(simulate_collection(n_datasets=2, seed=0).adatas, n_hvg=50)
>>> model = MuSeGNN(coll, dim=8)
>>> path = save_muse_gnn(model, tempfile.mkdtemp() + "/model", coll)
>>> again = load(path)
>>> bool((again.embed(coll).X == model.embed(coll).X).all()), again.datasets == model.datasets
(True, True)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import anndata as ad
import dgl
import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from dglgene import __version__
from dglgene.atomic import atomic_path
from dglgene.data import GeneGraph, GraphCollection
from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError
from dglgene.models.graph_model import DatasetRecord
from dglgene.models.muse_gnn import MuSeGNN
from dglgene.models.sctransnet import ScTransNet
from dglgene.nn.gene_representation import FixedEmbedding
from dglgene.versioned_file import load_versioned

T = TypeVar("T")

__all__ = ["MODEL_FILE", "MODEL_FORMAT", "MODEL_VERSION", "load", "load_as", "save_muse_gnn",
           "save_sctransnet"]

MODEL_FORMAT, MODEL_VERSION = "dglgene.model", 2
MODEL_FILE = "model.pt"
_RECORD_FIELDS = ("dataset", "modality", "tissue", "species")


def _named_parts(options: Mapping, *keys: str) -> None:
    """Refuse to save parts given as modules or classes (losses, a decoder, a GNN): only
    registered names can be rebuilt."""
    for key in keys:
        parts = options[key] if isinstance(options[key], Mapping) else {options[key]: 1}
        if not all(name is None or isinstance(name, str) for name in parts):
            raise ValueError(f"a model whose {key} is given as an object cannot be saved; "
                             "register it (dglgene.registry) and give it by name")


def _plain(value: object) -> object:
    """Tensors, Python scalars and containers only: a weights-only load refuses the rest
    (numpy scalars, e.g. in a graph's build info)."""
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value.item() if isinstance(value, np.generic) else value


def _write(path: str | os.PathLike, kind: str, state: Mapping[str, torch.Tensor],
           **content: object) -> Path:
    with atomic_path(path, directory=True) as tmp:
        torch.save({"format": MODEL_FORMAT, "version": MODEL_VERSION, "kind": kind,
                    "dglgene_version": __version__, "state": dict(state), **_plain(content)},
                   tmp / MODEL_FILE)
    return Path(path)


@torch.no_grad()
def _reference_graph(model: MuSeGNN, collection: GraphCollection, k: int,
                     rows: Mapping[str, tuple[list[str], np.ndarray]]) -> GeneGraph:
    """Graph ``k``'s structure and metadata, its final embedding as node features: its
    rows of the embedding at hand (:func:`_embedding_rows`) when they are its genes,
    else encoded here."""
    g = collection[k]
    genes, z = rows.get(g.dataset, (None, None))
    if genes != g.genes:
        z = model.encode(collection, k).cpu().numpy()
    return GeneGraph.from_adjacency(g.adjacency(), z, g.genes, dataset=g.dataset,
                                    modality=g.modality, tissue=g.tissue, species=g.species,
                                    info=dict(g.info))


def _embedding_rows(embedding: ad.AnnData | None) -> dict[str, tuple[list[str], np.ndarray]]:
    """Dataset -> its genes and rows in ``embedding`` (``model.embed(collection)``)."""
    if embedding is None:
        return {}
    datasets = embedding.obs["dataset"].astype(str).to_numpy()
    genes = embedding.obs["gene"].astype(str).to_numpy()
    return {d: (genes[rows].tolist(), np.asarray(embedding.X[rows]))
            for d in dict.fromkeys(datasets) for rows in [np.flatnonzero(datasets == d)]}


def save_muse_gnn(model: MuSeGNN, path: str | os.PathLike, collection: GraphCollection,
                  config: Mapping[str, Mapping] | None = None,
                  embedding: ad.AnnData | None = None) -> Path:
    """Write a trained MuSe-GNN to directory ``path`` (atomically); return ``path``.

    ``collection``: the graphs it was trained on, or new datasets it was extended by (the
    other datasets' reference comes from ``model.reference``). ``config``: the run's
    ``{"graphs": ..., "train": ...}`` tables, so that ``dglgene embed --model`` builds and
    trains new datasets the same way (default: the model's own ``config``, else the
    defaults). ``embedding``: ``model.embed(collection)``, when the caller has it, so that
    the graphs are not encoded a second time.
    """
    _named_parts(model.options, "losses", "decoder")
    strangers = [g.dataset for g in collection if g.dataset not in model.datasets]
    if strangers:
        raise ValueError(f"dataset {strangers[0]!r} is not the model's; add it first "
                         "(GraphModel.add_dataset)")
    config = config if config is not None else (model.config or {})
    was_training = model.training
    model.eval()
    known = {g.dataset: g for g in (model.reference or [])}
    rows = _embedding_rows(embedding)
    known.update({g.dataset: _reference_graph(model, collection, k, rows)
                  for k, g in enumerate(collection)})
    model.train(was_training)
    missing = [d for d in model.datasets if d not in known]
    if missing:
        raise ValueError(f"no graph for dataset {missing[0]!r} of the model; pass the "
                         "collection it was trained on")
    reference = [known[d] for d in model.datasets]
    for record, graph in zip(model.records, reference):
        if tuple(graph.genes) != record.genes:
            raise ValueError(f"{record.dataset}: the collection's genes are not the model's")
    datasets = [{**{f: getattr(r, f) for f in _RECORD_FIELDS}, "genes": list(r.genes),
                 "n_feats": r.n_feats, "group": model.groups[r.dataset], "info": g.info}
                for r, g in zip(model.records, reference)]
    return _write(path, "muse-gnn", model.state_dict(),
                  config={"graphs": dict(config.get("graphs", {})), "model": model.options,
                          "train": dict(config.get("train", {}))},
                  vocabulary=sorted(set().union(*(r.genes for r in model.records))),
                  datasets=datasets,
                  reference=[{"indptr": torch.from_numpy(indptr), "indices":
                              torch.from_numpy(indices), "embedding": g.graph.ndata["feat"]}
                             for g in reference for indptr, indices in [g.csr()]])


def _read_muse_gnn(state: dict) -> MuSeGNN:
    records = [DatasetRecord(*(str(d[f]) for f in _RECORD_FIELDS), tuple(d["genes"]),
                             int(d["n_feats"])) for d in state["datasets"]]
    options = dict(state["config"]["model"])
    if isinstance(options["group_by"], list):
        options["group_by"] = tuple(options["group_by"])
    reference = []
    for record, d, ref in zip(records, state["datasets"], state["reference"]):
        indptr, indices = ref["indptr"].numpy(), ref["indices"].numpy()
        adjacency = sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr),
                                  shape=(record.n_genes, record.n_genes))
        reference.append(GeneGraph.from_adjacency(
            adjacency, ref["embedding"].numpy(), list(record.genes),
            **{f: getattr(record, f) for f in _RECORD_FIELDS}, info=dict(d["info"])))
    model = MuSeGNN(records, **options, groups={d["dataset"]: d["group"]
                                                for d in state["datasets"]},
                    reference=GraphCollection(reference), config=state["config"])
    model.load_state_dict(state["state"])
    return model


def save_sctransnet(model: ScTransNet, path: str | os.PathLike,
                    expression: pd.DataFrame | None = None,
                    known_grn: dgl.DGLGraph | None = None,
                    settings: Mapping[str, object] | None = None,
                    data: Mapping[str, object] | None = None) -> Path:
    """Write a trained scTransNet to directory ``path`` (atomically); return ``path``.

    What it holds comes from the model (:class:`~dglgene.models.ScTransNet`: its genes x
    cells expression, ``known_grn``, ``settings``, ``data``, ``tfs`` and ``targets``);
    each argument given replaces the model's: ``expression``, the genes x cells table it
    was built on (rows: its genes); ``known_grn``, the graph its GNN runs on (None without
    a GNN); ``settings``, ``data``: tables kept as they are.
    """
    _named_parts(model.options, "loss", "gnn")
    if expression is None:
        expression = pd.DataFrame(model.expression.cpu().numpy(),
                                  index=model.genes or range(model.n_genes),
                                  columns=model.cells or range(model.expression.shape[1]))
    known_grn = model.known_grn if known_grn is None else known_grn
    if expression.shape[0] != model.n_genes:
        raise ValueError(f"expression has {expression.shape[0]} genes, the model "
                         f"{model.n_genes}")
    if (known_grn is None) != (model.gnn is None):
        raise ValueError("give known_grn exactly when the model has a GNN")
    representation = None
    if model.gene_repr is not None:
        was_training = model.gene_repr.training
        with torch.no_grad():
            representation = model.gene_repr.eval()().cpu()  # as it scores in eval mode
        model.gene_repr.train(was_training)
    # the pooling weights are folded into the representation
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("gene_repr.")}
    data = {"tfs": model.tfs, "targets": model.targets,
            **(model.data if data is None else data)}
    return _write(path, "sctransnet", state, options=model.options,
                  expression=torch.as_tensor(expression.to_numpy(np.float32)),
                  genes=[str(g) for g in expression.index],
                  cells=[str(c) for c in expression.columns],
                  gene_representation=representation,
                  known_grn=None if known_grn is None else
                  [*(e.cpu() for e in known_grn.edges()), known_grn.num_nodes()],
                  settings=dict(model.settings if settings is None else settings),
                  data={k: list(v) if isinstance(v, tuple) else v for k, v in data.items()})


def _read_sctransnet(state: dict) -> ScTransNet:
    representation = state["gene_representation"]
    data = dict(state["data"])
    expression = pd.DataFrame(state["expression"].numpy(), index=list(state["genes"]),
                              columns=list(state["cells"]))
    with torch.random.fork_rng():  # the initial weights are overwritten: leave the seed be
        model = ScTransNet(expression,
                           None if representation is None
                           else FixedEmbedding(representation, standardised=True),
                           **state["options"], tfs=data.pop("tfs", ()),
                           targets=data.pop("targets", ()), settings=state["settings"],
                           data=data)
    model.load_state_dict(state["state"])
    edges = state["known_grn"]  # src, dst (in the order trained: sums stay bit for bit)
    model.known_grn = None if edges is None else dgl.graph(tuple(edges[:2]),
                                                           num_nodes=edges[2])
    return model


_READERS = {"muse-gnn": _read_muse_gnn, "sctransnet": _read_sctransnet}


def load_as(cls: type[T], path: str | os.PathLike, device: str = "cpu") -> T:
    """:func:`load`, refused with one line unless the saved model is a ``cls``."""
    model = load(path, device)
    if not isinstance(model, cls):
        raise DglgeneInputError(f"{path}: a saved {type(model).__name__}, not a "
                                f"{cls.__name__}; read it with dglgene.models.load")
    return model


def load(path: str | os.PathLike, device: str = "cpu") -> MuSeGNN | ScTransNet:
    """The model saved in directory ``path`` (or its ``model.pt``), in eval mode on ``device``.

    A :class:`~dglgene.models.MuSeGNN` embeds collections of its datasets
    (``model.embed(coll)``) and carries ``config``, ``records``, ``groups`` and
    ``reference``; new datasets join it with ``dglgene embed --model``. An
    :class:`~dglgene.models.ScTransNet` carries ``genes``, ``tfs``, ``targets``,
    ``known_grn`` (the graph its GNN runs on), ``settings`` and ``data``; it scores pairs
    of gene indices with ``model.score_pairs(pairs)`` and gives the whole network with
    ``model.network(top_k)``.

    A missing, truncated, corrupt or foreign file, or one of another format version, is
    refused with one :class:`~dglgene.errors.DglgeneInputError` line naming the file.
    """
    path = Path(path)
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.is_file():
        raise DglgeneFileNotFoundError(
            f"{path}: no saved model here (no {MODEL_FILE}); give the OUT/model directory "
            "that `dglgene embed` or `dglgene grn` wrote")
    state = load_versioned(
        file, MODEL_FORMAT, MODEL_VERSION, what="saved model", weights_only=True,
        foreign="not a dglgene saved model; give the OUT/model directory that "
                "`dglgene embed` or `dglgene grn` wrote",
        unreadable_fix="write it again with `dglgene embed` or `dglgene grn`",
        version_fix="train it again with this dglgene")
    if state.get("kind") not in _READERS:
        raise DglgeneInputError(f"{file}: a saved model of unknown kind {state.get('kind')!r}; "
                                f"this dglgene reads {', '.join(_READERS)}")
    try:
        model = _READERS[state["kind"]](state)
    except DglgeneInputError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as error:
        detail = str(error).splitlines()[0] if str(error) else "no detail"
        raise DglgeneInputError(f"{file}: saved model is incomplete or inconsistent "
                                f"({type(error).__name__}: {detail}); write it again") from None
    return model.to(device).eval()

