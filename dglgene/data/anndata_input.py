"""What the graph builder reads from an AnnData: counts or values, and dataset metadata.

Counts may sit in ``.X`` or ``.layers["counts"]``. Metadata comes from ``.uns``:
``modality`` (``rna``, ``atac`` or ``spatial``; default ``spatial`` when
``obsm["spatial"]`` exists, else ``rna``), ``tissue`` (default: the dataset name),
``species`` (default ``human``) and ``dataset``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anndata as ad
import h5py
import numpy as np
import scipy.sparse as sp
from anndata.io import read_elem, sparse_dataset

from dglgene.data.cell_chunks import row_blocks
from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError

MODALITIES = ("rna", "atac", "spatial")
#: an ``.h5ad`` whose expression matrix takes more bytes than this is read backed, a block
#: of cells at a time (:func:`open_h5ad_backed`), when graphs are built from it
IN_MEMORY_MAX_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class DatasetMeta:
    dataset: str
    modality: str
    tissue: str
    species: str


def read_h5ad(path: str | Path) -> ad.AnnData:
    """Read an ``.h5ad`` file, turning any failure into one line naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DglgeneFileNotFoundError(f"{path}: no such file")
    try:
        adata = ad.read_h5ad(path)
    except Exception as error:  # h5py/anndata raise many types for a bad file
        raise DglgeneInputError(f"{path}: not a readable .h5ad file "
                                f"({type(error).__name__}); write it with "
                                "AnnData.write_h5ad") from None
    adata.uns.setdefault("dataset", path.stem)
    return adata


def dataset_meta(adata: ad.AnnData, name: str | None = None) -> DatasetMeta:
    """Dataset id, modality, tissue and species from ``.uns`` with the documented defaults."""
    dataset = str(name or adata.uns.get("dataset") or "dataset")
    default = "spatial" if "spatial" in adata.obsm else "rna"
    modality = str(adata.uns.get("modality", default)).lower()
    if modality not in MODALITIES:
        raise DglgeneInputError(f"{dataset}: modality {modality!r} is not one of "
                                f"{', '.join(MODALITIES)}; set adata.uns['modality']")
    if modality == "spatial" and "spatial" not in adata.obsm:
        raise DglgeneInputError(f"{dataset}: spatial modality without coordinates; "
                                "put the spot positions (n_obs x 2) in adata.obsm['spatial']")
    tissue = str(adata.uns.get("tissue", dataset))
    return DatasetMeta(dataset, modality, tissue, str(adata.uns.get("species", "human")))


@dataclass(frozen=True)
class StoredMatrix:
    """An expression matrix left in its file (:func:`open_h5ad_backed`): ``matrix`` reads
    as a cells x genes array a block of rows at a time; ``where`` names it for messages."""

    matrix: Any
    where: str


def matrix_source(adata: ad.AnnData, dataset: str, stored: StoredMatrix | None = None
                  ) -> tuple[Any, str]:
    """The cells x genes matrix to read (``stored``'s if given; else ``layers["counts"]``,
    else ``.X``) and where it is.

    Raises a one-line :class:`~dglgene.errors.DglgeneInputError` for an empty dataset,
    duplicate gene names or a matrix that is not numeric.
    """
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise DglgeneInputError(f"{dataset}: empty dataset ({adata.n_obs} cells x {adata.n_vars} "
                                "genes); pass a dataset with cells and genes")
    if not adata.var_names.is_unique:
        duplicated = adata.var_names[adata.var_names.duplicated()].unique()
        raise DglgeneInputError(f"{dataset}: duplicate gene names ({', '.join(duplicated[:3])}"
                                f"{', ...' if len(duplicated) > 3 else ''}); make them unique, "
                                "e.g. adata.var_names_make_unique()")
    in_layer = "counts" in adata.layers
    if stored is not None:
        raw, where = stored.matrix, stored.where
    else:
        raw = adata.layers["counts"] if in_layer else adata.X
        where = 'layers["counts"]' if in_layer else "X"
    dtype = getattr(raw, "dtype", None)
    if dtype is None or dtype.kind not in "biuf":  # strings would convert, or fail, silently
        what = type(raw).__name__ if dtype is None else f"dtype {dtype}"
        raise DglgeneInputError(f"{dataset}: {where} is not a numeric matrix ({what}); store "
                                "the counts or expression values as numbers")
    return raw, where


def check_values(matrix: Any, dataset: str, where: str) -> bool:
    """Refuse NaN, infinite or negative values (one line), reading ``matrix`` a block of
    cells at a time; return whether it holds whole numbers only (counts)."""
    whole = True
    for _, block in row_blocks(matrix):
        if not np.all(np.isfinite(block.data)):
            raise DglgeneInputError(f"{dataset}: {where} contains NaN or infinite values; "
                                    "remove or impute them first")
        if block.data.size and block.data.min() < 0:
            raise DglgeneInputError(f"{dataset}: {where} has negative values; pass raw "
                                    "counts (or non-negative expression), not scaled data")
        whole = whole and is_count_matrix(block)
    return whole


def is_count_matrix(matrix: sp.csr_matrix) -> bool:
    """Non-negative whole numbers: what CS-CORE and Pearson residuals need."""
    data = matrix.data
    return bool(np.all(data >= 0) and np.all(data == np.round(data)))


def declared_counts(adata: ad.AnnData) -> bool:
    """False where a loader says the values are not counts (``uns["counts"]``), e.g. TPM
    that happen to be whole numbers."""
    return bool(adata.uns.get("counts", True))


def expression_matrix(adata: ad.AnnData, dataset: str) -> tuple[sp.csr_matrix, bool]:
    """Cells x genes matrix (``layers["counts"]`` first, else ``.X``) in memory, and whether
    it is counts; checked by :func:`matrix_source` and :func:`check_values`."""
    raw, where = matrix_source(adata, dataset)
    is_counts = check_values(raw, dataset, where)
    matrix = sp.csr_matrix(raw, dtype=np.float64)
    matrix.eliminate_zeros()
    return matrix, declared_counts(adata) and is_counts


def matrix_bytes(path: str | Path) -> int:
    """Bytes of the expression matrix (``layers/counts``, else ``X``) stored in an ``.h5ad``
    file, read from its layout without loading it; 0 where the file has no such layout (it
    is then read whole, which names what is wrong)."""
    try:
        with h5py.File(path, "r") as f:
            node = f["layers/counts"] if "layers/counts" in f else f["X"]
            parts = node.values() if isinstance(node, h5py.Group) else [node]
            return int(sum(p.size * p.dtype.itemsize for p in parts))
    except (OSError, KeyError):
        return 0


def open_h5ad_backed(path: str | Path) -> tuple[ad.AnnData, StoredMatrix]:
    """An ``.h5ad`` file's metadata in memory (obs, var, uns, obsm; no matrix) and its
    expression matrix (``layers/counts``, else ``X``) left on disk, read a block of cells at
    a time by :mod:`~dglgene.data.cell_chunks`. The file stays open while the matrix is."""
    path = Path(path)
    if not path.is_file():
        raise DglgeneFileNotFoundError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
        key = "layers/counts" if "layers/counts" in f else "X"
        parts = {k: read_elem(f[k]) for k in ("obs", "var", "uns", "obsm") if k in f}
        node = f[key]
        matrix = sparse_dataset(node) if isinstance(node, h5py.Group) else node
    except Exception as error:  # h5py/anndata raise many types for a bad file
        raise DglgeneInputError(f"{path}: not a readable .h5ad file "
                                f"({type(error).__name__}); write it with "
                                "AnnData.write_h5ad") from None
    adata = ad.AnnData(**parts)
    adata.uns.setdefault("dataset", path.stem)
    return adata, StoredMatrix(matrix, 'layers["counts"]' if "layers" in key else "X")
