"""Hypothesis strategies for gene-graph collections in the kernels' CSR form."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

Collection = tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]


def csr_from_edges(n: int, edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """CSR of directed edges, kept in the given order within a row (duplicates stay)."""
    rows = np.array([u for u, _ in edges], dtype=np.int64)
    cols = np.array([v for _, v in edges], dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    return indptr, cols[order]


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
    return tuple(list(column) for column in zip(*graphs))  # type: ignore[return-value]
