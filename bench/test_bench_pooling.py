"""Attentive pooling over many cells: streamed in chunks against materialising all encodings.

Group ``pooling``: scTransNet's gene representation pools the encoder's last-layer encodings
over cells (:class:`~dglgene.nn.attentive_pooling.AttentivePooling`). Two ways, same result:

- ``chunked``: ``pool.pool_chunks(iter_encodings(model, tokens, BATCH))``, one chunk of
  ``BATCH`` cells in memory at a time (online softmax);
- ``naive``: ``pool(encode_cells(model, tokens, BATCH))``, the whole cells x genes x dim
  tensor first (plus the pooling's intermediates of that size);
- ``stored``: what scTransNet runs (``scbert_cell_encodings`` then ``PooledEncodings`` in
  evaluation): each chunk of encodings appended to a
  :class:`~dglgene.nn.cell_encodings.CellEncodings` file, then pooled from it in chunks.

Workload: ``CELLS`` random-token cells x ``GENES`` genes through the demo-size encoder of
``test_bench_performer.py`` (dim 32, depth 2, 4 heads x 8), no gradients. Time: median of
in-process rounds. Peak memory, honestly: each variant runs once in a fresh subprocess
(``python bench/test_bench_pooling.py VARIANT``, one thread) that reports its peak RSS
(``VmHWM``); a third subprocess that only imports, builds the model and the tokens gives
the baseline, subtracted from both. ``extra_info`` holds ``peak_mib`` (above
the baseline), ``baseline_mib``, ``encodings_mib`` (the size of the full tensor) and, from
the same run, ``memory_ratio_naive_over_chunked``; ``bench/report.py`` adds the time ratio
from the medians of the same JSON.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import torch
from pytest_benchmark.fixture import BenchmarkFixture

from dglgene.nn.attentive_pooling import AttentivePooling
from dglgene.nn.cell_encodings import CellEncodings
from dglgene.nn.performer import ScBertEncoder, encode_cells, iter_encodings

CELLS, GENES, BATCH = 1_024, 1_000, 16
CONFIG = dict(num_tokens=7, dim=32, depth=2, heads=4, dim_head=8, max_seq_len=GENES + 1)
VARIANTS = ("chunked", "naive", "stored")
HERE = Path(__file__).resolve()


def setup() -> tuple[ScBertEncoder, AttentivePooling, torch.Tensor]:
    torch.manual_seed(0)
    model = ScBertEncoder(**CONFIG).eval()
    pool = AttentivePooling(CONFIG["dim"]).eval()
    tokens = torch.randint(0, 6, (CELLS, GENES), generator=torch.Generator().manual_seed(0))
    return model, pool, tokens


def pool_cells(variant: str, model: ScBertEncoder, pool: AttentivePooling,
               tokens: torch.Tensor) -> torch.Tensor:
    """Gene representations (genes x dim) by ``variant``; inference, so no autograd graph."""
    with torch.no_grad():
        if variant == "chunked":
            return pool.pool_chunks(iter_encodings(model, tokens, BATCH))
        if variant == "naive":
            return pool(encode_cells(model, tokens, BATCH))
        if variant == "stored":
            store = CellEncodings(GENES, CONFIG["dim"])
            for chunk in iter_encodings(model, tokens, BATCH):
                store.append(chunk)
            return pool.pool_chunks(store.chunks(BATCH))
    raise ValueError(f"unknown variant {variant!r}")


def peak_rss_mib() -> float:
    """This process's peak resident set size, MiB.

    Linux's ``VmHWM`` belongs to the memory image since ``exec``; ``ru_maxrss`` would not do
    here, because exec carries over the high-water mark of the image it replaces, i.e. the
    forked copy of the (large) pytest process.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@cache
def subprocess_peak_mib(variant: str) -> float:
    """Peak RSS of a fresh interpreter that runs ``variant`` (or only the setup)."""
    # One thread: memory barely depends on it, and two OpenMP threads on a busy 2-core
    # machine spin at barriers (10x slower, measured) while a neighbour holds a core.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(HERE), variant], capture_output=True, text=True,
                          check=True, timeout=300, env=env)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_mib"])


def test_variants_agree() -> None:
    model, pool, tokens = setup()
    few = tokens[:40]
    naive = pool_cells("naive", model, pool, few)
    for variant in ("chunked", "stored"):
        torch.testing.assert_close(pool_cells(variant, model, pool, few), naive, atol=1e-5,
                                   rtol=1e-4)


@pytest.mark.benchmark(group="pooling")
@pytest.mark.parametrize("variant", VARIANTS)
def test_pooling_memory_and_time(benchmark: BenchmarkFixture, variant: str) -> None:
    model, pool, tokens = setup()
    out = benchmark.pedantic(pool_cells, args=(variant, model, pool, tokens), rounds=3,
                             iterations=1, warmup_rounds=0)
    assert out.shape == (GENES, CONFIG["dim"])
    baseline = subprocess_peak_mib("setup")
    peaks = {v: subprocess_peak_mib(v) - baseline for v in VARIANTS}  # cached: one run each
    encodings_mib = CELLS * GENES * CONFIG["dim"] * 4 / 2**20
    benchmark.extra_info.update(
        variant=variant, cells=CELLS, genes=GENES, batch_size=BATCH, config=CONFIG,
        threads=torch.get_num_threads(), peak_mib=peaks[variant], baseline_mib=baseline,
        encodings_mib=encodings_mib,
        memory_ratio_naive_over_chunked=peaks["naive"] / peaks["chunked"],
        memory_ratio_naive_over_stored=peaks["naive"] / peaks["stored"])
    # The naive way holds at least the full tensor. Streaming's peak is one chunk's forward
    # pass plus library workspaces (~110 MiB, whatever the number of cells).
    assert peaks["naive"] > encodings_mib
    assert max(peaks["chunked"], peaks["stored"]) < 0.5 * peaks["naive"]


def main() -> None:
    variant = sys.argv[1]
    model, pool, tokens = setup()
    if variant != "setup":
        pool_cells(variant, model, pool, tokens)
    print(json.dumps({"variant": variant, "peak_mib": peak_rss_mib()}))


if __name__ == "__main__":
    main()
