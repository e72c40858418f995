"""Which genes a dataset's graph keeps: each dataset's own top genes, or a core chosen
across datasets first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc

from dglgene.data.cell_chunks import rows_per_block
from dglgene.data.expression import Expression
from dglgene.data.normalization import log_normalize, residual_variance
from dglgene.data.spatial import sparkx_pvalues

if TYPE_CHECKING:
    from dglgene.data.build import GraphRecipe


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
