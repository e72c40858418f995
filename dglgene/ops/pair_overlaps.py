"""Cross-dataset gene bookkeeping for every pair of gene graphs, in one call.

For graphs :math:`i < j` with neighbour sets :math:`N_{ig}` (neighbour *global gene ids*
of gene :math:`g` in graph :math:`i`), :func:`pair_overlaps` returns

* the common genes, as local indices into :math:`i` and :math:`j` (ascending in :math:`i`);
* the weights :math:`\\lambda_{ijg} = |N_{ig} \\cap N_{jg}| / |N_{ig} \\cup N_{jg}|`
  (self-loops count when present, duplicate edges once, an empty union gives 0);
* the genes of :math:`i` not in :math:`j` and of :math:`j` not in :math:`i` (ascending);
* one neighbour per different gene, drawn uniformly from its distinct neighbours other
  than itself (itself when it has none) by a counter-based hash of
  ``(seed, i, j, side, gene)``: the same draw for any thread count or device.

Example
-------
>>> import numpy as np
>>> from dglgene.ops import pair_overlaps
>>> indptr = np.array([0, 2, 4]); indices = np.array([0, 1, 0, 1])  # 2 genes, fully linked
>>> out = pair_overlaps([indptr, indptr], [indices, indices],
...                     [np.array([7, 9]), np.array([9, 4])])
>>> out.pairs.tolist()
[[0, 1]]
>>> p = out.get(0, 1)
>>> p.common_i.tolist(), p.common_j.tolist(), p.diff_i.tolist(), p.diff_j.tolist()
([1], [0], [0], [1])
>>> p.weights.tolist()  # {7, 9} vs {9, 4}
[0.3333333333333333]
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator, Sequence
from functools import cache, cached_property
from typing import NamedTuple

import numpy as np

BACKENDS = ("auto", "cpp", "cuda", "reference")
_PACKED_KEYS = (
    "common_i", "common_j", "weights",
    "diff_i", "diff_i_neighbor", "diff_j", "diff_j_neighbor",
)


class PairOverlap(NamedTuple):
    """The bookkeeping of one pair (i, j); indices are local to the graph they name."""

    common_i: np.ndarray
    common_j: np.ndarray
    weights: np.ndarray
    diff_i: np.ndarray
    diff_j: np.ndarray
    diff_i_neighbor: np.ndarray
    diff_j_neighbor: np.ndarray

    @classmethod
    def empty(cls) -> PairOverlap:
        """No common and no different genes: a graph paired with itself."""
        none = np.empty(0, np.int64)
        return cls(none, none, np.empty(0, np.float64), none, none, none, none)

    def swapped(self) -> PairOverlap:
        """The same pair seen from j: every i/j role exchanged."""
        return PairOverlap(self.common_j, self.common_i, self.weights, self.diff_j,
                           self.diff_i, self.diff_j_neighbor, self.diff_i_neighbor)


class PairOverlaps:
    """All pairs packed flat: pair ``p`` owns ``[offsets[p], offsets[p + 1])`` of each array."""

    def __init__(self, packed: dict[str, np.ndarray], n_graphs: int,
                 backend: str = "reference") -> None:
        self.n_graphs = n_graphs
        self.backend = backend  # which implementation computed it
        self.pairs = packed["pairs"].reshape(-1, 2)
        self.common_offsets = packed["common_offsets"]
        self.diff_i_offsets = packed["diff_i_offsets"]
        self.diff_j_offsets = packed["diff_j_offsets"]
        self.arrays = {key: packed[key] for key in _PACKED_KEYS}

    @classmethod
    def from_pairs(cls, per_pair: Sequence[PairOverlap], n_graphs: int) -> PairOverlaps:
        """Pack per-pair results given in lexicographic (i, j), i < j, order."""
        if len(per_pair) != n_graphs * (n_graphs - 1) // 2:
            raise ValueError(f"{n_graphs} graphs need {n_graphs * (n_graphs - 1) // 2} pairs")

        def offsets(field: str) -> np.ndarray:
            sizes = [len(getattr(p, field)) for p in per_pair]
            return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)

        def packed(field: str) -> np.ndarray:
            dtype = np.float64 if field == "weights" else np.int64
            return np.concatenate([np.asarray(getattr(p, field), dtype) for p in per_pair]
                                  or [np.empty(0, dtype)]).astype(dtype)

        i, j = np.triu_indices(n_graphs, k=1)
        arrays = {key: packed(key) for key in _PACKED_KEYS}
        return cls({"pairs": np.stack([i, j], 1).astype(np.int64),
                    "common_offsets": offsets("common_i"),
                    "diff_i_offsets": offsets("diff_i"),
                    "diff_j_offsets": offsets("diff_j"), **arrays}, n_graphs)

    def __len__(self) -> int:
        return len(self.pairs)

    def pair_index(self, i: int, j: int) -> int:
        """Position of the unordered pair {i, j} in :attr:`pairs`."""
        if i == j or not (0 <= i < self.n_graphs and 0 <= j < self.n_graphs):
            raise IndexError(f"no pair ({i}, {j}) among {self.n_graphs} graphs")
        i, j = min(i, j), max(i, j)
        return i * self.n_graphs - i * (i + 1) // 2 + (j - i - 1)

    def get(self, i: int, j: int) -> PairOverlap:
        """The pair (i, j); with ``i > j`` the roles come back swapped to match the order."""
        p = self.pair_index(i, j)
        c = slice(self.common_offsets[p], self.common_offsets[p + 1])
        di = slice(self.diff_i_offsets[p], self.diff_i_offsets[p + 1])
        dj = slice(self.diff_j_offsets[p], self.diff_j_offsets[p + 1])
        a = self.arrays
        out = PairOverlap(a["common_i"][c], a["common_j"][c], a["weights"][c],
                          a["diff_i"][di], a["diff_j"][dj],
                          a["diff_i_neighbor"][di], a["diff_j_neighbor"][dj])
        return out if i < j else out.swapped()

    @cached_property
    def mean_weight(self) -> float:
        """Mean Jaccard weight over every common gene of every pair (1 with none)."""
        weights = self.arrays["weights"]
        return float(weights.mean()) if len(weights) and weights.any() else 1.0

    def __iter__(self) -> Iterator[tuple[int, int, PairOverlap]]:
        for i, j in self.pairs.tolist():
            yield i, j, self.get(i, j)


def _int64_array(values: object, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise ValueError(f"{what} must hold integers, got dtype {array.dtype}; "
                         "pass integer arrays (e.g. .astype(np.int64))")
    if array.dtype.kind == "u" and array.size and array.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{what} has values beyond the int64 range")
    return np.ascontiguousarray(array, dtype=np.int64)


def validate_collection(
    indptrs: Sequence[object], indices: Sequence[object], gene_ids: Sequence[object]
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Check the CSR graphs and id maps; return them as contiguous int64 arrays.

    Raises ``ValueError`` with a one-line message that names the graph and the fix.
    Inputs are never modified.
    """
    if not (len(indptrs) == len(indices) == len(gene_ids)):
        raise ValueError(f"got {len(indptrs)} indptrs, {len(indices)} indices and "
                         f"{len(gene_ids)} gene_ids arrays; pass one of each per graph")
    out: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for k, (ptr, idx, ids) in enumerate(zip(indptrs, indices, gene_ids)):
        ptr = _int64_array(ptr, f"graph {k}: indptr")
        idx = _int64_array(idx, f"graph {k}: indices")
        ids = _int64_array(ids, f"graph {k}: gene_ids")
        n = len(ids)
        if len(ptr) != n + 1:
            raise ValueError(f"graph {k}: indptr has {len(ptr)} entries for {n} genes; "
                             "it must have len(gene_ids) + 1 entries")
        if ptr[0] != 0 or ptr[-1] != len(idx):
            raise ValueError(f"graph {k}: indptr must start at 0 and end at len(indices) "
                             f"= {len(idx)}, got {ptr[0]} .. {ptr[-1]}")
        if np.any(np.diff(ptr) < 0):
            raise ValueError(f"graph {k}: indptr must be non-decreasing (CSR row pointers)")
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"graph {k}: indices must be local node ids in [0, {n}), "
                             f"got values in [{idx.min()}, {idx.max()}]")
        if ids.size and ids.min() < 0:
            raise ValueError(f"graph {k}: gene_ids must be non-negative global ids")
        unique, counts = np.unique(ids, return_counts=True)
        if np.any(counts > 1):
            raise ValueError(f"graph {k}: gene id {unique[counts > 1][0]} appears "
                             f"{counts.max()} times; each gene must appear once per graph")
        for store, array in zip(out, (ptr, idx, ids)):
            store.append(array)
    return out


@cache
def _native(module: str) -> object | None:
    try:
        return importlib.import_module(f"dglgene.{module}")
    except ImportError:
        return None


def cuda_device_count() -> int:
    """CUDA devices the native CUDA module sees (0 when it is not built)."""
    cuda = _native("_C_cuda")
    return int(cuda.device_count()) if cuda is not None else 0


def available_backends() -> list[str]:
    """Backends usable here, fastest first."""
    found = ["cuda"] if cuda_device_count() > 0 else []
    if _native("_C") is not None:
        found.append("cpp")
    return [*found, "reference"]


def pair_overlaps(
    indptrs: Sequence[object],
    indices: Sequence[object],
    gene_ids: Sequence[object],
    seed: int = 0,
    backend: str = "auto",
    num_threads: int | None = None,
) -> PairOverlaps:
    """Common/different genes, Jaccard weights and neighbour draws for all pairs.

    Parameters
    ----------
    indptrs, indices
        Per graph, the CSR row pointers and column indices over local node ids (int64).
    gene_ids
        Per graph, the global gene id of each local node (unique within the graph).
    seed
        Seed of the neighbour draw, in ``[0, 2**64)``.
    backend
        ``"cpp"`` (OpenMP), ``"cuda"``, ``"reference"`` (NumPy/Python) or ``"auto"``
        (the fastest available).
    num_threads
        OpenMP threads for the ``cpp`` backend (default: OpenMP's own choice).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must lie in [0, 2**64), got {seed}")
    ptrs, idxs, ids = validate_collection(indptrs, indices, gene_ids)
    if backend == "auto":
        backend = available_backends()[0]
        if backend == "reference":
            warnings.warn("dglgene._C is not built: using the slow reference kernels; "
                          "build it with `pip install -e .`", RuntimeWarning, stacklevel=2)
    if backend == "reference":
        from dglgene.ops.reference import pair_overlaps_reference

        return pair_overlaps_reference(ptrs, idxs, ids, seed=seed)
    if backend == "cuda":
        if cuda_device_count() == 0:
            raise RuntimeError("backend='cuda' needs dglgene._C_cuda (built when nvcc is "
                               "found) and a visible CUDA device; use backend='cpp'")
        packed = _native("_C_cuda").pair_overlaps(ptrs, idxs, ids, seed=int(seed))
    else:
        native = _native("_C")
        if native is None:
            raise RuntimeError("dglgene._C is not built; run `pip install -e .` "
                               "(or `make build`) or use backend='reference'")
        packed = native.pair_overlaps(ptrs, idxs, ids, seed=int(seed),
                                      num_threads=int(num_threads or 0))
    return PairOverlaps(packed, len(ids), backend)
