r"""GO enrichment of gene clusters (MuSe-GNN §4.2): one-sided hypergeometric tests.

A query list :math:`Q` (e.g. the genes of one embedding cluster) is tested against every
gene set :math:`S` (e.g. a GO term) inside a background :math:`B` (the genes that could
have been picked). With :math:`N = |B|`, :math:`K = |S \cap B|`, :math:`n = |Q \cap B|` and
:math:`k = |Q \cap S \cap B|`, the over-representation p-value is

.. math::
    P = \Pr[X \ge k] = \sum_{x=k}^{\min(n, K)}
        \frac{\binom{K}{x}\binom{N-K}{n-x}}{\binom{N}{n}},
    \qquad X \sim \mathrm{Hypergeom}(N, K, n),

and the adjusted p-value is Benjamini-Hochberg's over the :math:`m` tested sets,
:math:`q_{(i)} = \min_{j \ge i} p_{(j)}\, m / j`.

Genes outside the background are dropped from the query and from every set. A set is
*tested* when :math:`K \ge 1`. Sets with no overlap (:math:`k = 0`, so :math:`P = 1`) are
left out of the table but count in :math:`m`. gseapy (``gseapy.stats.calc_pvalues``, used
by ``gseapy.enrich``) skips them before its correction, so its :math:`m` depends on the
query and its adjusted p-values are smaller; ours do not let the query choose the number
of tests. P-values and overlaps agree with gseapy's.

The maths is vectorised: a sparse sets x genes membership matrix gives every overlap in
one product, and one ``scipy.stats.hypergeom.sf`` call gives every p-value.

>>> table = enrich(["a", "b", "e", "zz"], {"ABCD": list("abcd"), "EF": list("ef"),
...                                        "GH": list("gh")}, background=list("abcdefghij"))
>>> table[["Term", "Overlap", "Genes"]].values.tolist()
[['ABCD', '2/4', 'a;b'], ['EF', '1/2', 'e']]
>>> [round(p, 4) for p in table["P-value"]], [round(q, 4) for q in table["Adjusted P-value"]]
([0.3333, 0.5333], [0.8, 0.8])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
from matplotlib.figure import Figure
from scipy.stats import false_discovery_control, hypergeom

from dglgene.eval.plots import save_figure

__all__ = ["COLUMNS", "embedding_clusters", "enrich", "enrich_clusters", "plot_enrichment"]

#: Columns of :func:`enrich`'s table, as gseapy names them.
COLUMNS = ["Term", "Overlap", "P-value", "Adjusted P-value", "Genes"]


def membership_matrix(gene_sets: Mapping[str, Sequence[str]], genes: pd.Index
                      ) -> sp.csr_matrix:
    """Sets x ``genes`` 0/1 matrix; members that are not in ``genes`` are dropped."""
    members = [list(gene_sets[term]) for term in gene_sets]
    rows = np.repeat(np.arange(len(members)), [len(m) for m in members])
    cols = genes.get_indexer(pd.Index([g for m in members for g in m], dtype=object))
    inside = cols >= 0
    matrix = sp.csr_matrix((np.ones(int(inside.sum())), (rows[inside], cols[inside])),
                           shape=(len(members), len(genes)))
    matrix.data[:] = 1.0  # a member listed twice counts once
    matrix.sort_indices()
    return matrix


def _indicator(queries: Sequence[Sequence[str]], genes: pd.Index) -> sp.csr_matrix:
    """``genes`` x queries 0/1 matrix; query genes that are not in ``genes`` are dropped."""
    cols = [np.unique(genes.get_indexer(pd.Index(list(q), dtype=object))) for q in queries]
    cols = [c[c >= 0] for c in cols]
    rows = np.concatenate([np.zeros(0, dtype=np.int64), *cols])
    which = np.repeat(np.arange(len(cols)), [len(c) for c in cols])
    return sp.csr_matrix((np.ones(len(rows)), (rows, which)), shape=(len(genes), len(cols)))


def _tables(queries: Sequence[Sequence[str]], gene_sets: Mapping[str, Sequence[str]],
            background: Sequence[str]) -> list[pd.DataFrame]:
    """One enrichment table per query, all from one membership matrix."""
    # Sorted genes make every Genes cell sorted, whatever order the inputs came in.
    genes = pd.Index(pd.unique(np.asarray(list(background), dtype=object))).sort_values()
    terms = np.array(list(gene_sets), dtype=object)
    member = membership_matrix(gene_sets, genes)
    picked = _indicator(queries, genes)
    k = (member @ picked).toarray().astype(np.int64)  # sets x queries overlaps
    set_size = np.asarray(member.sum(axis=1), dtype=np.int64).ravel()
    n = np.asarray(picked.sum(axis=0), dtype=np.int64).ravel()
    p = hypergeom.sf(k - 1, len(genes), set_size[:, None], n[None, :])
    tested = set_size >= 1
    tables = []
    for c in range(len(queries)):
        q = np.ones(len(terms))
        if tested.any():
            q[tested] = false_discovery_control(p[tested, c], method="bh")
        hit = np.flatnonzero(k[:, c] >= 1)
        overlap = member[hit].multiply(picked[:, [c]].T).tocsr()
        overlap.sort_indices()
        table = pd.DataFrame({
            "Term": terms[hit],
            "Overlap": [f"{a}/{b}" for a, b in zip(k[hit, c], set_size[hit])],
            "P-value": p[hit, c],
            "Adjusted P-value": q[hit],
            "Genes": [";".join(genes[overlap.indices[overlap.indptr[r]:overlap.indptr[r + 1]]])
                      for r in range(len(hit))],
        }, columns=COLUMNS)
        tables.append(table.sort_values(["P-value", "Term"], kind="stable", ignore_index=True))
    return tables


def enrich(genes: Sequence[str], gene_sets: Mapping[str, Sequence[str]],
           background: Sequence[str]) -> pd.DataFrame:
    """Over-representation of ``genes`` in each of ``gene_sets`` within ``background``.

    Returns a gseapy-style table (:data:`COLUMNS`): ``Overlap`` is ``"k/K"``, ``Genes`` the
    overlapping genes joined by ``";"``; one row per set with ``k >= 1``, by P-value.
    See the module docstring for the test and the correction.
    """
    return _tables([genes], gene_sets, background)[0]


def _natural_order(labels: Sequence) -> list:
    """Distinct labels, numbers by value ("2" before "10"), then the rest as text."""
    def key(label: object) -> tuple[int, float, str]:
        text = str(label)
        return (0, float(text), "") if text.lstrip("-").isdigit() else (1, 0.0, text)

    return sorted(pd.unique(np.asarray(labels, dtype=object)), key=key)


def enrich_clusters(clusters: pd.Series, gene_sets: Mapping[str, Sequence[str]],
                    background: Sequence[str] | None = None, min_size: int = 5
                    ) -> pd.DataFrame:
    """:func:`enrich` for every cluster: ``clusters`` maps gene (index) -> cluster label.

    A gene may appear under several clusters (see :func:`embedding_clusters`). Each
    cluster's genes are tested as one query against all sets, with its own BH correction;
    clusters with fewer than ``min_size`` genes in the background are skipped. The
    background defaults to every gene of ``clusters``. Returns the tables one after the
    other, in cluster order (numeric labels by value), with a leading ``Cluster`` column.
    """
    genes = clusters.index.astype(str)
    labels = clusters.to_numpy(dtype=object)
    background = genes.unique() if background is None else pd.Index(background, dtype=object)
    order = _natural_order(labels)
    queries = [genes[labels == label].unique() for label in order]
    sizes = [int(q.isin(background).sum()) for q in queries]  # n of each query
    kept = [(label, q) for label, q, size in zip(order, queries, sizes) if size >= min_size]
    tables = _tables([q for _, q in kept], gene_sets, background)
    out = [t.assign(Cluster=label)[["Cluster", *COLUMNS]] for (label, _), t in zip(kept, tables)]
    if not out:
        return pd.DataFrame(columns=["Cluster", *COLUMNS])
    return pd.concat(out, ignore_index=True)


def embedding_clusters(emb: ad.AnnData, key: str = "cluster") -> pd.Series:
    """Gene -> cluster from an embedding with ``obs[key]`` (see ``annotate_embedding``).

    Clusters are over the *rows* (one per dataset and gene), so a gene embedded in several
    datasets may fall in several clusters; it is then listed once under each of them (the
    Series index repeats it). A cluster's genes are the distinct gene symbols of its rows,
    and ``enrich_clusters``' default background is then every embedded gene.
    """
    pairs = pd.DataFrame({"gene": emb.obs["gene"].astype(str).to_numpy(),
                          "cluster": emb.obs[key].astype(str).to_numpy()}).drop_duplicates()
    pairs["cluster"] = pd.Categorical(pairs["cluster"], _natural_order(pairs["cluster"]))
    pairs = pairs.sort_values(["cluster", "gene"])
    return pd.Series(pairs["cluster"].astype(str).to_numpy(),
                     index=pd.Index(pairs["gene"], name="gene"), name=key)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\N{HORIZONTAL ELLIPSIS}"


def plot_enrichment(table: pd.DataFrame, path: str | Path, top: int = 3,
                    max_clusters: int = 20, cutoff: float = 0.05,
                    label_width: int = 45) -> Path:
    """Dot plot of :func:`enrich_clusters` (or :func:`enrich`) results, gseapy style.

    Columns are clusters, rows the ``top`` terms of each (by P-value) among those with an
    adjusted p-value <= ``cutoff``; a dot is a (cluster, term) test passing the cutoff, its
    area the overlap count ``k`` and its colour ``-log10`` adjusted p. When more than
    ``max_clusters`` clusters have a term, those with the smallest adjusted p are shown.
    """
    table = table if "Cluster" in table else table.assign(Cluster="query")
    table = table[table["Adjusted P-value"] <= cutoff].copy()
    table["Cluster"] = table["Cluster"].astype(str)
    best = table.groupby("Cluster")["Adjusted P-value"].min()
    shown = set(best.sort_values(kind="stable").index[:max_clusters])
    clusters = [c for c in _natural_order(table["Cluster"]) if c in shown]
    terms = list(dict.fromkeys(
        term for c in clusters
        for term in table[table["Cluster"] == c].sort_values("P-value")["Term"].head(top)))
    dots = table[table["Cluster"].isin(clusters) & table["Term"].isin(terms)]

    # At least 4 in tall: the size legend and the colour bar share the right margin.
    fig = Figure(figsize=(4.5 + 0.07 * min(label_width, max(map(len, terms), default=0))
                          + 0.45 * len(clusters), max(4.0, 1.8 + 0.32 * len(terms))))
    ax = fig.subplots()
    if dots.empty:
        ax.text(0.5, 0.5, f"no term with adjusted p <= {cutoff}", ha="center", va="center")
        ax.set_axis_off()
        return save_figure(fig, path)
    x = dots["Cluster"].map({c: i for i, c in enumerate(clusters)})
    y = dots["Term"].map({t: i for i, t in enumerate(terms)})
    k = dots["Overlap"].str.split("/").str[0].astype(int)
    area = 300.0 / k.max()  # the largest overlap gets a dot of 300 pt^2
    colour = -np.log10(np.maximum(dots["Adjusted P-value"].to_numpy(float), 1e-300))
    points = ax.scatter(x, y, s=area * k, c=colour, cmap="viridis", edgecolors="black",
                        linewidths=0.4)
    ax.set_xticks(range(len(clusters)), clusters)
    ax.set_yticks(range(len(terms)), [_shorten(t, label_width) for t in terms], fontsize=8)
    ax.set_xlim(-0.6, len(clusters) - 0.4)
    ax.set_ylim(len(terms) - 0.5, -0.5)  # first cluster's terms on top
    ax.grid(color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel("cluster")
    ax.set_title(f"enriched terms (top {top} per cluster, adjusted p <= {cutoff})", fontsize=9)
    bar = fig.colorbar(points, ax=ax, shrink=0.5, pad=0.02, anchor=(0.0, 0.0))
    bar.set_label("-log10 adjusted p")
    sizes = np.unique(np.linspace(1, k.max(), 3).round().astype(int))
    handles = [ax.scatter([], [], s=area * v, color="0.6", edgecolors="black", linewidths=0.4)
               for v in sizes]
    # Above the colour bar, so that it stays beside the plot whatever the figure's width.
    bar.ax.legend(handles, [str(v) for v in sizes], title="overlap", loc="lower left",
                  bbox_to_anchor=(-0.5, 1.05), fontsize=7, title_fontsize=7, frameon=False,
                  labelspacing=1.2, borderaxespad=0)
    fig.tight_layout()
    return save_figure(fig, path)
