r"""Node features: analytic Pearson residuals (Lause, Berens & Kobak, Genome Biol. 2021).

For counts :math:`X` (cells :math:`c` x genes :math:`g`) with cell totals :math:`n_c`,
gene totals :math:`p_g` and grand total :math:`N`, under a negative binomial with
overdispersion :math:`\theta`:

.. math::
    \mu_{cg} = \frac{n_c\, p_g}{N}, \qquad
    r_{cg} = \operatorname{clip}\!\left(\frac{x_{cg} - \mu_{cg}}
             {\sqrt{\mu_{cg} + \mu_{cg}^2/\theta}}, -\sqrt{C}, \sqrt{C}\right)

with :math:`C` cells: what scanpy's ``experimental.pp.normalize_pearson_residuals``
computes (close to sctransform v2). Totals come from *all* genes even when residuals are
wanted for a selection, so selecting genes first changes nothing.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dglgene.data.cell_chunks import dense_blocks


def pearson_residuals(
    counts: sp.csr_matrix, genes: np.ndarray | None = None, theta: float = 100.0,
    clip: float | None = None,
) -> np.ndarray:
    """Dense residuals (cells x selected genes) of ``counts`` for the columns ``genes``,
    computed a block of cells at a time (:mod:`~dglgene.data.cell_chunks`)."""
    counts, cell_totals, gene_shares, bound = _residual_inputs(counts, genes, clip)
    out = np.empty(counts.shape)
    for rows, block in dense_blocks(counts):
        out[rows] = _residuals(block, cell_totals[rows], gene_shares, theta, bound)
    return out


def _residual_inputs(counts: sp.csr_matrix, genes: np.ndarray | None, clip: float | None
                     ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, float]:
    """The columns ``genes`` of ``counts``, each cell's total and each kept gene's share of
    the grand total (both over all genes), and the clip bound."""
    counts = sp.csr_matrix(counts)
    cell_totals = np.asarray(counts.sum(1, dtype=np.float64)).ravel()
    gene_shares = np.asarray(counts.sum(0, dtype=np.float64)).ravel() / cell_totals.sum()
    if genes is not None:
        counts, gene_shares = counts[:, genes], gene_shares[genes]
    return counts, cell_totals, gene_shares, np.sqrt(counts.shape[0]) if clip is None else clip


def _residuals(block: np.ndarray, cell_totals: np.ndarray, gene_shares: np.ndarray,
               theta: float, bound: float) -> np.ndarray:
    mu = np.outer(cell_totals, gene_shares)
    return np.clip((block - mu) / np.sqrt(mu + mu**2 / theta + 1e-300), -bound, bound)


def residual_variance(counts: sp.csr_matrix, theta: float = 100.0) -> np.ndarray:
    """Variance of each gene's Pearson residuals (as :func:`pearson_residuals`), merged
    over blocks of cells (Chan et al.'s pairwise update) so that no dense cells x genes
    matrix is made."""
    counts, cell_totals, gene_shares, bound = _residual_inputs(counts, None, None)
    n, mean, m2 = 0, np.zeros(counts.shape[1]), np.zeros(counts.shape[1])
    for rows, block in dense_blocks(counts):
        r = _residuals(block, cell_totals[rows], gene_shares, theta, bound)
        n_block, block_mean = len(r), r.mean(0)
        block_m2 = ((r - block_mean) ** 2).sum(0)
        if n == 0:
            n, mean, m2 = n_block, block_mean, block_m2
            continue
        delta, total = block_mean - mean, n + n_block
        mean = mean + delta * (n_block / total)
        m2 = m2 + block_m2 + delta**2 * (n * n_block / total)
        n = total
    return m2 / n


def log_normalize(values: sp.csr_matrix, counts: bool, target: float = 1e4,
                  totals: np.ndarray | None = None) -> np.ndarray:
    """Dense log expression: ``log1p`` of depth-normalised counts (``totals``: each cell's
    depth; default the row sums of ``values``), or the values as given."""
    if not counts:
        return values.toarray()
    if totals is None:
        totals = np.asarray(values.sum(1, dtype=np.float64)).ravel()
    scaled = sp.diags(target / np.maximum(totals, 1e-12)) @ values
    return np.log1p(scaled.toarray())


def mean_log_expression(values: sp.csr_matrix, depth: np.ndarray, counts: bool,
                        target: float = 1e4) -> np.ndarray:
    """Per gene (column), the mean over cells of ``log1p(target * x / depth)`` for counts
    (``depth``: each cell's total over all its genes), of the values as given otherwise;
    computed on the non-zeros alone.

    >>> import scipy.sparse as sp, numpy as np
    >>> x = sp.csr_matrix(np.array([[1.0, 0.0], [3.0, 1.0]]))
    >>> mean_log_expression(x, np.array([10.0, 10.0]), counts=True, target=10.0).round(3)
    array([1.04 , 0.347])
    """
    values = sp.csr_matrix(values, dtype=np.float64, copy=True)
    if counts:
        values = sp.csr_matrix(sp.diags(target / np.maximum(depth, 1e-12)) @ values)
        values.data = np.log1p(values.data)
    return np.asarray(values.sum(0)).ravel() / max(values.shape[0], 1)


def standardize(values: np.ndarray, clip: float = 10.0) -> np.ndarray:
    """Per-gene z-scores (columns), clipped: features for data without counts."""
    centered = values - values.mean(0)
    scale = centered.std(0)
    return np.clip(centered / np.where(scale > 0, scale, 1.0), -clip, clip)
