r"""scBERT's input: expression values as tokens, and dataset genes matched to a checkpoint's.

A checkpoint's gene order is stored in it by :func:`~dglgene.nn.performer.save_scbert_checkpoint`;
scBERT's released checkpoints carry none (their order is the 16,906-gene gene2vec panel's),
so :func:`read_gene_list` reads it from a text file beside them, one gene per line.

Tokens (:func:`expression_to_tokens`): scBERT's ``preprocess.py`` runs scanpy's
``normalize_total(target_sum=1e4)`` and ``log1p(base=2)``; its datasets then set values above
``CLASS - 2 = 5`` to 5 and call ``.long()`` (truncation), and append one token 0 at the end
(hence 16,906 + 1 positions). Token 6 (``CLASS - 1``) is the mask token.

>>> import numpy as np
>>> expression_to_tokens(np.array([[0, 1, 3, 9996], [2, 6, 9992, 0]]))
tensor([[0, 1, 2, 5],
        [1, 2, 5, 0]])
>>> index, report = match_genes(["B", "X", "A"], ["A", "B", "C"])
>>> index.tolist(), report.n_matched, report.missing
([1, -1, 0], 2, ['X'])
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError

__all__ = ["SCBERT_BIN_NUM", "SCBERT_MASK_TOKEN", "GeneMatchReport", "expression_to_tokens",
           "log2_normalise_", "match_genes", "read_gene_list"]

SCBERT_BIN_NUM = 5
SCBERT_MASK_TOKEN = SCBERT_BIN_NUM + 1  # CLASS - 1 with CLASS = bin_num + 2


# ---------------------------------------------------------------------------------- tokens


def log2_normalise_(x: np.ndarray | sp.csr_matrix, target_sum: float = 1e4
                    ) -> np.ndarray | sp.csr_matrix:
    """In place: ``log2(1 + x / total * target_sum)`` per cell (row), in ``x``'s float dtype.

    scanpy's ``normalize_total`` then ``log1p(base=2)``; cells with zero counts stay zero.
    """
    dtype = x.dtype.type
    totals = np.asarray(x.sum(axis=1), dtype=dtype).ravel()
    factor = totals / dtype(target_sum)
    factor[factor == 0] = 1  # empty cells stay zero (scanpy does not divide them)
    values = x.data if sp.issparse(x) else x
    if sp.issparse(x):
        values /= np.repeat(factor, np.diff(x.indptr))
    else:
        values /= factor[:, None]
    np.log1p(values, out=values)
    np.divide(values, np.log(2), out=values)
    return x


def expression_to_tokens(matrix: np.ndarray | sp.spmatrix | Tensor, *,
                         bin_num: int = SCBERT_BIN_NUM, target_sum: float = 1e4,
                         normalize: bool = True, append_end_token: bool = False,
                         dtype: type = np.float32) -> Tensor:
    """scBERT's tokens for a cells x genes count matrix (columns already in checkpoint order).

    ``normalize=True`` repeats scanpy's ``normalize_total(target_sum)`` then
    ``log1p(base=2)`` (``log1p(x) / log(2)``) in ``dtype`` (scBERT's data are float32; cells
    with zero counts stay zero); ``normalize=False`` takes already normalised values, as
    scBERT's datasets do. Then values above ``bin_num`` become ``bin_num`` and the rest are
    truncated to integers (scBERT: ``x[x > CLASS - 2] = CLASS - 2; x.long()``).
    ``append_end_token`` adds scBERT's trailing token 0 (16,906 genes -> 16,907 positions).
    scBERT also drops cells with fewer than 200 expressed genes before this step; that
    filter is left to the caller.
    """
    if isinstance(matrix, Tensor):
        matrix = matrix.detach().cpu().numpy()
    if sp.issparse(matrix):
        x = sp.csr_matrix(matrix, dtype=dtype, copy=True)
        values = x.data
    else:
        x = np.array(matrix, dtype=dtype, copy=True)
        if x.ndim != 2:
            raise ValueError(f"expected a 2-d cells x genes matrix, got shape {x.shape}")
        values = x
    if values.size and not np.isfinite(values).all():
        raise DglgeneInputError("expression matrix contains NaN or infinite values; "
                                "remove or impute them first")
    if values.size and values.min() < 0:
        raise DglgeneInputError("expression matrix contains negative values; scBERT "
                                "tokens need non-negative (log-)counts, not scaled data")
    if normalize:
        log2_normalise_(x, target_sum)
    dense = x.toarray() if sp.issparse(x) else x
    dense[dense > bin_num] = bin_num
    tokens = torch.from_numpy(dense.astype(np.int64))  # truncation, as torch's .long()
    if append_end_token:
        tokens = torch.cat([tokens, tokens.new_zeros(tokens.shape[0], 1)], dim=1)
    return tokens


# ---------------------------------------------------------------------------------- genes


@dataclass
class GeneMatchReport:
    """What :func:`match_genes` found."""

    n_dataset: int
    n_checkpoint: int
    n_matched: int                                   # dataset genes found in the checkpoint
    missing: list[str] = field(default_factory=list)  # dataset genes not in the checkpoint
    duplicates: list[str] = field(default_factory=list)  # dataset genes listed more than once
    n_covered: int = 0  # distinct checkpoint genes present in the dataset

    @property
    def checkpoint_coverage(self) -> float:
        """Fraction of the checkpoint's genes that the dataset provides (the rest are token 0)."""
        return self.n_covered / self.n_checkpoint if self.n_checkpoint else 0.0

    def __str__(self) -> str:
        shown = ", ".join(self.missing[:10]) + (" ..." if len(self.missing) > 10 else "")
        return (f"{self.n_matched}/{self.n_dataset} dataset genes found in the checkpoint's "
                f"{self.n_checkpoint} ({self.checkpoint_coverage:.1%} of them covered); "
                f"{len(self.missing)} not found" + (f": {shown}" if self.missing else "")
                + (f"; {len(self.duplicates)} duplicated" if self.duplicates else ""))


def match_genes(dataset_genes: Sequence[str], checkpoint_genes: Sequence[str], *,
                case_sensitive: bool = True) -> tuple[np.ndarray, GeneMatchReport]:
    """Position of each dataset gene in checkpoint order (-1 if absent), and a report.

    Exact symbol matching, as scBERT's ``preprocess.py``; a duplicated checkpoint gene
    matches its first position. Build the checkpoint-ordered matrix with
    ``out[:, index[ok]] = data[:, ok]`` where ``ok = index >= 0``.
    """
    def norm(g: str) -> str:
        return str(g) if case_sensitive else str(g).upper()

    position: dict[str, int] = {}
    for i, gene in enumerate(checkpoint_genes):
        position.setdefault(norm(gene), i)
    index = np.array([position.get(norm(g), -1) for g in dataset_genes], dtype=np.int64)
    counts = Counter(norm(g) for g in dataset_genes)
    report = GeneMatchReport(
        n_dataset=len(dataset_genes), n_checkpoint=len(checkpoint_genes),
        n_matched=int((index >= 0).sum()),
        missing=[str(g) for g, i in zip(dataset_genes, index) if i < 0],
        duplicates=sorted(g for g, c in counts.items() if c > 1),
        n_covered=len(set(index[index >= 0].tolist())))
    return index, report


def read_gene_list(path: str | os.PathLike) -> list[str]:
    """A checkpoint's gene order from a text file: one gene name per line, position order.

    Surrounding whitespace and blank lines are ignored. Refused with one line: a missing
    or empty file, a line holding more than one field (a table or a word2vec file rather
    than a list), a repeated gene.
    """
    path = Path(path)
    if not path.is_file():
        raise DglgeneFileNotFoundError(f"gene list {str(path)!r} does not exist")
    genes = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        name = line.strip()
        if any(c in name for c in ", \t;"):
            raise DglgeneInputError(f"gene list {str(path)!r} line {number} holds more than one "
                                    f"field ({name[:40]!r}); give one gene name per line")
        if name:
            genes.append(name)
    if not genes:
        raise DglgeneInputError(f"gene list {str(path)!r} is empty; give one gene name per line, "
                                "in the checkpoint's position order")
    repeated = next((g for g, c in Counter(genes).items() if c > 1), None)
    if repeated is not None:
        raise DglgeneInputError(f"gene list {str(path)!r} names {repeated!r} twice; each line "
                                "names one position of the checkpoint")
    return genes
