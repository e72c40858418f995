"""AnnData -> GeneGraph -> GraphCollection, as a recipe of replaceable steps.

Per dataset (cells x genes):

1. **QC** (:func:`~dglgene.data.qc.quality_control`): drop poor cells and rare genes.
2. **Spatial smoothing** (spatial data, optional): each spot averaged with its neighbours.
3. **Gene selection** (:func:`~dglgene.data.gene_selection.select_genes`): the ``n_hvg``
   genes of highest Pearson-residual variance (rna, atac), or of lowest SPARK-X-style
   p-value (spatial).
4. **Values** (:func:`expression_values`): analytic Pearson residuals of the selected genes
   (counts), or standardised log values (data without counts).
5. **Features** (:func:`~dglgene.data.features.node_features`): each gene's value profile
   across cells, reduced to ``n_components`` columns over the cell axis (PCA, a random
   projection or metacell pseudobulk), so that their width does not grow with the cells.
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
from dataclasses import field
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import torch

from dglgene.data.coexpression import cscore, edges_from_pvalues, pearson
from dglgene.data.collection import GraphCollection
from dglgene.data.expression import Expression, load_expression
from dglgene.data.features import REDUCTIONS, node_features
from dglgene.data.gene_graph import GeneGraph
from dglgene.data.gene_selection import joint_gene_selection, select_genes
from dglgene.data.normalization import mean_log_expression, pearson_residuals, standardize
from dglgene.data.qc import QualityControl
from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.progress import progress
from dglgene.settings import STEP, settings

log = logging.getLogger("dglgene")
METHODS = ("auto", "cscore", "pearson")


def expression_values(expr: Expression, genes: np.ndarray, recipe: GraphRecipe) -> np.ndarray:
    """Cells x selected genes: Pearson residuals of counts, else standardised values."""
    if expr.is_counts:
        return pearson_residuals(expr.matrix, genes, theta=recipe.residual_theta)
    return standardize(expr.matrix[:, genes].toarray().astype(np.float64))


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
        share = (time.perf_counter() - start) / len(exprs)
        for expr in exprs:  # the joint selection's time, shared out
            expr.steps.seconds["genes"] = share
        graphs = list(progress(pool.map(
            lambda k: graph_from_expression(exprs[k], selections[k], recipe),
            range(len(adatas))), "gene graphs", total=len(adatas)))
    return GraphCollection(graphs)
