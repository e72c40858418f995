"""Pictures of results, written atomically as PNG."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

from dglgene.atomic import atomic_path
from dglgene.data import GraphCollection
from dglgene.eval.grn_metrics import auprc


def save_figure(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    return path


def plot_umap(emb: ad.AnnData, path: str | Path, columns: tuple[str, ...] = ("dataset",
                                                                              "cluster")
              ) -> Path:
    """UMAP of a gene embedding, one panel per obs column (categorical colours)."""
    xy = emb.obsm["X_umap"]
    fig = Figure(figsize=(6 * len(columns), 5))
    for ax, column in zip(np.atleast_1d(fig.subplots(1, len(columns))), columns):
        column_values = emb.obs[column]
        labels = column_values.astype(str)
        # a categorical keeps its own order (clusters 0, 1, 2, ... 10, not 0, 1, 10, 2)
        order = ([str(c) for c in column_values.cat.categories if (labels == str(c)).any()]
                 if isinstance(column_values.dtype, pd.CategoricalDtype)
                 else sorted(labels.unique()))
        for k, label in enumerate(order):
            mask = (labels == label).to_numpy()
            ax.scatter(xy[mask, 0], xy[mask, 1], s=4, color=f"C{k % 10}",
                       marker="os^v<>"[k // 10 % 6], label=label)
        ax.set_title(f"gene embedding UMAP, by {column}")
        ax.set_xticks([])
        ax.set_yticks([])
        if labels.nunique() <= 20:
            ax.legend(fontsize=7, markerscale=2, loc="best")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_training(history: pd.DataFrame, path: str | Path) -> Path:
    """Mean of each loss component per epoch (log scale where positive)."""
    per_epoch = history.drop(columns=["i", "j"]).groupby("epoch").mean()
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for column in per_epoch:
        ax.plot(per_epoch.index, per_epoch[column], label=column)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (mean over steps)")
    ax.set_title("training")
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def pair_overlap_matrices(collection: GraphCollection, seed: int = 0
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Datasets x datasets: common-gene counts (diagonal: genes) and mean Jaccard weight."""
    n = len(collection)
    common = np.diag([float(g.n_genes) for g in collection])
    jaccard = np.full((n, n), np.nan)
    for i, j, pair in collection.overlaps(seed=seed):
        common[i, j] = common[j, i] = len(pair.common_i)
        if len(pair.weights):
            jaccard[i, j] = jaccard[j, i] = pair.weights.mean()
    return common, jaccard


def plot_pair_overlaps(collection: GraphCollection, path: str | Path, seed: int = 0) -> Path:
    """Two heatmaps: shared genes per dataset pair, and their mean neighbour Jaccard."""
    common, jaccard = pair_overlap_matrices(collection, seed)
    names = [g.dataset for g in collection]
    fig = Figure(figsize=(6 + 0.9 * len(names), 0.6 * len(names) + 3))
    axes = fig.subplots(1, 2)
    panels = ((common, "shared genes", "d", "Blues"),
              (jaccard, "mean neighbour Jaccard of shared genes", ".2f", "Oranges"))
    for ax, (values, title, fmt, cmap) in zip(axes, panels):
        image = ax.imshow(np.nan_to_num(values), cmap=cmap)
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax.set_yticks(range(len(names)), names)
        ax.set_title(title)
        for (r, c), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(c, r, format(v, fmt) if fmt != "d" else str(int(v)), ha="center",
                        va="center", fontsize=7)
        fig.colorbar(image, ax=ax, shrink=0.7)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_pr_curves(labels: np.ndarray, scores: dict[str, np.ndarray], path: str | Path,
                   title: str = "") -> Path:
    """Precision-recall curves of several scorers on the same labelled pairs."""
    from sklearn.metrics import precision_recall_curve

    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    for name, s in scores.items():
        precision, recall, _ = precision_recall_curve(labels, s)
        ax.plot(recall, precision, label=f"{name} (AUPRC {auprc(labels, s):.3f})")
    ax.axhline(float(np.mean(labels)), color="grey", linestyle=":", label="random (positive rate)")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(title or "precision-recall on the test pairs")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_link_training(history: pd.DataFrame, path: str | Path) -> Path:
    """Training and validation loss per epoch (epoch 0: the fitted base), the validation
    score when early stopping used one other than the loss, and the epoch kept."""
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    ax.plot(history["epoch"], history["loss"], label="train loss")
    ax.plot(history["epoch"], history["val_loss"], label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("BCE")
    if "best_epoch" in history.attrs:
        ax.axvline(history.attrs["best_epoch"], color="grey", linestyle=":", label="kept epoch")
    ax.legend(loc="upper left", fontsize=7)
    # A separate score axis only when early stopping used a metric other than the loss.
    if not np.allclose(history["val_score"], -history["val_loss"]):
        score = ax.twinx()
        score.plot(history["epoch"], history["val_score"], color="C2", label="validation score")
        score.set_ylabel("validation score (early stopping)")
        score.legend(loc="upper right", fontsize=7)
    ax.set_title("scTransNet training")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_pretraining(history: pd.DataFrame, path: str | Path) -> Path:
    """Pre-training loss and accuracy per epoch (train, held-out, frequency baseline)."""
    fig = Figure(figsize=(10, 4))
    for ax, metric, label in zip(fig.subplots(1, 2), ("loss", "acc"),
                                 ("masked cross-entropy", "masked accuracy")):
        ax.plot(history["epoch"], history[f"train_{metric}"], marker="o", label="train")
        ax.plot(history["epoch"], history[f"val_{metric}"], marker="o", label="held-out")
        ax.axhline(history[f"baseline_{metric}"].iloc[0], color="grey", linestyle="--",
                   label="held-out, frequency baseline")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.legend()
    fig.suptitle("scBERT-style masked-value pre-training")
    fig.tight_layout()
    return save_figure(fig, path)
