"""Input checks shared by the embedding metrics: rows, labels, graphs, neighbours."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.neighbors import NearestNeighbors


class _Rows(NamedTuple):
    emb: np.ndarray          # float64, n x d
    gene_codes: np.ndarray   # int, index into gene_names
    gene_names: np.ndarray
    ds_codes: np.ndarray     # int, index into ds_names (sorted)
    ds_names: np.ndarray
    common: np.ndarray       # bool mask of rows of common genes


def _as_embedding(emb: ArrayLike) -> np.ndarray:
    x = np.asarray(emb, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"emb must be a non-empty 2-D array (rows x dims), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("emb contains NaN or infinite values; clean the embedding first")
    return x


def _labels(values: ArrayLike, n: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"{what} must be 1-D with one entry per emb row ({n}), "
                         f"got shape {arr.shape}")
    names, codes = np.unique(arr, return_inverse=True)
    return names, codes.astype(np.int64)


def _rows(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike, *, min_datasets: int = 2,
          need_common: bool = True) -> _Rows:
    x = _as_embedding(emb)
    gene_names, gene_codes = _labels(genes, len(x), "genes")
    ds_names, ds_codes = _labels(datasets, len(x), "datasets")
    if len(ds_names) < 2:
        raise ValueError(f"need rows from at least 2 datasets, got {len(ds_names)}")
    key = ds_codes * len(gene_names) + gene_codes
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    if (counts > 1).any():
        r = first[np.argmax(counts > 1)]
        raise ValueError(f"gene {gene_names[gene_codes[r]]!r} has several rows in dataset "
                         f"{ds_names[ds_codes[r]]!r}; give one row per (dataset, gene)")
    if min_datasets < 2:
        raise ValueError(f"min_datasets must be >= 2, got {min_datasets}")
    # one row per (dataset, gene), so a gene's row count is its dataset count
    common = np.bincount(gene_codes, minlength=len(gene_names))[gene_codes] >= min_datasets
    if need_common and not common.any():
        raise ValueError(f"no common genes: no gene has rows in >= {min_datasets} datasets")
    return _Rows(x, gene_codes, gene_names, ds_codes, ds_names, common)


def _adjacencies(adjacency_by_dataset: Mapping[Hashable, ArrayLike],
                 ds_names: np.ndarray, ds_codes: np.ndarray) -> list[sp.csr_matrix]:
    """Undirected 0/1 adjacency per dataset (sorted dataset order); self-loops kept."""
    missing = [d for d in ds_names if d not in adjacency_by_dataset]
    if missing:
        raise ValueError(f"adjacency_by_dataset has no graph for dataset(s) {missing[:5]}")
    extra = [d for d in adjacency_by_dataset if d not in set(ds_names.tolist())]
    if extra:
        raise ValueError(f"adjacency_by_dataset has graphs for unknown dataset(s) {extra[:5]}")
    out = []
    for i, name in enumerate(ds_names):
        n_t = int((ds_codes == i).sum())
        a = sp.csr_matrix(adjacency_by_dataset[name])
        if a.shape != (n_t, n_t):
            raise ValueError(f"adjacency of dataset {name!r} is {a.shape}, but the dataset has "
                             f"{n_t} rows in emb; it must be {n_t} x {n_t} in row order")
        a = (a != 0).astype(np.int8)
        out.append(((a + a.T) > 0).astype(np.int8).tocsr())
    return out


def _neighbours(x: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of each row's ``m`` nearest *other* rows (exact, ascending)."""
    # sklearn's "auto" goes brute-force when m >= n/2, which costs ~40 ms of fixed overhead
    # per call on tiny inputs; a tree is exact too and fast there
    algorithm = "auto" if len(x) >= 2048 else "kd_tree"
    return NearestNeighbors(n_neighbors=m, algorithm=algorithm).fit(x).kneighbors()
