"""Quality control: drop poor cells and rarely seen genes before building a graph."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

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
    matrix: sp.csr_matrix, genes: np.ndarray, dataset: str, qc: QualityControl | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the cells and genes that pass ``qc``.

    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 0], [2, 1, 0]]))
    >>> cells, genes = quality_control(m, np.array(["A", "B", "C"]), "toy",
    ...                                QualityControl(1, 0.2, 2))
    >>> cells.tolist(), genes.tolist()
    ([True, False, True], [True, True, False])
    """
    qc = qc or QualityControl()
    genes_per_cell = np.diff(matrix.indptr)
    cells = genes_per_cell >= qc.min_genes_per_cell
    mito = np.char.startswith(np.char.upper(genes.astype(str)), "MT-")
    if mito.any():
        totals = np.asarray(matrix.sum(1)).ravel()
        mito_counts = np.asarray(matrix[:, np.flatnonzero(mito)].sum(1)).ravel()
        cells &= mito_counts <= qc.max_mito_fraction * np.maximum(totals, 1e-12)
    if not cells.any():
        raise DglgeneInputError(f"{dataset}: quality control removed every cell "
                                f"(min_genes_per_cell={qc.min_genes_per_cell}, max_mito_fraction="
                                f"{qc.max_mito_fraction}); loosen the thresholds")
    cells_per_gene = np.diff(matrix[cells].tocsc().indptr)
    kept_genes = cells_per_gene >= qc.min_cells_per_gene
    if kept_genes.sum() < 2:
        raise DglgeneInputError(f"{dataset}: fewer than 2 genes are seen in at least "
                                f"{qc.min_cells_per_gene} cells; loosen min_cells_per_gene")
    return cells, kept_genes
