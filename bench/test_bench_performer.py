"""Throughput of ScBertEncoder (FAVOR+ Performer) encoding cells, in cells per second.

Group ``performer``: ``encode_cells`` (no gradients, eval mode) on 1,000-gene cells at a demo
size (dim 32, depth 2, 4 heads x 8) and at scBERT's size (dim 200, depth 6, 10 heads x 64,
266 random features; 4 cells, 2 rounds). ``extra_info`` holds the workload, the config and
``cells_per_s`` (cells / mean round time). Attention is linear in genes, so a full scBERT cell
(16,907 positions) costs about 17x a 1,000-gene one.
"""

from __future__ import annotations

import pytest
import torch
from pytest_benchmark.fixture import BenchmarkFixture

from dglgene.nn.performer import SCBERT_CONFIG, ScBertEncoder, encode_cells

GENES = 1_000
CASES = {
    "demo": (dict(num_tokens=7, dim=32, depth=2, heads=4, dim_head=8), 32, 4, 3),
    "scbert": ({**SCBERT_CONFIG}, 4, 4, 2),
}


@pytest.mark.benchmark(group="performer")
@pytest.mark.parametrize("size", list(CASES))
def test_encoder_throughput(benchmark: BenchmarkFixture, size: str) -> None:
    config, cells, batch_size, rounds = CASES[size]
    config = {**config, "max_seq_len": GENES + 1}
    torch.manual_seed(0)
    model = ScBertEncoder(**config).eval()
    tokens = torch.randint(0, 7, (cells, GENES), generator=torch.Generator().manual_seed(0))
    out = benchmark.pedantic(encode_cells, args=(model, tokens, batch_size), rounds=rounds,
                             iterations=1, warmup_rounds=1)
    assert out.shape == (cells, GENES, config["dim"])
    benchmark.extra_info.update(
        size=size, cells=cells, genes=GENES, batch_size=batch_size, config=config,
        nb_features=model.config["nb_features"], threads=torch.get_num_threads(),
        cells_per_s=cells / benchmark.stats.stats.mean)
