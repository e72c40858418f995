"""The native pair-overlap kernels against their reference, and the contract's invariants."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from graph_strategies import assert_identical, collections, columns, csr_from_edges
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chisquare

import dglgene
from dglgene.ops import pair_overlaps
from dglgene.ops.pair_overlaps import available_backends

SEEDS = st.integers(0, 2**64 - 1)


def neighbour_genes(indptr: np.ndarray, indices: np.ndarray, ids: np.ndarray, u: int) -> set:
    return set(ids[indices[indptr[u]:indptr[u + 1]]].tolist())


def test_native_module_is_built() -> None:
    assert "cpp" in available_backends()
    assert dglgene._C.has_openmp


@given(collections(), SEEDS)
def test_cpp_equals_reference(coll, seed) -> None:
    assert_identical(pair_overlaps(*coll, seed=seed, backend="cpp"),
                pair_overlaps(*coll, seed=seed, backend="reference"))


@given(collections(max_graphs=4, max_genes=30), SEEDS)
def test_same_draw_for_any_thread_count(coll, seed) -> None:
    one = pair_overlaps(*coll, seed=seed, backend="cpp", num_threads=1)
    assert_identical(one, pair_overlaps(*coll, seed=seed, backend="cpp", num_threads=2))
    assert_identical(one, pair_overlaps(*coll, seed=seed, backend="cpp", num_threads=5))


@given(collections(), SEEDS)
def test_partition_and_alignment(coll, seed) -> None:
    ids = coll[2]
    out = pair_overlaps(*coll, seed=seed)
    T = len(ids)
    assert out.pairs.tolist() == [[i, j] for i in range(T) for j in range(i + 1, T)]
    for i, j, p in out:
        # common + different genes partition each graph, both in ascending local order
        for common, diff, n in ((p.common_i, p.diff_i, len(ids[i])),
                                (p.common_j, p.diff_j, len(ids[j]))):
            assert sorted(common.tolist() + diff.tolist()) == list(range(n))
        assert np.all(np.diff(p.common_i) > 0) and np.all(np.diff(p.diff_i) > 0)
        assert np.all(np.diff(p.diff_j) > 0)
        np.testing.assert_array_equal(ids[i][p.common_i], ids[j][p.common_j])
        assert not set(ids[i][p.diff_i].tolist()) & set(ids[j].tolist())
        assert not set(ids[j][p.diff_j].tolist()) & set(ids[i].tolist())


@given(collections(), SEEDS)
def test_weights_are_jaccard_in_unit_interval(coll, seed) -> None:
    indptrs, indices, ids = coll
    for i, j, p in pair_overlaps(*coll, seed=seed):
        assert np.all((p.weights >= 0) & (p.weights <= 1))
        for u, v, w in zip(p.common_i, p.common_j, p.weights):
            a = neighbour_genes(indptrs[i], indices[i], ids[i], u)
            b = neighbour_genes(indptrs[j], indices[j], ids[j], v)
            assert w == (len(a & b) / len(a | b) if a | b else 0.0)


@given(collections(), SEEDS)
def test_mean_weight_is_the_mean_over_every_common_gene(coll, seed) -> None:
    out = pair_overlaps(*coll, seed=seed)
    weights = [w for _, _, p in out for w in p.weights.tolist()]
    expected = sum(weights) / len(weights) if any(weights) else 1.0
    assert out.mean_weight == pytest.approx(expected, rel=1e-12)


@given(collections(), SEEDS)
def test_weights_symmetric_in_graph_order(coll, seed) -> None:
    forward = pair_overlaps(*coll, seed=seed)
    backward = pair_overlaps(*(column[::-1] for column in coll), seed=seed)
    T = len(coll[2])
    for i, j, p in forward:
        q = backward.get(T - 1 - j, T - 1 - i)  # the same two graphs, roles swapped
        order = np.argsort(q.common_j)
        np.testing.assert_array_equal(p.common_i, q.common_j[order])
        np.testing.assert_array_equal(p.weights, q.weights[order])


@given(collections(max_graphs=1, max_genes=15), st.randoms(use_true_random=False))
def test_weight_one_when_neighbourhoods_identical(coll, rnd) -> None:
    """A graph against a relabelled copy of itself: identical neighbourhoods everywhere."""
    (indptr,), (indices,), (ids,) = coll
    n = len(ids)
    perm = np.array(rnd.sample(range(n), n), dtype=np.int64)  # new local id of each node
    rows = np.repeat(np.arange(n), np.diff(indptr))
    copy_ptr, copy_idx = csr_from_edges(n, list(zip(perm[rows].tolist(), perm[indices].tolist())))
    copy_ids = np.empty_like(ids)
    copy_ids[perm] = ids
    p = pair_overlaps([indptr, copy_ptr], [indices, copy_idx], [ids, copy_ids]).get(0, 1)
    assert len(p.common_i) == n and len(p.diff_i) == len(p.diff_j) == 0
    np.testing.assert_array_equal(p.common_j, perm[p.common_i])
    has_neighbours = np.diff(indptr)[p.common_i] > 0
    np.testing.assert_array_equal(p.weights, np.where(has_neighbours, 1.0, 0.0))


@given(collections(), SEEDS)
def test_drawn_neighbour_is_a_neighbour(coll, seed) -> None:
    indptrs, indices, _ = coll
    for i, j, p in pair_overlaps(*coll, seed=seed):
        sides = ((i, p.diff_i, p.diff_i_neighbor), (j, p.diff_j, p.diff_j_neighbor))
        for graph, diff, drawn in sides:
            for u, v in zip(diff.tolist(), drawn.tolist()):
                candidates = set(indices[graph][indptrs[graph][u]:indptrs[graph][u + 1]].tolist())
                candidates.discard(u)
                assert v in candidates if candidates else v == u


def star_against_strangers(n_leaves: int, n_strangers: int):
    """Graph 0: gene 0 linked to n_leaves genes (and itself); other graphs share no gene."""
    hub_edges = [(0, 0)] + [(0, k) for k in range(1, n_leaves + 1)]
    graphs = [(*csr_from_edges(n_leaves + 1, hub_edges), np.arange(n_leaves + 1))]
    for t in range(n_strangers):
        graphs.append((*csr_from_edges(1, []), np.array([10_000 + t])))
    return columns(*graphs)


def test_neighbour_draw_is_uniform_and_seeded() -> None:
    coll = star_against_strangers(n_leaves=8, n_strangers=40)
    draws = []
    for seed in range(50):  # 40 pairs x 50 seeds = 2000 draws for the hub
        out = pair_overlaps(*coll, seed=seed)
        draws += [out.get(0, t).diff_i_neighbor[0] for t in range(1, 41)]
        assert_identical(out, pair_overlaps(*coll, seed=seed))
    counts = np.bincount(draws, minlength=9)
    assert counts[0] == 0  # the hub never draws itself while it has other neighbours
    assert chisquare(counts[1:]).pvalue > 1e-3
    assert not np.array_equal(draws[:40], draws[40:80])  # another seed, another draw


def test_edge_cases_by_hand() -> None:
    empty = (np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    isolated = (np.zeros(4, np.int64), np.zeros(0, np.int64), np.array([5, 6, 7]))
    # genes 5-6 linked with self-loops, plus a duplicate edge 6 -> 5
    linked = (np.array([0, 2, 5, 5]), np.array([0, 1, 0, 1, 0]), np.array([7, 6, 5]))
    disjoint = (np.array([0, 1]), np.array([0]), np.array([99]))
    out = pair_overlaps(*columns(empty, isolated, linked, disjoint))
    assert len(out) == 6
    p = out.get(0, 1)
    assert len(p.common_i) == 0 and p.diff_j.tolist() == [0, 1, 2]
    assert p.diff_j_neighbor.tolist() == [0, 1, 2]  # isolated: each draws itself
    p = out.get(1, 2)  # isolated vs linked: all common, empty vs non-empty neighbourhoods
    assert p.common_i.tolist() == [0, 1, 2] and p.common_j.tolist() == [2, 1, 0]
    assert p.weights.tolist() == [0.0, 0.0, 0.0]
    p = out.get(2, 3)
    assert len(p.common_i) == 0 and p.diff_i.tolist() == [0, 1, 2]
    assert p.diff_i_neighbor.tolist() == [1, 0, 2]  # one candidate each; gene 7 has none
    assert p.diff_j_neighbor.tolist() == [0]  # only a self-loop: itself
    swapped = out.get(3, 2)
    assert swapped.diff_i.tolist() == [0] and swapped.diff_j.tolist() == [0, 1, 2]
    single = pair_overlaps(*columns(linked))
    assert len(single) == 0 and single.pairs.shape == (0, 2)


def test_jaccard_by_hand() -> None:
    # graph 0: gene 1 ~ {1, 2, 3}; graph 1: gene 1 ~ {1, 3, 4}  ->  |{1,3}| / |{1,2,3,4}|
    g0 = (np.array([0, 3, 3, 3]), np.array([0, 1, 2]), np.array([1, 2, 3]))
    g1 = (np.array([0, 3, 3, 3]), np.array([0, 2, 1]), np.array([1, 4, 3]))
    p = pair_overlaps(*columns(g0, g1)).get(0, 1)
    assert p.common_i.tolist() == [0, 2] and p.common_j.tolist() == [0, 2]
    assert p.weights.tolist() == [0.5, 0.0]


BAD_INPUTS = {
    "non-decreasing": ([np.array([0, 2, 1, 3])], [np.array([0, 1, 2])], [np.array([1, 2, 3])]),
    "local node ids": ([np.array([0, 1, 2])], [np.array([0, 2])], [np.array([1, 2])]),
    "non-negative": ([np.array([0, 0, 0])], [np.array([], np.int64)], [np.array([-1, 2])]),
    "appears 2 times": ([np.array([0, 0, 0])], [np.array([], np.int64)], [np.array([4, 4])]),
    "len(gene_ids) + 1": ([np.array([0, 0])], [np.array([], np.int64)], [np.array([4, 5])]),
    "end at len(indices)": ([np.array([0, 1, 1])], [np.array([0, 1])], [np.array([4, 5])]),
    "must hold integers": ([np.array([0.0, 1.0])], [np.array([0])], [np.array([3])]),
    "1-D": ([np.array([[0, 0]])], [np.array([], np.int64)], [np.array([3])]),
    "one of each per graph": ([np.array([0, 0])], [], [np.array([3])]),
}


@pytest.mark.parametrize("backend", ["cpp", "reference"])
@pytest.mark.parametrize("problem", BAD_INPUTS)
def test_bad_input_is_a_one_line_value_error(problem: str, backend: str) -> None:
    args = BAD_INPUTS[problem]
    before = copy.deepcopy(args)
    with pytest.raises(ValueError, match=re.escape(problem)) as error:
        pair_overlaps(*args, backend=backend)
    assert "\n" not in str(error.value)
    for now, then in zip(args, before):  # nothing was written into the caller's arrays
        for a, b in zip(now, then):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("problem", ["non-decreasing", "local node ids", "non-negative",
                                     "appears 2 times", "len(gene_ids) + 1",
                                     "one of each per graph"])
def test_native_module_validates_on_its_own(problem: str) -> None:
    """Called directly, the C++ module raises ValueError instead of reading out of bounds."""
    with pytest.raises(ValueError):
        dglgene._C.pair_overlaps(*BAD_INPUTS[problem])


def test_bad_seed_and_backend() -> None:
    coll = star_against_strangers(2, 1)
    with pytest.raises(ValueError, match="seed"):
        pair_overlaps(*coll, seed=-1)
    with pytest.raises(ValueError, match="unknown backend"):
        pair_overlaps(*coll, backend="gpu")
    with pytest.raises(IndexError):
        pair_overlaps(*coll).get(0, 0)
