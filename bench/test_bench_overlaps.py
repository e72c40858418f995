"""Benchmarks of :func:`dglgene.ops.pair_overlaps` against the two baselines.

Run ``python -m pytest bench --benchmark-json=bench/results/overlaps.json`` and then
``python bench/report.py bench/results/overlaps.json`` for the markdown tables.
Every benchmark stores ``method``, ``n_graphs``, ``n_genes``, ``n_pairs`` (the pairs it
timed) and the workload's share stats in ``extra_info``; ``report.py`` normalises per pair.
"""

from __future__ import annotations

import os
import random
import time
from itertools import combinations

import numpy as np
import pytest
from baselines import (
    build_networkx_graphs,
    networkx_threadpool_overlaps,
    prepare_scipy,
    scipy_sparse_overlaps,
)
from pytest_benchmark.fixture import BenchmarkFixture
from workloads import Collection, edge_density, make_collection, share_stats

from dglgene.ops import pair_overlaps

pytest.importorskip("dglgene._C", reason="build the C++ kernel first: pip install -e .")

T_MAIN, GENES_MAIN = 82, 1000
NX_PAIRS = 100  # ~10 ms a pair: the set-based baseline times a fixed random subset
NX_WORKERS = 2
SCIPY_BUDGET_S = 30.0  # time the SciPy baseline on all pairs when a round fits in this


def all_pairs(n_graphs: int) -> list[tuple[int, int]]:
    """Every (i, j), i < j, in the kernel's order."""
    return list(combinations(range(n_graphs), 2))


def describe(benchmark: BenchmarkFixture, method: str, collection: Collection, n_pairs: int,
             **extra: object) -> None:
    """Record the workload next to the timings so the report needs nothing else."""
    stats = share_stats(collection[2])
    benchmark.extra_info.update(
        method=method, n_graphs=len(collection[2]), n_genes=len(collection[2][0]),
        n_pairs=n_pairs, share_min=stats.min, share_median=stats.median,
        share_max=stats.max, edge_density=edge_density(collection[0]),
        cpu_cores=len(os.sched_getaffinity(0)), **extra)


def run_cpp(benchmark: BenchmarkFixture, collection: Collection, rounds: int,
            num_threads: int | None = None) -> None:
    """Time the kernel on all pairs; the warm-up round takes the first touch of the output."""
    n_pairs = len(collection[2]) * (len(collection[2]) - 1) // 2
    describe(benchmark, "cpp", collection, n_pairs, num_threads=num_threads or 0)
    result = benchmark.pedantic(
        pair_overlaps, args=collection,
        kwargs={"backend": "cpp", "num_threads": num_threads},
        rounds=rounds, iterations=1, warmup_rounds=1)
    assert len(result) == n_pairs


# --- the baselines must match the kernel before their timings mean anything ---------------


def assert_draws_valid(collection: Collection, graph: int, genes: np.ndarray,
                       drawn: np.ndarray) -> None:
    ptr, idx = collection[0][graph], collection[1][graph]
    for u, v in zip(genes.tolist(), drawn.tolist()):
        candidates = set(idx[ptr[u]:ptr[u + 1]].tolist()) - {u}
        assert v in candidates if candidates else v == u


def test_baselines_agree_with_kernel() -> None:
    # Sparse enough that some genes have no neighbour but themselves (they draw themselves).
    collection = make_collection(8, 150, vocab=1000, density=0.02, seed=1)
    pairs = all_pairs(8)
    kernel = pair_overlaps(*collection, backend="cpp")
    by_method = {
        "networkx": networkx_threadpool_overlaps(build_networkx_graphs(collection), pairs),
        "scipy": scipy_sparse_overlaps(prepare_scipy(collection), pairs),
    }
    for method, results in by_method.items():
        for (i, j), got in zip(pairs, results):
            want = kernel.get(i, j)
            for field in ("common_i", "common_j", "diff_i", "diff_j"):
                np.testing.assert_array_equal(getattr(got, field), getattr(want, field),
                                              err_msg=f"{method} {field} ({i}, {j})")
            np.testing.assert_allclose(got.weights, want.weights, rtol=1e-12,
                                       err_msg=f"{method} weights ({i}, {j})")
            assert_draws_valid(collection, i, got.diff_i, got.diff_i_neighbor)
            assert_draws_valid(collection, j, got.diff_j, got.diff_j_neighbor)


# --- all pairs of the 82-graph workload: kernel vs baselines ------------------------------


@pytest.fixture(scope="module")
def main_collection() -> Collection:
    return make_collection(T_MAIN, GENES_MAIN)


@pytest.mark.benchmark(group="all-pairs-82")
def test_all_pairs_cpp(benchmark: BenchmarkFixture, main_collection: Collection) -> None:
    run_cpp(benchmark, main_collection, rounds=7)


@pytest.mark.benchmark(group="all-pairs-82")
def test_all_pairs_scipy(benchmark: BenchmarkFixture, main_collection: Collection) -> None:
    start = time.perf_counter()
    graphs = prepare_scipy(main_collection)
    setup_s = time.perf_counter() - start
    pairs = all_pairs(T_MAIN)
    # A short probe decides between all pairs and a random subset that fits the budget.
    probe = pairs[::max(1, len(pairs) // 100)]
    start = time.perf_counter()
    scipy_sparse_overlaps(graphs, probe)
    per_pair_s = (time.perf_counter() - start) / len(probe)
    if per_pair_s * len(pairs) > SCIPY_BUDGET_S:
        pairs = random.Random(0).sample(pairs, int(SCIPY_BUDGET_S / per_pair_s))
    describe(benchmark, "scipy", main_collection, len(pairs), setup_s=setup_s)
    result = benchmark.pedantic(scipy_sparse_overlaps, args=(graphs, pairs),
                                rounds=3, iterations=1)
    assert len(result) == len(pairs)


@pytest.mark.benchmark(group="all-pairs-82")
def test_all_pairs_networkx(benchmark: BenchmarkFixture, main_collection: Collection) -> None:
    start = time.perf_counter()
    graphs = build_networkx_graphs(main_collection)
    setup_s = time.perf_counter() - start
    pairs = random.Random(0).sample(all_pairs(T_MAIN), NX_PAIRS)
    describe(benchmark, "networkx", main_collection, len(pairs), setup_s=setup_s,
             workers=NX_WORKERS)
    result = benchmark.pedantic(networkx_threadpool_overlaps, args=(graphs, pairs),
                                kwargs={"workers": NX_WORKERS}, rounds=3, iterations=1)
    assert len(result) == len(pairs)


# --- how the kernel scales ----------------------------------------------------------------


@pytest.mark.benchmark(group="threads")
@pytest.mark.parametrize("num_threads", [1, None], ids=["1-thread", "default-threads"])
def test_threads_cpp(benchmark: BenchmarkFixture, main_collection: Collection,
                     num_threads: int | None) -> None:
    run_cpp(benchmark, main_collection, rounds=5, num_threads=num_threads)


@pytest.mark.benchmark(group="scale-T")
@pytest.mark.parametrize("n_graphs", [10, 41, 82, 164])
def test_scale_graphs_cpp(benchmark: BenchmarkFixture, n_graphs: int) -> None:
    run_cpp(benchmark, make_collection(n_graphs, GENES_MAIN), rounds=5 if n_graphs <= 82 else 3)


@pytest.mark.benchmark(group="scale-genes")
@pytest.mark.parametrize("n_genes", [1000, 2000, 3000])
def test_scale_genes_cpp(benchmark: BenchmarkFixture, n_genes: int) -> None:
    run_cpp(benchmark, make_collection(T_MAIN, n_genes), rounds=5 if n_genes <= 1000 else 3)
