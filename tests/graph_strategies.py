"""Gene-graph collections in the kernels' CSR form: builders, hypothesis strategies and
the exact comparison of two kernel results."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from dglgene.ops import PairOverlaps

Collection = tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]


def csr_from_edges(n: int, edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """CSR of directed edges, kept in the given order within a row (duplicates stay)."""
    rows = np.array([u for u, _ in edges], dtype=np.int64)
    cols = np.array([v for _, v in edges], dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    return indptr, cols[order]


def graph(n: int, edges: list[tuple[int, int]], ids: list[int]) -> tuple:
    """One graph (indptr, indices, gene_ids) from an edge list."""
    return (*csr_from_edges(n, edges), np.array(ids, dtype=np.int64))


def columns(*graphs: tuple) -> list[list[np.ndarray]]:
    """Graphs -> the kernels' three per-graph lists (indptrs, indices, gene_ids)."""
    return [list(column) for column in zip(*graphs)]


def assert_identical(a: PairOverlaps, b: PairOverlaps) -> None:
    """Same arrays, dtypes and bytes (so also the same float bits of the weights)."""
    named = {"pairs": (a.pairs, b.pairs)}
    for key in ("common_offsets", "diff_i_offsets", "diff_j_offsets"):
        named[key] = (getattr(a, key), getattr(b, key))
    named.update({key: (a.arrays[key], b.arrays[key]) for key in a.arrays})
    for key, (x, y) in named.items():
        assert x.dtype == y.dtype, key
        np.testing.assert_array_equal(x, y, err_msg=key)
        assert x.tobytes() == y.tobytes(), key


@st.composite
def gene_graphs(draw: st.DrawFn, vocab: list[int], max_genes: int = 12) -> tuple:
    n = draw(st.integers(0, min(max_genes, len(vocab))))
    gene_ids = np.array(draw(st.permutations(vocab))[:n], dtype=np.int64)
    node = st.integers(0, max(n - 1, 0))
    edges = draw(st.lists(st.tuples(node, node), max_size=4 * n)) if n else []
    if draw(st.booleans()):  # co-expression graphs are symmetric; the kernels need not be
        edges += [(v, u) for u, v in edges]
    if draw(st.booleans()):
        edges += [(u, u) for u in range(n)]
    indptr, indices = csr_from_edges(n, edges)
    return indptr, indices, gene_ids


@st.composite
def collections(draw: st.DrawFn, max_graphs: int = 5, max_genes: int = 12) -> Collection:
    """1..max_graphs graphs over a small shared vocabulary whose ids may have big gaps."""
    size = draw(st.integers(1, 2 * max_genes))
    gap = draw(st.sampled_from([1, 3, 1_000_003]))
    vocab = [gap * k for k in range(size)]
    graphs = draw(st.lists(gene_graphs(vocab, max_genes), min_size=1, max_size=max_graphs))
    return tuple(columns(*graphs))  # type: ignore[return-value]
