r"""Differential co-embedding of disease against control (MuSe-GNN §4.3).

Datasets are labelled *case* or *control*. A gene is *common* when it has rows in at least
one case and one control dataset. With :math:`u_g` the mean of its case rows and
:math:`v_g` the mean of its control rows, its score is the cosine distance

.. math::
    d_g = 1 - \frac{u_g \cdot v_g}{\lVert u_g \rVert \lVert v_g \rVert},

read against the spread of :math:`d` over the :math:`n` common genes (most of which are
assumed unchanged):

.. math::
    z_g = \frac{d_g - \mathrm{median}(d)}{1.4826\,\mathrm{MAD}(d)}, \qquad
    p_g = \frac{1 + \#\{g' \ne g : d_{g'} \ge d_g\}}{n}.

The median and MAD (scaled to the sd of a normal) rather than the mean and sd, because the
genes sought are outliers that would inflate the sd. :math:`p_g` is the empirical p-value
of :math:`d_g` among the *other* :math:`n - 1` genes, :math:`(1 + b) / (1 + m)` with
:math:`m = n - 1`; ties count against the gene. A BH q-value is not given: over such
rank-based p-values (:math:`p_{(i)} = i / n`) it is 1 for every gene.

Embeddings do not carry the condition. Pass a column of ``obs`` by name, or a mapping
dataset -> condition, e.g. from the datasets' ``uns``:

>>> import anndata as ad, numpy as np, pandas as pd
>>> obs = pd.DataFrame({"gene": ["a", "b", "c"] * 2, "dataset": ["ctrl"] * 3 + ["sick"] * 3},
...                    index=[f"r{i}" for i in range(6)])
>>> x = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [0, 1]], dtype=np.float32)
>>> table = differential_genes(ad.AnnData(x, obs=obs),
...                            condition={"ctrl": "control", "sick": "case"})
>>> table[["gene", "rank"]].values.tolist(), table["distance"].round(4).tolist()
([['a', 1], ['b', 2], ['c', 3]], [1.0, 0.2929, 0.0])
>>> table["p_value"].round(4).tolist()  # (1 + #others at least as far) / 3
[0.3333, 0.6667, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
from matplotlib import colormaps, patheffects
from matplotlib.figure import Figure

from dglgene.eval.plots import save_figure

__all__ = ["condition_masks", "differential_genes", "plot_differential"]


def condition_masks(emb: ad.AnnData, condition: str | Mapping[str, str] = "condition",
                    case: str = "case", control: str = "control"
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the case rows and of the control rows of ``emb``.

    ``condition`` names a column of ``obs``, or maps ``obs["dataset"]`` to a condition;
    rows with neither label (or datasets the mapping lacks) are in neither mask.
    """
    if isinstance(condition, str):
        if condition not in emb.obs:
            raise KeyError(f"obs has no column {condition!r}; pass condition={{dataset: "
                           f"condition}} instead, e.g. from each dataset's uns")
        labels = emb.obs[condition].astype(str)
    else:
        labels = emb.obs["dataset"].astype(str).map(dict(condition))
    labels = labels.to_numpy(dtype=object)
    is_case, is_control = labels == case, labels == control
    for name, mask in ((case, is_case), (control, is_control)):
        if not mask.any():
            raise ValueError(f"no rows labelled {name!r}; labels found: "
                             f"{sorted(set(map(str, labels)))}")
    return is_case, is_control


def _group_means(x: np.ndarray, codes: np.ndarray, mask: np.ndarray, n_genes: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean of the rows in ``mask`` and the number of those rows."""
    rows = np.flatnonzero(mask)
    member = sp.csr_matrix((np.ones(len(rows)), (codes[rows], rows)), shape=(n_genes, len(x)))
    count = np.asarray(member.sum(axis=1)).ravel()
    return (member @ x) / np.maximum(count, 1)[:, None], count


def differential_genes(emb: ad.AnnData, condition: str | Mapping[str, str] = "condition",
                       case: str = "case", control: str = "control") -> pd.DataFrame:
    """Common genes ranked by the cosine distance of their case and control embeddings.

    Returns one row per common gene, by distance (largest first): ``gene``, ``distance``,
    ``z``, ``p_value``, ``rank`` (1 = most moved) and ``n_case`` / ``n_control``, the
    numbers of rows averaged. See the module docstring for the definitions.
    """
    is_case, is_control = condition_masks(emb, condition, case, control)
    codes, genes = pd.factorize(emb.obs["gene"].astype(str), sort=True)
    x = np.asarray(emb.X, dtype=np.float64)
    u, n_case = _group_means(x, codes, is_case, len(genes))
    v, n_control = _group_means(x, codes, is_control, len(genes))
    common = (n_case > 0) & (n_control > 0)
    if not common.any():
        raise ValueError("no gene has rows in both a case and a control dataset")
    u, v = u[common], v[common]
    norms = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    # A zero vector has no direction: cosine 0, i.e. distance 1.
    distance = 1.0 - (u * v).sum(axis=1) / np.maximum(norms, np.finfo(float).tiny)
    median = np.median(distance)
    mad = np.median(np.abs(distance - median))
    scale = 1.4826 * mad if mad > 0 else distance.std()  # MAD is 0 when most ties
    z = (distance - median) / scale if scale > 0 else np.zeros_like(distance)
    n = len(distance)
    at_least = n - np.searchsorted(np.sort(distance), distance, side="left")  # incl. itself
    table = pd.DataFrame({
        "gene": np.asarray(genes[common], dtype=object), "distance": distance, "z": z,
        "p_value": at_least / n, "n_case": n_case[common].astype(int),
        "n_control": n_control[common].astype(int)})
    table = table.sort_values(["distance", "gene"], ascending=[False, True], kind="stable",
                              ignore_index=True)
    table.insert(4, "rank", np.arange(1, n + 1))
    return table


def _umap(emb: ad.AnnData, seed: int) -> np.ndarray:
    if "X_umap" in emb.obsm:
        return np.asarray(emb.obsm["X_umap"])
    from dglgene.eval.embedding import add_umap  # scanpy, only when there is no layout yet

    return add_umap(ad.AnnData(np.asarray(emb.X, dtype=np.float32)), seed).obsm["X_umap"]


def plot_differential(emb: ad.AnnData, table: pd.DataFrame, path: str | Path, top: int = 10,
                      condition: str | Mapping[str, str] = "condition", case: str = "case",
                      control: str = "control", seed: int = 0) -> Path:
    """UMAP of ``emb`` with the rows of the ``top`` genes of ``table`` highlighted.

    Each top gene has its own colour, circles for control rows and triangles for case
    rows, a dashed line from its control to its case centroid, and its name at the case
    centroid; all other rows are grey (light: control, dark: case). The layout is
    ``obsm["X_umap"]`` when present, else a UMAP of ``emb.X`` (scanpy, ``seed``).
    """
    is_case, is_control = condition_masks(emb, condition, case, control)
    xy = _umap(emb, seed)
    genes = emb.obs["gene"].astype(str).to_numpy()
    chosen = table.head(top)
    fig = Figure(figsize=(9, 6.5))
    ax = fig.subplots()
    rest = ~np.isin(genes, chosen["gene"].to_numpy())
    for mask, marker, shade, label in ((is_control, "o", "0.82", control),
                                       (is_case, "^", "0.6", case)):
        ax.scatter(*xy[rest & mask].T, s=5, marker=marker, color=shade, linewidths=0,
                   label=f"other genes, {label}")
    cmap = colormaps["tab10" if len(chosen) <= 10 else "tab20"]
    for i, row in enumerate(chosen.itertuples()):
        colour = cmap(i % cmap.N)
        rows = genes == row.gene
        ends = []
        for mask, marker, size in ((is_control, "o", 36), (is_case, "^", 48)):
            ax.scatter(*xy[rows & mask].T, s=size, marker=marker, color=colour,
                       edgecolors="black", linewidths=0.5, zorder=3)
            ends.append(xy[rows & mask].mean(axis=0))
        ax.plot(*np.array(ends).T, color=colour, linestyle="--", linewidth=1, zorder=2,
                label=f"{row.rank}. {row.gene} (d = {row.distance:.2f})")
        # Four label positions in turn, so that neighbouring names overlap less.
        ax.annotate(row.gene, ends[1], xytext=[(5, 4), (5, -11), (-38, 4), (-38, -11)][i % 4],
                    textcoords="offset points", fontsize=8,
                    color=colour, weight="bold", zorder=4,
                    path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    ax.set_title(f"top {len(chosen)} genes by {case}-{control} cosine distance "
                 f"(\N{BLACK CIRCLE} {control}, \N{BLACK UP-POINTING TRIANGLE} {case})",
                 fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return save_figure(fig, path)
