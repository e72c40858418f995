"""Pictures of results, written atomically as PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

from dglgene.atomic import atomic_path
from dglgene.data import GraphCollection


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
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    return path
