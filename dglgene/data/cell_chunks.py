"""Cells in chunks: the rows of a matrix a block at a time, wherever the matrix lives.

Every step that reads all cells (QC, gene scores, residuals, CS-CORE's moments) walks the
rows in blocks of :func:`rows_per_block` cells, so its memory is set by the block, not by
the cell count. The matrix may be a SciPy sparse matrix, a NumPy array, or the ``X`` of an
AnnData opened with ``backed="r"`` (an HDF5 dataset, dense or sparse), whose blocks are read
from disk one at a time.

A step gives the same answer whatever the block size up to floating-point summation order
(the tests compare them), and the same bits when all cells fit in one block.

>>> import numpy as np, scipy.sparse as sp
>>> m = sp.csr_matrix(np.arange(12.0).reshape(6, 2))
>>> [(rows.start, block.shape) for rows, block in row_blocks(m, rows=4)]
[(0, (4, 2)), (4, (2, 2))]
>>> sum_over_blocks(m, lambda rows, block: block.sum(0), rows=4)
array([30., 36.])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

#: a dense block holds at most this many values (32 MB in float64)
BLOCK_VALUES = 4_000_000


def rows_per_block(n_columns: int, block_values: int | None = None) -> int:
    """Cells per block for a matrix of ``n_columns`` genes: a dense block of them holds at
    most ``block_values`` values (default :data:`BLOCK_VALUES`; at least one cell)."""
    return max(1, (block_values or BLOCK_VALUES) // max(n_columns, 1))


def row_blocks(matrix: Any, rows: int | None = None) -> Iterator[tuple[slice, sp.csr_matrix]]:
    """``(rows, block)`` for consecutive blocks of ``rows`` cells (default
    :func:`rows_per_block`): ``block`` is a float64 CSR copy of ``matrix[rows]`` without
    stored zeros."""
    for where in block_slices(matrix.shape, rows):
        block = sp.csr_matrix(matrix[where], dtype=np.float64)
        block.eliminate_zeros()
        yield where, block


def dense_blocks(matrix: Any, rows: int | None = None) -> Iterator[tuple[slice, np.ndarray]]:
    """As :func:`row_blocks`, with each block dense (float64)."""
    for where in block_slices(matrix.shape, rows):
        block = matrix[where]
        yield where, (block.toarray() if sp.issparse(block)
                      else np.asarray(block, dtype=np.float64))


def block_slices(shape: tuple[int, int], rows: int | None = None) -> Iterator[slice]:
    """The row slices of :func:`row_blocks` for a matrix of ``shape``."""
    n_cells, n_columns = shape
    rows = rows or rows_per_block(n_columns)
    for start in range(0, n_cells, rows):
        yield slice(start, min(start + rows, n_cells))


def sum_over_blocks(matrix: Any, fn: Callable[[slice, np.ndarray], Any],
                    rows: int | None = None) -> Any:
    """The sum over dense blocks of ``fn(rows, block)`` (an array, or a tuple of arrays
    summed element by element)."""
    total = None
    for where, block in dense_blocks(matrix, rows):
        part = fn(where, block)
        if total is None:
            total = part
        elif isinstance(part, tuple):
            total = tuple(t + p for t, p in zip(total, part))
        else:
            total = total + part
    return total
