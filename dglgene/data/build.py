"""AnnData -> GeneGraph -> GraphCollection, as a recipe of replaceable steps.

Per dataset (cells x genes):

1. **QC** (:func:`~dglgene.data.qc.quality_control`): drop poor cells and rare genes.
2. **Spatial smoothing** (spatial data, optional): each spot averaged with its neighbours.
3. **Gene selection** (:func:`select_genes`): the ``n_hvg`` genes of highest Pearson-residual
   variance (rna, atac), or of lowest SPARK-X-style p-value (spatial).
4. **Values** (:func:`expression_values`): analytic Pearson residuals of the selected genes
   (counts), or standardised log values (data without counts).
5. **Features** (:func:`node_features`): each gene's value profile across cells, reduced to
   ``n_components`` columns over the cell axis (PCA, a random projection or metacell
   pseudobulk), so that their width does not grow with the cells.
6. **Co-expression** (:func:`coexpression`): CS-CORE on rna/spatial counts, else Pearson on
   the values; of the partners where ``p < p_value`` (or, with ``fdr``, where the
   Benjamini-Hochberg adjusted p-value is below it), each gene's ``top_k`` strongest,
   symmetric, with self-loops.

Every step reads the cells a block at a time (:mod:`~dglgene.data.cell_chunks`): memory is
set by the block and the kept sparse counts, not by a dense cells x genes matrix, and a
large ``.h5ad`` is read backed.

Each step is a field of :class:`GraphRecipe`, so any of them can be swapped:

>>> import dataclasses
>>> recipe = dataclasses.replace(GraphRecipe(), method="pearson", n_hvg=500)
>>> recipe.method, recipe.n_hvg
('pearson', 500)
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
import scipy.sparse as sp
import torch
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from dglgene.data.anndata_input import (
    IN_MEMORY_MAX_BYTES,
    DatasetMeta,
    StoredMatrix,
    check_values,
    dataset_meta,
    declared_counts,
    matrix_bytes,
    matrix_source,
    open_h5ad_backed,
    read_h5ad,
)
from dglgene.data.cell_chunks import rows_per_block
from dglgene.data.coexpression import cscore, edges_from_pvalues, pearson
from dglgene.data.collection import GraphCollection
from dglgene.data.gene_graph import GeneGraph
from dglgene.data.normalization import (
    log_normalize,
    mean_log_expression,
    pearson_residuals,
    residual_variance,
    standardize,
)
from dglgene.data.qc import QualityControl, keep_cells_and_genes, quality_control
from dglgene.data.spatial import smooth_spots, sparkx_pvalues
from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.progress import Stages, progress
from dglgene.settings import STEP, settings

log = logging.getLogger("dglgene")
METHODS = ("auto", "cscore", "pearson")
REDUCTIONS = ("pca", "random", "pseudobulk")
# Non-count values above this cannot be log expression (log1p of 1e13 is 30).
LINEAR_SCALE_MAX = 30.0


@dataclass
class Expression:
    """One dataset after QC: what every later step reads."""

    meta: DatasetMeta
    matrix: sp.csr_matrix  # cells x genes, counts (possibly smoothed) or expression values
    genes: np.ndarray
    is_counts: bool
    depth: np.ndarray  # per cell, total of all its genes before QC dropped any
    coords: np.ndarray | None
    smoothed: bool = False
    n_genes_input: int | None = None  # genes before QC
    # seconds of each step so far (read, qc, genes, values, coexpression, features)
    steps: Stages = field(default_factory=lambda: Stages(quiet=True))


def gene_scores(expr: Expression, recipe: GraphRecipe) -> tuple[np.ndarray, str]:
    """Per gene, how strongly to prefer it (higher first), and how that was scored."""
    if expr.meta.modality == "spatial":
        # genes are tested one by one: a block of them at a time bounds the dense values
        totals = np.asarray(expr.matrix.sum(1, dtype=np.float64)).ravel()
        n_genes = expr.matrix.shape[1]
        step = rows_per_block(expr.matrix.shape[0])
        score = np.concatenate([
            -sparkx_pvalues(log_normalize(expr.matrix[:, start:start + step], expr.is_counts,
                                          totals=totals), expr.coords)
            for start in range(0, n_genes, step)])
        return score, "SPARK-X-style spatial test"
    if expr.is_counts:
        return residual_variance(expr.matrix), "Pearson-residual variance"
    values = ad.AnnData(expr.matrix.astype(np.float32))
    table = sc.pp.highly_variable_genes(values, flavor="seurat",
                                        n_top_genes=min(recipe.n_hvg, values.n_vars),
                                        inplace=False)
    return (np.nan_to_num(table["dispersions_norm"].to_numpy(), nan=-np.inf),
            "normalised dispersion of log values")


def select_genes(expr: Expression, recipe: GraphRecipe) -> tuple[np.ndarray, str]:
    """Indices (ascending) of the genes to keep, and a note for the record."""
    n_genes = expr.matrix.shape[1]
    if n_genes <= recipe.n_hvg:
        return np.arange(n_genes), f"kept all {n_genes} genes (fewer than n_hvg={recipe.n_hvg})"
    score, how = gene_scores(expr, recipe)
    top = np.sort(np.argsort(-score, kind="stable")[: recipe.n_hvg])
    return top, f"top {recipe.n_hvg} of {n_genes} genes by {how}"


def joint_gene_selection(exprs: Sequence[Expression], recipe: GraphRecipe
                         ) -> list[tuple[np.ndarray, str]]:
    r"""A core of ``recipe.shared_genes`` genes chosen across datasets, then each dataset's
    own top genes up to ``n_hvg``.

    A gene's joint rank is its mean score percentile over all datasets,
    :math:`\bar p_g = \frac1D \sum_d p_{dg}` (:math:`p_{dg}` in (0, 1], 1 = the dataset's
    best gene by :func:`gene_scores`; 0 where the dataset lacks the gene), so genes that
    many datasets hold and rank high come first. The core gives the cross-dataset losses
    genes to pull together: per-dataset selection on datasets of different tissues keeps
    only 10-20 % of genes in common pairwise.
    """
    percentiles, notes = {}, []
    for expr in exprs:
        score, how = gene_scores(expr, recipe)
        order = np.argsort(np.argsort(score, kind="stable"), kind="stable")
        percentiles[expr.meta.dataset] = pd.Series((order + 1) / len(score), index=expr.genes)
        notes.append(how)
    mean = pd.DataFrame(percentiles).fillna(0.0).mean(axis=1)
    core = set(mean.sort_values(ascending=False, kind="stable").index[: recipe.shared_genes])
    selections = []
    for expr, how in zip(exprs, notes):
        rank = percentiles[expr.meta.dataset].to_numpy()
        in_core = np.isin(expr.genes, list(core))
        # core genes first, then the dataset's own genes by its own score
        keep = np.lexsort((-rank, ~in_core))[: recipe.n_hvg]
        note = (f"{int(in_core[keep].sum())} of a {recipe.shared_genes}-gene joint core + "
                f"{int((~in_core[keep]).sum())} own genes of {len(rank)} by {how}")
        selections.append((np.sort(keep), note))
    return selections


def expression_values(expr: Expression, genes: np.ndarray, recipe: GraphRecipe) -> np.ndarray:
    """Cells x selected genes: Pearson residuals of counts, else standardised values."""
    if expr.is_counts:
        return pearson_residuals(expr.matrix, genes, theta=recipe.residual_theta)
    return standardize(expr.matrix[:, genes].toarray().astype(np.float64))


def node_features(values: np.ndarray, recipe: GraphRecipe) -> np.ndarray:
    """Genes x d: each gene's profile across cells, reduced over the cell axis to
    ``n_components`` by ``reduction`` (None: the whole profile, one column per cell):

    - ``"pca"``: its first principal components (randomised SVD);
    - ``"random"``: a Gaussian random projection, :math:`V^\\top R / \\sqrt d`
      (Johnson-Lindenstrauss: distances between genes are kept approximately);
    - ``"pseudobulk"``: its mean in each of ``n_components`` metacells (k-means of the
      cells on their first 30 principal components).
    """
    profiles = values.T
    k = recipe.n_components
    if k is None or k >= profiles.shape[1]:
        return profiles
    if recipe.reduction == "pca":  # PCA has at most as many components as genes
        return (PCA(k, random_state=0).fit_transform(profiles) if k < profiles.shape[0]
                else profiles)
    if recipe.reduction == "random":
        projection = np.random.default_rng(0).standard_normal((profiles.shape[1], k))
        return profiles @ projection / np.sqrt(k)
    cells = PCA(min(30, *values.shape), random_state=0).fit_transform(values)
    metacell = KMeans(k, n_init=1, random_state=0).fit_predict(cells)
    sizes = np.bincount(metacell, minlength=k)
    return (profiles @ np.eye(k)[metacell]) / np.maximum(sizes, 1)


def coexpression(expr: Expression, genes: np.ndarray, values: np.ndarray,
                 recipe: GraphRecipe) -> tuple[np.ndarray, np.ndarray, str]:
    """Estimate and p-value matrices for the selected genes, and the method used."""
    method = recipe.method
    if method == "auto":
        # Clipped, binarised-like gene activity and spot averages break CS-CORE's count
        # model (its variance estimates go negative): on simulated data it then recovers
        # 8% (atac) and 68% (smoothed spatial) of module edges, against 62% and 100% for
        # Pearson.
        use_cscore = expr.is_counts and expr.meta.modality != "atac" and not expr.smoothed
        method = "cscore" if use_cscore else "pearson"
    if method == "cscore":
        if not expr.is_counts:
            raise DglgeneInputError(f"{expr.meta.dataset}: CS-CORE needs raw counts but the matrix "
                                    "holds non-integer values; pass counts (X or layers['counts']) "
                                    "or use method='pearson'")
        return (*cscore(expr.matrix[:, genes], expr.depth), method)
    return (*pearson(values), method)


@settings(frozen=True)
class GraphRecipe:
    """Parameters and steps of graph construction (see the module docstring)."""

    method: str = "auto"  # "cscore", "pearson" or "auto" (CS-CORE on raw rna/spatial counts)
    n_hvg: int = 1000
    # > 0: a core of this many genes selected across datasets (joint_gene_selection)
    shared_genes: int = 0
    p_value: float = 0.005
    # each gene's top_k strongest passing partners: a density that does not drift with the
    # cell count (README, "Atlas-size datasets"); n_hvg or more keeps every partner
    top_k: int | None = 20
    # set: an edge where the BH-adjusted p-value is below it, instead of p < p_value
    fdr: float | None = None
    # node features: each gene's profile over the cells, reduced to n_components columns by
    # reduction (node_features), so their width does not grow with the cells; None (or the
    # cell count or more) keeps the whole profile
    n_components: int | None = 64
    reduction: str = "pca"
    # Spatial only: None, "knn" or "delaunay". Smoothing denoises spots but also links
    # modules whose spatial patterns overlap (more edges between modules).
    smoothing: str | None = None
    smoothing_k: int = 6
    residual_theta: float = 100.0
    self_loops: bool = True
    # the steps: objects and functions, set from Python (not from a config table)
    qc: QualityControl = field(default_factory=QualityControl, metadata=STEP)
    select_genes: Callable[[Expression, GraphRecipe], tuple[np.ndarray, str]] = field(
        default=select_genes, metadata=STEP)
    expression_values: Callable[[Expression, np.ndarray, GraphRecipe], np.ndarray] = field(
        default=expression_values, metadata=STEP)
    node_features: Callable[[np.ndarray, GraphRecipe], np.ndarray] = field(
        default=node_features, metadata=STEP)
    coexpression: Callable[..., tuple[np.ndarray, np.ndarray, str]] = field(
        default=coexpression, metadata=STEP)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise DglgeneInputError(f"unknown co-expression method {self.method!r}; "
                                    f"use one of {', '.join(METHODS)}")
        if not 0 < self.p_value <= 1:
            raise DglgeneInputError(f"p_value must lie in (0, 1], got {self.p_value}")
        if self.fdr is not None and not 0 < self.fdr <= 1:
            raise DglgeneInputError(f"fdr must lie in (0, 1], got {self.fdr}")
        require_at_least("n_hvg", self.n_hvg, 2)
        if not 0 <= self.shared_genes <= self.n_hvg:
            raise DglgeneInputError(f"shared_genes must lie in [0, n_hvg={self.n_hvg}], got "
                                    f"{self.shared_genes}")
        counts = {"top_k": self.top_k, "n_components": self.n_components,
                  "smoothing_k": self.smoothing_k}
        for name, value in counts.items():  # None: off (top_k, n_components)
            require_at_least(name, value)
        if self.reduction not in REDUCTIONS:
            raise DglgeneInputError(f"unknown reduction {self.reduction!r}; use one of "
                                    f"{', '.join(REDUCTIONS)}")
        if self.smoothing not in (None, "knn", "delaunay"):
            raise DglgeneInputError(f"unknown smoothing {self.smoothing!r}; use 'knn' or "
                                    "'delaunay', or leave it unset")
        if not self.residual_theta > 0:
            raise DglgeneInputError(f"residual_theta must be positive, got "
                                    f"{self.residual_theta}")


def prepare_expression(adata: ad.AnnData, recipe: GraphRecipe, name: str | None = None,
                       stored: StoredMatrix | None = None) -> Expression:
    """Checks, QC and optional spatial smoothing: the shared start of every graph.

    The matrix (``stored``'s, e.g. from :func:`~dglgene.data.anndata_input.open_h5ad_backed`,
    else ``adata``'s) is read a block of cells at a time; what is kept is held sparse.
    """
    steps = Stages(quiet=True)
    with steps("qc"):
        meta = dataset_meta(adata, name)
        raw, where = matrix_source(adata, meta.dataset, stored)
        is_counts = check_values(raw, meta.dataset, where) and declared_counts(adata)
        genes = np.asarray(adata.var_names, dtype=str)
        cells, kept = quality_control(raw, genes, meta.dataset, recipe.qc)
        # counts held as float32 where stored so are exact and take two thirds the memory
        exact = is_counts and np.dtype(raw.dtype) in (np.float32, np.int32, np.int16)
        matrix, depth = keep_cells_and_genes(raw, cells, kept,
                                             np.float32 if exact else np.float64)
        if not is_counts and "log1p" not in adata.uns and matrix.max() > LINEAR_SCALE_MAX:
            matrix = matrix.log1p()  # TPM-like values: the later steps expect a log scale
        coords = None
        smoothed = False
        if meta.modality == "spatial":
            coords = np.asarray(adata.obsm["spatial"], dtype=np.float64)[cells, :2]
            if recipe.smoothing:
                matrix = smooth_spots(matrix.astype(np.float64), coords, recipe.smoothing,
                                      recipe.smoothing_k)
                smoothed = True
    return Expression(meta, matrix, genes[kept], is_counts, depth, coords, smoothed,
                      n_genes_input=adata.n_vars, steps=steps)


def load_expression(item: ad.AnnData | str | Path, recipe: GraphRecipe,
                    name: str | None = None) -> Expression:
    """:func:`prepare_expression` of an AnnData or an ``.h5ad`` path; a file whose matrix is
    larger than :data:`~dglgene.data.anndata_input.IN_MEMORY_MAX_BYTES` is read backed."""
    steps = Stages(quiet=True)
    stored = None
    with steps("read"):
        if not isinstance(item, str | Path):
            adata = item
        elif matrix_bytes(item) > IN_MEMORY_MAX_BYTES:
            adata, stored = open_h5ad_backed(item)
        else:
            adata = read_h5ad(item)
    expr = prepare_expression(adata, recipe, name, stored)
    expr.steps.seconds = {**steps.seconds, **expr.steps.seconds}
    return expr


def build_gene_graph(adata: ad.AnnData | str | Path, recipe: GraphRecipe | None = None,
                     name: str | None = None, **overrides: Any) -> GeneGraph:
    """One dataset (cells x genes AnnData, or an ``.h5ad`` path) -> its GeneGraph."""
    recipe = dataclasses.replace(recipe or GraphRecipe(), **overrides)
    expr = load_expression(adata, recipe, name)
    with expr.steps("genes"):
        selection = recipe.select_genes(expr, recipe)
    return graph_from_expression(expr, selection, recipe)


def graph_from_expression(expr: Expression, selection: tuple[np.ndarray, str],
                          recipe: GraphRecipe) -> GeneGraph:
    """Values, features and co-expression edges of the selected genes of one dataset."""
    genes, note = selection
    if expr.matrix.shape[1] <= recipe.n_hvg:
        log.info("%s: %s", expr.meta.dataset, note)
    steps = expr.steps
    with steps("values"):
        values = recipe.expression_values(expr, genes, recipe)
    with steps("coexpression"):
        estimate, p_value, method = recipe.coexpression(expr, genes, values, recipe)
        adjacency = edges_from_pvalues(estimate, p_value, recipe.p_value, recipe.top_k,
                                       recipe.self_loops, recipe.fdr)
    with steps("features"):
        features = recipe.node_features(values, recipe)
    graph = GeneGraph.from_adjacency(
        adjacency, features, list(expr.genes[genes]),
        dataset=expr.meta.dataset, modality=expr.meta.modality, tissue=expr.meta.tissue,
        species=expr.meta.species)
    graph.graph.ndata["mean_expression"] = torch.as_tensor(
        mean_log_expression(expr.matrix[:, genes], expr.depth, expr.is_counts),
        dtype=torch.float32)
    # partners that pass the test before any top-k cut: the gene's co-expression hub-ness,
    # which the gene-function floors read whatever sparsity the graph was given
    significant = edges_from_pvalues(estimate, p_value, recipe.p_value, None, False,
                                     recipe.fdr)
    graph.graph.ndata["significant_partners"] = torch.as_tensor(
        np.diff(significant.indptr), dtype=torch.float32)
    graph.info = {
        "n_cells": int(expr.matrix.shape[0]), "n_genes_input": expr.n_genes_input,
        "method": method, "p_value": recipe.p_value, "fdr": recipe.fdr, "top_k": recipe.top_k,
        "counts": expr.is_counts, "n_edges": graph.n_edges, "density": graph.density,
        "gene_selection": note, "seconds": round(sum(steps.seconds.values()), 3),
        "step_seconds": {k: round(v, 3) for k, v in steps.seconds.items()},
    }
    return graph


def build_collection(adatas: Sequence[ad.AnnData | str | Path],
                     recipe: GraphRecipe | None = None, names: Sequence[str] | None = None,
                     n_jobs: int = 2, **overrides: Any) -> GraphCollection:
    """Many datasets -> a GraphCollection, built in parallel threads with a progress bar.

    ``adatas`` may mix AnnData objects and ``.h5ad`` paths; keyword ``overrides`` replace
    fields of ``recipe`` (e.g. ``method="pearson", n_hvg=500``).
    """
    if not adatas:
        raise DglgeneInputError("no datasets given; pass at least one AnnData or .h5ad path")
    recipe = dataclasses.replace(recipe or GraphRecipe(), **overrides)
    names = list(names) if names is not None else [None] * len(adatas)

    def build(k: int) -> GeneGraph:
        return build_gene_graph(adatas[k], recipe, names[k])

    # Threads suffice: the heavy parts (BLAS, sparse ops) release the GIL.
    with ThreadPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        if not recipe.shared_genes:
            return GraphCollection(list(progress(pool.map(build, range(len(adatas))),
                                                 "gene graphs", total=len(adatas))))
        exprs = list(pool.map(lambda k: load_expression(adatas[k], recipe, names[k]),
                              range(len(adatas))))
        start = time.perf_counter()
        selections = joint_gene_selection(exprs, recipe)
        for expr in exprs:  # the joint selection's time, shared out
            expr.steps.seconds["genes"] = (time.perf_counter() - start) / len(exprs)
        graphs = list(progress(pool.map(
            lambda k: graph_from_expression(exprs[k], selections[k], recipe),
            range(len(adatas))), "gene graphs", total=len(adatas)))
    return GraphCollection(graphs)
