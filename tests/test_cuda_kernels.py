"""The CUDA kernels against the C++ ones: bit-identical output for every input.

Everything but the build check needs ``dglgene._C_cuda`` and a visible CUDA device and is
skipped without them.
"""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np
import pytest
from graph_strategies import assert_identical, collections, columns, graph
from hypothesis import given
from hypothesis import strategies as st

from dglgene.ops import pair_overlaps
from dglgene.ops.pair_overlaps import cuda_device_count

BUILT = importlib.util.find_spec("dglgene._C_cuda") is not None
SEEDS = st.integers(0, 2**64 - 1)
CHUNK = 256  # threads per block in csrc/cuda/pair_overlaps.cu: genes are walked in chunks


def random_collection(sizes: list[int], vocab: int, density: float, seed: int) -> list:
    """Graphs of the given sizes over one vocabulary: crosses the CUDA kernels' chunks."""
    rng = np.random.default_rng(seed)
    graphs = []
    for n in sizes:
        ids = rng.choice(vocab, size=n, replace=False)
        m = int(density * n * n)
        edges = list(zip(rng.integers(0, n, m).tolist(), rng.integers(0, n, m).tolist()))
        graphs.append(graph(n, edges, ids.tolist()))
    return columns(*graphs)


EMPTY = graph(0, [], [])
ISOLATED = graph(3, [], [5, 6, 7])
# self-loops on 0 and 1, a duplicate edge 1 -> 0, gene 7 without neighbours
LINKED = graph(3, [(0, 0), (0, 1), (1, 0), (1, 1), (1, 0)], [7, 6, 5])
STRANGER = graph(2, [(0, 1), (1, 0)], [99, 98])

EDGE_CASES = {
    "single graph": columns(LINKED),
    "empty graphs": columns(EMPTY, EMPTY, EMPTY),
    "empty and non-empty": columns(EMPTY, LINKED, EMPTY),
    "isolated genes": columns(ISOLATED, LINKED),
    "no common genes": columns(LINKED, STRANGER),
    "mixed": columns(EMPTY, ISOLATED, LINKED, STRANGER),
}


def test_cuda_module_builds_and_counts_devices() -> None:
    if not BUILT:
        pytest.skip("dglgene._C_cuda is not built (needs nvcc; DGLGENE_CUDA=1 pip install -e .)")
    module = importlib.import_module("dglgene._C_cuda")
    count = module.device_count()
    assert isinstance(count, int) and count >= 0
    assert cuda_device_count() == count


@pytest.mark.gpu
@pytest.mark.skipif(not BUILT or cuda_device_count() == 0,
                    reason="needs dglgene._C_cuda and a visible CUDA device")
class TestCudaEqualsCpp:
    @given(collections(), SEEDS)
    def test_random_collections(self, coll, seed) -> None:
        assert_identical(pair_overlaps(*coll, seed=seed, backend="cuda"),
                         pair_overlaps(*coll, seed=seed, backend="cpp"))

    @pytest.mark.parametrize("case", EDGE_CASES)
    def test_edge_cases(self, case: str) -> None:
        coll = EDGE_CASES[case]
        assert_identical(pair_overlaps(*coll, seed=7, backend="cuda"),
                         pair_overlaps(*coll, seed=7, backend="cpp"))

    @pytest.mark.parametrize("sizes", [
        [CHUNK - 1, CHUNK, CHUNK + 1],
        [0, 1, 2 * CHUNK, 3 * CHUNK + 17],
        [1500, 1200, 700, 300],
    ])
    @pytest.mark.parametrize("vocab_factor", [1.2, 4.0])
    def test_graphs_larger_than_a_block(self, sizes: list[int], vocab_factor: float) -> None:
        coll = random_collection(sizes, int(vocab_factor * max(sizes)) + 1, 0.02, seed=len(sizes))
        assert_identical(pair_overlaps(*coll, seed=2**64 - 1, backend="cuda"),
                         pair_overlaps(*coll, seed=2**64 - 1, backend="cpp"))

    def test_bad_input_raises_value_error(self) -> None:
        bad = ([np.array([0, 2, 1, 3])], [np.array([0, 1, 2])], [np.array([1, 2, 3])])
        with pytest.raises(ValueError, match="non-decreasing"):
            pair_overlaps(*bad, backend="cuda")
        # Called directly, the module validates on its own instead of reading out of bounds.
        module = importlib.import_module("dglgene._C_cuda")
        with pytest.raises(ValueError, match="non-decreasing"):
            module.pair_overlaps(*bad)
        with pytest.raises(ValueError, match="appears twice"):
            module.pair_overlaps([np.zeros(3, np.int64)], [np.zeros(0, np.int64)],
                                 [np.array([4, 4])])
