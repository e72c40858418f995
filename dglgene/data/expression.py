"""One dataset after QC (:class:`Expression`): what every later step of graph building reads,
made from an AnnData or an ``.h5ad`` path a block of cells at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import anndata as ad
import numpy as np
import scipy.sparse as sp

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
from dglgene.data.qc import keep_cells_and_genes, quality_control
from dglgene.data.spatial import smooth_spots
from dglgene.progress import Stages

if TYPE_CHECKING:
    from dglgene.data.build import GraphRecipe

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
