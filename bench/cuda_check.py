"""CUDA against C++ pair overlaps on the 82-graph benchmark workload: exact match, then speed.

For a machine with a CUDA device::

    .venv/bin/python bench/cuda_check.py [--build] [--graphs 82] [--genes 1000] [--repeats 5]

``--build`` first rebuilds the package with ``DGLGENE_CUDA=1`` when ``dglgene._C_cuda`` is
missing. Exit status: 0 when the outputs are identical, 1 on a mismatch, 2 when the CUDA
backend cannot run here.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from workloads import make_collection  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent


def build_cuda_module() -> None:
    print("dglgene._C_cuda is missing: rebuilding with DGLGENE_CUDA=1", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                    "-e", str(ROOT)], env={**os.environ, "DGLGENE_CUDA": "1"}, check=True)
    importlib.invalidate_caches()


def mismatches(a: object, b: object) -> list[str]:
    """Names of the packed arrays that differ in dtype, shape or bytes."""
    names = ["pairs", "common_offsets", "diff_i_offsets", "diff_j_offsets"]
    pairs = [(name, getattr(a, name), getattr(b, name)) for name in names]
    pairs += [(key, a.arrays[key], b.arrays[key]) for key in a.arrays]
    return [name for name, x, y in pairs
            if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes()]


def timed(run, repeats: int) -> list[float]:
    run()  # warm-up: CUDA context creation, first-touch allocations
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="store_true",
                        help="rebuild with DGLGENE_CUDA=1 if dglgene._C_cuda is missing")
    parser.add_argument("--graphs", type=int, default=82)
    parser.add_argument("--genes", type=int, default=1000)
    parser.add_argument("--vocab", type=int, default=20_000)
    parser.add_argument("--density", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if importlib.util.find_spec("dglgene._C_cuda") is None and args.build:
        build_cuda_module()
    if importlib.util.find_spec("dglgene._C_cuda") is None:
        print("dglgene._C_cuda is not built (try --build)", file=sys.stderr)
        return 2
    from dglgene import _C
    from dglgene.ops import pair_overlaps
    from dglgene.ops.pair_overlaps import cuda_device_count

    if cuda_device_count() == 0:
        print("dglgene._C_cuda is built but sees no CUDA device", file=sys.stderr)
        return 2

    coll = make_collection(args.graphs, args.genes, args.vocab, args.density, args.seed)
    cpp = pair_overlaps(*coll, seed=args.seed, backend="cpp")
    cuda = pair_overlaps(*coll, seed=args.seed, backend="cuda")
    edges = sum(len(x) for x in coll[1])
    print(f"workload: {args.graphs} graphs x {args.genes} genes, {edges} edges, {len(cpp)} pairs, "
          f"{len(cpp.arrays['common_i'])} common / {len(cpp.arrays['diff_i'])} + "
          f"{len(cpp.arrays['diff_j'])} different genes")
    bad = mismatches(cuda, cpp)
    if bad:
        print(f"MISMATCH between cuda and cpp in: {', '.join(bad)}", file=sys.stderr)
        return 1
    print("cuda output is identical to cpp")

    medians = {}
    print(f"\n{'backend':<8} {'median ms':>10}   runs ms ({args.repeats}, after a warm-up)")
    for backend in ("cpp", "cuda"):
        times = timed(lambda b=backend: pair_overlaps(*coll, seed=args.seed, backend=b),
                      args.repeats)
        medians[backend] = statistics.median(times)
        runs = " ".join(f"{1e3 * t:.1f}" for t in times)
        print(f"{backend:<8} {1e3 * medians[backend]:>10.1f}   {runs}")
    print(f"\ncpp / cuda = {medians['cpp'] / medians['cuda']:.2f}x "
          f"(cpp with {_C.max_threads()} OpenMP threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
