"""``dglgene grn`` and ``dglgene bench-grn``: scTransNet, its ablations and baselines.

One run: a BEELINE/GENELink directory -> splits (given or made) -> gene representations
from a frozen single-cell transformer (a checkpoint, a small one pre-trained on the data's
own cells, precomputed embeddings, or none) -> scTransNet trained with validation early
stopping -> test scores, metrics beside the baselines, PR curves. Outputs go to a
temporary directory that replaces ``out`` only when everything succeeded.

Every method of :data:`METHODS` sees the same splits and seeds. The encoder is pre-trained
once per dataset (seed 0, self-supervised on the cells: no labels involved), as a
foundation model is a fixed input; the seeds vary the splits and the GRN training.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import torch

from dglgene.atomic import atomic_path
from dglgene.data.beeline import GRNData, read_beeline
from dglgene.data.gene_embeddings import read_gene_embeddings
from dglgene.data.grn_splits import held_out_tf_split, read_genelink_splits, transductive_split
from dglgene.eval.grn_metrics import auroc, grn_metrics
from dglgene.eval.plots import plot_link_training, plot_pr_curves
from dglgene.eval.tables import format_comparison
from dglgene.models.grn_baselines import genie3_scores, pearson_scores, per_tf_prior
from dglgene.models.sctransnet import ScTransNet
from dglgene.nn.gene_representation import FixedEmbedding, PooledEncodings, scbert_cell_encodings
from dglgene.nn.performer import ScBertEncoder, checkpoint_genes, load_scbert_checkpoint
from dglgene.progress import progress
from dglgene.train.fit_links import fit_links, score_pairs, training_graph
from dglgene.train.pretrain import SMALL_SCBERT_CONFIG, pretrain_scbert

__all__ = ["METHODS", "SERGIO_BENCHMARK", "VAL_METRICS", "GRNSettings", "baseline_scores",
           "benchmark_datasets", "compare_grn", "encoder_encodings", "format_grn_table",
           "grn_table", "make_splits", "pretrain_on_cells", "run_grn", "train_scores"]

SPLIT_KINDS = ("transductive", "held-out-tf")
#: GRNSettings.select_by -> fit_links' val_metric (None: validation log-loss)
VAL_METRICS = {"loss": None, "auroc": auroc}


@dataclass
class GRNSettings:
    """Model and training settings of one scTransNet run (the same for every method)."""

    gnn: str | None = "gat"
    pooling: str = "attentive"
    epochs: int = 100
    patience: int = 20
    lr: float = 1e-3
    weight_decay: float = 1e-4
    dropout: float = 0.1
    head_hidden: tuple[int, ...] = (256, 64)
    batch_size: int = 256
    max_cells: int | None = 512
    pretrain_epochs: int = 10
    #: early stopping on the validation log-loss ("loss": a proper score over every
    #: validation pair) or on validation AUROC ("auroc": coarser with few positives)
    select_by: str = "loss"
    pretrain_config: Mapping[str, int] = field(default_factory=lambda: dict(SMALL_SCBERT_CONFIG))

    def __post_init__(self) -> None:
        if self.select_by not in VAL_METRICS:
            raise ValueError(f"unknown select_by {self.select_by!r}; choose one of "
                             f"{', '.join(VAL_METRICS)}")


#: method name -> (uses the transformer encoder, settings changes)
METHODS: dict[str, tuple[bool, dict]] = {
    "scTransNet": (True, {}),
    "GENELink (no transformer)": (False, {}),
    "no GNN": (True, {"gnn": None}),
    "mean pooling": (True, {"pooling": "mean"}),
}
BASELINES = ("per-TF prior", "Pearson |r|", "GENIE3")


def make_splits(data: GRNData, split: str = "transductive", seed: int = 0,
                split_dir: str | os.PathLike | None = None) -> dict[str, pd.DataFrame]:
    """Read GENELink split files from ``split_dir`` or make a leak-free split."""
    if split_dir is not None:
        return read_genelink_splits(split_dir, data)
    if split == "transductive":
        return transductive_split(data, seed=seed)
    if split == "held-out-tf":
        return held_out_tf_split(data, seed=seed)
    raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLIT_KINDS)}")


def encoder_encodings(data: GRNData, encoder: str = "scbert",
                      checkpoint: str | os.PathLike | None = None,
                      settings: GRNSettings | None = None,
                      device: str = "cpu") -> torch.Tensor | np.ndarray | None:
    """What the foundation-model side contributes for ``data``'s genes.

    ``"scbert"``: cell encodings (cells x genes x dim) from ``checkpoint`` (which must carry
    its gene list) or, without one, from a small encoder pre-trained on ``data``'s cells;
    ``"precomputed:PATH"``: a genes x d array; ``"none"``: None.
    """
    settings = settings or GRNSettings()
    if encoder == "none":
        return None
    if encoder.startswith("precomputed:"):
        matrix, report = read_gene_embeddings(encoder.split(":", 1)[1], data.genes)
        print(f"precomputed gene embeddings: {report}")
        return matrix
    if encoder != "scbert":
        raise ValueError(f"unknown encoder {encoder!r}; use scbert, precomputed:PATH or none")
    if checkpoint is not None:
        if not Path(checkpoint).is_file():
            raise ValueError(f"checkpoint {str(checkpoint)!r} does not exist")
        genes = checkpoint_genes(checkpoint)
        if genes is None:
            raise ValueError(f"checkpoint {str(checkpoint)!r} has no gene list (a 'genes' "
                             "entry); add scBERT's gene order to it as ckpt['genes']")
        model = load_scbert_checkpoint(checkpoint, with_head=False)
    else:
        model, genes = pretrain_on_cells(data, settings, device)
    return scbert_cell_encodings(model.to(device), data.expression, genes,
                                 max_cells=settings.max_cells)


def pretrain_on_cells(data: GRNData, settings: GRNSettings, device: str = "cpu"
                      ) -> tuple[ScBertEncoder, list[str]]:
    """A small scBERT-style encoder pre-trained (masked values, seed 0) on ``data``'s cells."""
    cells = ad.AnnData(data.expression.T.to_numpy(np.float32))
    cells.var_names, cells.obs_names = data.genes, list(map(str, data.expression.columns))
    with warnings.catch_warnings():  # log-normalised input is binned as counts, as scBERT does
        warnings.simplefilter("ignore", UserWarning)
        result = pretrain_scbert(cells, config=settings.pretrain_config,
                                 epochs=settings.pretrain_epochs, seed=0, genes=data.genes,
                                 device=device)
    return result.model, result.genes


def _gene_repr(source: torch.Tensor | np.ndarray | None, settings: GRNSettings):
    if source is None:
        return None
    if isinstance(source, torch.Tensor) and source.ndim == 3:
        return PooledEncodings(source, pooling=settings.pooling)
    return FixedEmbedding(source)


def train_scores(data: GRNData, splits: Mapping[str, pd.DataFrame],
                 source: torch.Tensor | np.ndarray | None, settings: GRNSettings,
                 seed: int = 0, device: str = "cpu") -> tuple[np.ndarray, pd.DataFrame]:
    """Train scTransNet (or an ablation) on ``splits``; test scores and training history."""
    torch.manual_seed(seed)  # the model's initial weights
    expression = torch.as_tensor(data.expression.to_numpy(np.float32))
    model = ScTransNet(expression, _gene_repr(source, settings), gnn=settings.gnn,
                       head_hidden=settings.head_hidden, dropout=settings.dropout)
    history = fit_links(model, splits["train"], splits["val"], epochs=settings.epochs,
                        lr=settings.lr, weight_decay=settings.weight_decay,
                        batch_size=settings.batch_size,
                        patience=settings.patience, seed=seed, device=device,
                        val_metric=VAL_METRICS[settings.select_by])
    graph = training_graph(data.n_genes, splits["train"]) if model.gnn is not None else None
    return score_pairs(model, graph, splits["test"]), history


def baseline_scores(data: GRNData, splits: Mapping[str, pd.DataFrame], seed: int = 0,
                    names: Sequence[str] = BASELINES) -> dict[str, np.ndarray]:
    """Scores of the baselines on the test split (same split, same seed)."""
    test = splits["test"]
    makers = {
        "per-TF prior": lambda: per_tf_prior(splits["train"], test),
        "Pearson |r|": lambda: pearson_scores(data.expression, test),
        "GENIE3": lambda: genie3_scores(data.expression, data.tfs, test, seed=seed),
    }
    return {name: makers[name]() for name in names}


def _metrics_of(labels: np.ndarray, scores: Mapping[str, np.ndarray]) -> dict[str, dict]:
    return {name: grn_metrics(labels, s) for name, s in scores.items()}


def run_grn(data_dir: str | os.PathLike, out: str | os.PathLike, split: str = "transductive",
            split_dir: str | os.PathLike | None = None, encoder: str = "scbert",
            checkpoint: str | os.PathLike | None = None, seed: int = 0, device: str = "cpu",
            settings: GRNSettings | None = None) -> dict:
    """Train scTransNet on a BEELINE directory; write predictions, metrics and plots.

    Writes ``out/predictions.csv`` (tf, target, score[, label] by gene name), and, when the
    test pairs have labels, ``out/metrics.json`` (the model and the baselines) and
    ``out/pr_curves.png``; always ``out/training.png``. Returns the metrics (empty
    without labels).
    """
    settings = settings or GRNSettings()
    data = read_beeline(data_dir)
    splits = make_splits(data, split, seed, split_dir)
    source = encoder_encodings(data, encoder, checkpoint, settings, device)
    scores, history = train_scores(data, splits, source, settings, seed, device)
    test = splits["test"]
    genes = np.asarray(data.genes)
    predictions = pd.DataFrame({"tf": genes[test["tf"].to_numpy()],
                                "target": genes[test["target"].to_numpy()], "score": scores})
    metrics: dict = {}
    if "label" in test.columns:
        predictions["label"] = test["label"].to_numpy()
        all_scores = {"scTransNet": scores, **baseline_scores(data, splits, seed)}
        metrics = {"data": data.name, "split": (split_dir and str(split_dir)) or split,
                   "encoder": encoder, "seed": seed, "best_epoch": history.attrs["best_epoch"],
                   "methods": _metrics_of(test["label"].to_numpy(), all_scores)}
    with atomic_path(out, directory=True) as tmp:
        predictions.to_csv(tmp / "predictions.csv", index=False)
        history.to_csv(tmp / "training_history.csv", index=False)
        plot_link_training(history, tmp / "training.png")
        if metrics:
            (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2))
            plot_pr_curves(test["label"].to_numpy(), all_scores, tmp / "pr_curves.png",
                           title=f"{data.name}, {metrics['split']} split, seed {seed}")
    return metrics


def compare_grn(datasets: Mapping[str, GRNData], splits: Sequence[str] = SPLIT_KINDS,
                seeds: Sequence[int] = (0, 1, 2), settings: GRNSettings | None = None,
                methods: Sequence[str] = tuple(METHODS), baselines: Sequence[str] = BASELINES,
                checkpoints: Mapping[str, str | os.PathLike] | None = None,
                device: str = "cpu") -> pd.DataFrame:
    """Every method and baseline on every dataset, split kind and seed: one row each.

    ``checkpoints``: dataset name -> encoder checkpoint (default: pre-train on its cells).
    Columns: dataset, split, seed, method, auroc, auprc, auprc_ratio, epr, positive_rate.
    """
    settings = settings or GRNSettings()
    checkpoints = checkpoints or {}
    rows = []
    for name, data in datasets.items():
        needs_encoder = any(METHODS[m][0] for m in methods)
        source = encoder_encodings(data, "scbert", checkpoints.get(name), settings, device) \
            if needs_encoder else None
        for kind in splits:
            for seed in progress(seeds, f"{name} {kind}"):
                parts = make_splits(data, kind, seed)
                labels = parts["test"]["label"].to_numpy()
                scores = {m: train_scores(data, parts, source if METHODS[m][0] else None,
                                          replace(settings, **METHODS[m][1]), seed, device)[0]
                          for m in methods}
                scores.update(baseline_scores(data, parts, seed, baselines))
                for method, metrics in _metrics_of(labels, scores).items():
                    rows.append({"dataset": name, "split": kind, "seed": seed,
                                 "method": method, **metrics})
    return pd.DataFrame(rows)


def grn_table(per_seed: pd.DataFrame, metrics: Sequence[str] = ("auroc", "auprc", "epr")
              ) -> pd.DataFrame:
    """Mean and sd over seeds per (dataset, split, method), columns (metric, mean/std)."""
    keys = ["dataset", "split", "method"]
    return per_seed.groupby(keys, sort=False)[list(metrics)].agg(["mean", "std"])


#: The SERGIO benchmark: 20 TFs, each a master regulator (no cascade, so co-expression can
#: tell direct targets from indirect ones), 200 targets, 900 cells over 9 cell types
#: (SERGIO's published DS1-3 setting), technical noise on.
SERGIO_BENCHMARK: dict = dict(n_tfs=20, n_targets=200, n_cells=900, n_cell_types=9,
                              cascade=False)


def benchmark_datasets(names: Sequence[str] = ("sergio", "mdc", "collectri")
                       ) -> dict[str, GRNData]:
    """The built-in GRN benchmarks by name (all offline).

    ``sergio``: a SERGIO simulation from RegNetwork edges (planted answer,
    :data:`SERGIO_BENCHMARK`); ``sergio-cascade``: SERGIO's default cascade of 20 TFs
    driven by a few master regulators, 100 targets, 300 cells, 3 cell types (a hard case:
    co-expression hardly separates direct targets); ``mdc``: real BEELINE mouse dendritic
    cells, TFs + 500, cell-type-specific ChIP-seq; ``collectri`` / ``collectri-1000``: the
    built-in real immune cells with CollecTRI edges, TFs + 500 / 1000.
    """
    from dglgene.datasets import load_beeline_mdc, load_collectri_benchmark, simulate_sergio_grn

    makers = {
        "sergio": lambda: simulate_sergio_grn(**SERGIO_BENCHMARK, seed=0),
        "sergio-cascade": lambda: simulate_sergio_grn(seed=0),
        "mdc": lambda: load_beeline_mdc("specific"),
        "collectri": lambda: load_collectri_benchmark(n_genes=500),
        "collectri-1000": lambda: load_collectri_benchmark(n_genes=1000),
    }
    unknown = [n for n in names if n not in makers]
    if unknown:
        raise ValueError(f"unknown GRN benchmark {unknown[0]!r}; choose from {', '.join(makers)}")
    return {name: makers[name]() for name in names}


def format_grn_table(per_seed: pd.DataFrame, metrics: Sequence[str] = ("auroc", "auprc", "epr")
                     ) -> str:
    """Markdown table, one row per (dataset, split, method): mean ± sd over seeds."""
    stats = grn_table(per_seed, metrics)
    stats.index = [" | ".join(map(str, key)) for key in stats.index]
    header = format_comparison(stats).splitlines()
    header[0] = header[0].replace("| method |", "| dataset | split | method |", 1)
    header[1] = "|---|---" + header[1]
    return "\n".join(header)
