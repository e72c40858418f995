"""Quality control: drop poor cells and rarely seen genes before building a graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from dglgene.data.cell_chunks import row_blocks
from dglgene.errors import DglgeneInputError


@dataclass(frozen=True)
class QualityControl:
    """Thresholds of :func:`quality_control`; the defaults suit droplet and plate data.

    Attributes
    ----------
    min_genes_per_cell
        A cell must express at least this many genes.
    max_mito_fraction
        A cell may have at most this fraction of its counts in mitochondrial genes
        (names starting with ``MT-``/``mt-``); ignored when there are none.
    min_cells_per_gene
        A gene must be seen (non-zero) in at least this many cells.
    """

    min_genes_per_cell: int = 50
    max_mito_fraction: float = 0.2
    min_cells_per_gene: int = 3


def quality_control(
    matrix: Any, genes: np.ndarray, dataset: str, qc: QualityControl | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the cells and genes that pass ``qc``, reading ``matrix`` (cells x
    genes, in memory or backed) a block of cells at a time.

    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 0], [2, 1, 0]]))
    >>> cells, genes = quality_control(m, np.array(["A", "B", "C"]), "toy",
    ...                                QualityControl(1, 0.2, 2))
    >>> cells.tolist(), genes.tolist()
    ([True, False, True], [True, True, False])
    """
    qc = qc or QualityControl()
    mito = np.flatnonzero(np.char.startswith(np.char.upper(genes.astype(str)), "MT-"))
    cells = np.zeros(matrix.shape[0], dtype=bool)
    cells_per_gene = np.zeros(matrix.shape[1], dtype=np.int64)
    for rows, block in row_blocks(matrix):
        keep = np.diff(block.indptr) >= qc.min_genes_per_cell
        if mito.size:
            totals = np.asarray(block.sum(1)).ravel()
            mito_counts = np.asarray(block[:, mito].sum(1)).ravel()
            keep &= mito_counts <= qc.max_mito_fraction * np.maximum(totals, 1e-12)
        cells[rows] = keep
        cells_per_gene += np.bincount(block[keep].indices, minlength=matrix.shape[1])
    if not cells.any():
        raise DglgeneInputError(f"{dataset}: quality control removed every cell "
                                f"(min_genes_per_cell={qc.min_genes_per_cell}, max_mito_fraction="
                                f"{qc.max_mito_fraction}); loosen the thresholds")
    kept_genes = cells_per_gene >= qc.min_cells_per_gene
    if kept_genes.sum() < 2:
        raise DglgeneInputError(f"{dataset}: fewer than 2 genes are seen in at least "
                                f"{qc.min_cells_per_gene} cells; loosen min_cells_per_gene")
    return cells, kept_genes


def keep_cells_and_genes(matrix: Any, cells: np.ndarray, genes: np.ndarray,
                         dtype: type = np.float64) -> tuple[sp.csr_matrix, np.ndarray]:
    """The kept ``cells`` x ``genes`` of ``matrix`` (in memory or backed) as a CSR of
    ``dtype`` in memory, and each kept cell's depth (its total over all genes). Read a
    block of cells at a time, twice (count, then fill), so the kept matrix is the only
    whole copy ever held."""
    nnz = sum(int(genes[block[cells[rows]].indices].sum()) for rows, block in row_blocks(matrix))
    data = np.empty(nnz, dtype=dtype)
    indices = np.empty(nnz, dtype=np.int32 if nnz < 2**31 else np.int64)
    indptr, depth = [np.zeros(1, dtype=np.int64)], []
    filled = 0
    for rows, block in row_blocks(matrix):
        block = block[cells[rows]]
        depth.append(np.asarray(block.sum(1)).ravel())
        block = block[:, genes]
        data[filled:filled + block.nnz] = block.data
        indices[filled:filled + block.nnz] = block.indices
        indptr.append(block.indptr[1:] + filled)
        filled += block.nnz
    shape = (int(cells.sum()), int(genes.sum()))
    kept = sp.csr_matrix((data, indices, np.concatenate(indptr)), shape=shape, copy=False)
    return kept, np.concatenate(depth)
