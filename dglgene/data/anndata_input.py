"""What the graph builder reads from an AnnData: counts or values, and dataset metadata.

Counts may sit in ``.X`` or ``.layers["counts"]``. Metadata comes from ``.uns``:
``modality`` (``rna``, ``atac`` or ``spatial``; default ``spatial`` when
``obsm["spatial"]`` exists, else ``rna``), ``tissue`` (default: the dataset name),
``species`` (default ``human``) and ``dataset``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import scipy.sparse as sp

from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError

MODALITIES = ("rna", "atac", "spatial")


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


def _as_csr(matrix: object) -> sp.csr_matrix:
    return sp.csr_matrix(matrix, dtype=np.float64)


def is_count_matrix(matrix: sp.csr_matrix) -> bool:
    """Non-negative whole numbers: what CS-CORE and Pearson residuals need."""
    data = matrix.data
    return bool(np.all(data >= 0) and np.all(data == np.round(data)))


def expression_matrix(adata: ad.AnnData, dataset: str) -> tuple[sp.csr_matrix, bool]:
    """Cells x genes matrix (``layers["counts"]`` first, else ``.X``) and whether it is counts.

    Raises a one-line :class:`~dglgene.errors.DglgeneInputError` for an empty dataset,
    duplicate gene names, a matrix that is not numeric, NaN or infinite values or negative
    values.
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
    raw = adata.layers["counts"] if in_layer else adata.X
    where = 'layers["counts"]' if in_layer else "X"
    dtype = getattr(raw, "dtype", None)
    if dtype is None or dtype.kind not in "biuf":  # strings would convert, or fail, silently
        what = type(raw).__name__ if dtype is None else f"dtype {dtype}"
        raise DglgeneInputError(f"{dataset}: {where} is not a numeric matrix ({what}); store "
                                "the counts or expression values as numbers")
    matrix = _as_csr(raw)
    if not np.all(np.isfinite(matrix.data)):
        raise DglgeneInputError(f"{dataset}: {where} contains NaN or infinite values; "
                                "remove or impute them first")
    if matrix.data.size and matrix.data.min() < 0:
        raise DglgeneInputError(f"{dataset}: {where} has negative values; pass raw counts "
                                "(or non-negative expression), not scaled data")
    matrix.eliminate_zeros()
    # A loader may know better than the values (e.g. TPM that happen to be whole numbers).
    declared = bool(adata.uns.get("counts", True))
    return matrix, declared and is_count_matrix(matrix)
