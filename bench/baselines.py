"""Two baselines for :func:`dglgene.ops.pair_overlaps`, timed against the C++ kernel.

* :func:`networkx_threadpool_overlaps` does it the MuSe-GNN way: networkx graphs whose nodes
  are gene ids, and Python set operations per pair in a thread pool.
* :func:`scipy_sparse_overlaps` is a vectorised NumPy/SciPy version: one (local gene x global
  gene) neighbour-incidence CSR matrix per graph, and a handful of array operations per pair.

Both return, per pair, the same fields as the kernel (local indices, common and different
genes ascending in local order). Only the neighbour draws differ: each uses its own RNG.
The per-graph preparation (:func:`build_networkx_graphs`, :func:`prepare_scipy`) is split out
so that the benchmarks can time it apart from the per-pair work.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import networkx as nx
import numpy as np
import scipy.sparse as sp
from workloads import Collection

from dglgene.ops.pair_overlaps import PairOverlap

Pairs = Sequence[tuple[int, int]]


# --- networkx + Python sets, in a thread pool (the MuSe-GNN approach) ---------------------


class NxGraph(NamedTuple):
    """A data set as MuSe-GNN keeps it: a gene-labelled graph plus gene -> local index."""

    graph: nx.Graph
    local: dict[int, int]


def build_networkx_graphs(collection: Collection) -> list[NxGraph]:
    """One ``nx.Graph`` per data set, nodes labelled by global gene id in local order."""
    graphs = []
    for ptr, idx, ids in zip(*collection):
        g = nx.Graph()
        g.add_nodes_from(ids.tolist())
        rows = np.repeat(ids, np.diff(ptr))
        g.add_edges_from(zip(rows.tolist(), ids[idx].tolist()))
        graphs.append(NxGraph(g, {gene: u for u, gene in enumerate(ids.tolist())}))
    return graphs


def _nx_random_neighbor(g: nx.Graph, gene: int, rnd: random.Random) -> int:
    others = [h for h in g.neighbors(gene) if h != gene]
    return rnd.choice(others) if others else gene


def _nx_pair(a: NxGraph, b: NxGraph, seed: int) -> PairOverlap:
    rnd = random.Random(seed)
    gi, gj = a.graph, b.graph
    common = sorted(gi.nodes & gj.nodes, key=a.local.__getitem__)
    weights = []
    for gene in common:
        ni, nj = set(gi.neighbors(gene)), set(gj.neighbors(gene))
        union = len(ni | nj)
        weights.append(len(ni & nj) / union if union else 0.0)
    only_i = sorted(gi.nodes - gj.nodes, key=a.local.__getitem__)
    only_j = sorted(gj.nodes - gi.nodes, key=b.local.__getitem__)
    return PairOverlap(
        common_i=np.array([a.local[g] for g in common], np.int64),
        common_j=np.array([b.local[g] for g in common], np.int64),
        weights=np.array(weights, np.float64),
        diff_i=np.array([a.local[g] for g in only_i], np.int64),
        diff_j=np.array([b.local[g] for g in only_j], np.int64),
        diff_i_neighbor=np.array([a.local[_nx_random_neighbor(gi, g, rnd)] for g in only_i],
                                 np.int64),
        diff_j_neighbor=np.array([b.local[_nx_random_neighbor(gj, g, rnd)] for g in only_j],
                                 np.int64),
    )


def networkx_threadpool_overlaps(
    graphs: list[NxGraph], pairs: Pairs, seed: int = 0, workers: int = 2
) -> list[PairOverlap]:
    """Per pair (in the order given), set-based overlaps; pair ``k`` is seeded ``seed + k``."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_nx_pair, graphs[i], graphs[j], seed + k)
                   for k, (i, j) in enumerate(pairs)]
        return [f.result() for f in futures]


# --- vectorised SciPy sparse ---------------------------------------------------------------


class SparseGraph(NamedTuple):
    """A graph prepared for :func:`scipy_sparse_overlaps`."""

    gene_ids: np.ndarray
    incidence: sp.csr_matrix  # (local gene, global gene) = 1 when the two are neighbours
    degree: np.ndarray  # distinct neighbour genes per local gene (row nnz of incidence)
    draw_ptr: np.ndarray  # CSR over local genes of their distinct neighbours but themselves
    draw_local: np.ndarray


def prepare_scipy(collection: Collection) -> list[SparseGraph]:
    """Per graph: the neighbour-incidence matrix and the neighbour-draw candidates."""
    vocab = 1 + max(int(ids.max()) for ids in collection[2])
    out = []
    for ptr, idx, ids in zip(*collection):
        n = len(ids)
        rows = np.repeat(np.arange(n), np.diff(ptr))
        incidence = sp.csr_matrix((np.ones(len(idx)), (rows, ids[idx])), shape=(n, vocab))
        incidence.sum_duplicates()
        incidence.data[:] = 1.0  # duplicate edges count once
        # Candidates of the draw: distinct local neighbours other than the gene itself.
        keep = rows != idx
        keys = np.unique(rows[keep] * n + idx[keep])
        draw_rows, draw_local = np.divmod(keys, n)
        draw_ptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(draw_rows, minlength=n), out=draw_ptr[1:])
        out.append(SparseGraph(ids, incidence, np.diff(incidence.indptr), draw_ptr, draw_local))
    return out


def _draw(g: SparseGraph, genes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    start = g.draw_ptr[genes]
    count = g.draw_ptr[genes + 1] - start
    pick = start + (rng.random(len(genes)) * count).astype(np.int64)
    has = count > 0
    out = genes.copy()
    out[has] = g.draw_local[pick[has]]
    return out


def _scipy_pair(a: SparseGraph, b: SparseGraph, rng: np.random.Generator) -> PairOverlap:
    _, ci, cj = np.intersect1d(a.gene_ids, b.gene_ids, assume_unique=True,
                               return_indices=True)
    order = np.argsort(ci)
    ci, cj = ci[order], cj[order]
    inter = np.asarray(a.incidence[ci].multiply(b.incidence[cj]).sum(axis=1)).ravel()
    union = a.degree[ci] + b.degree[cj] - inter
    weights = np.divide(inter, union, out=np.zeros(len(ci)), where=union > 0)
    only_i = np.ones(len(a.gene_ids), bool)
    only_i[ci] = False
    only_j = np.ones(len(b.gene_ids), bool)
    only_j[cj] = False
    diff_i, diff_j = np.flatnonzero(only_i), np.flatnonzero(only_j)
    return PairOverlap(ci, cj, weights, diff_i, diff_j,
                       _draw(a, diff_i, rng), _draw(b, diff_j, rng))


def scipy_sparse_overlaps(
    graphs: list[SparseGraph], pairs: Pairs, seed: int = 0
) -> list[PairOverlap]:
    """Per pair (in the order given), vectorised overlaps; one Generator for the run."""
    rng = np.random.default_rng(seed)
    return [_scipy_pair(graphs[i], graphs[j], rng) for i, j in pairs]
