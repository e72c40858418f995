"""An scBERT-style encoder pre-trained on every built-in real human cell, for the PBMC GRN
benchmarks; its checkpoint feeds ``dglgene bench-grn --encoder-checkpoint`` and
``dglgene grn --checkpoint`` as a released one would.

    python bench/grn_corpus.py --out out/grn_corpus --epochs 6 --dim 64 --depth 2

Vocabulary: every gene of the benchmarks named by ``--data`` (default ``collectri-pbmc``:
Kang control and PBMC 3k, TFs + 500 and TFs + 1000), sorted. Cells: every built-in real
set (:data:`dglgene.datasets.collectri.DATASETS`) over those genes, with the values the
benchmarks use (:func:`~dglgene.datasets.collectri.real_cells`; 0 where a set lacks a
gene), so that the encoder sees in pre-training the tokens it is given in the benchmark.
Masked-value pre-training as ``dglgene pretrain`` (scBERT's masking, seed 0, 10 % of the
cells held out with fixed masks, the frequency baseline beside them). Writes
``scbert_pretrain.pth`` (scBERT's layout plus ``genes`` and ``config``),
``pretrain_curve.png``, ``pretrain_history.csv`` and ``genes.txt``; the training state
goes to ``state.pt`` after every epoch, and a rerun resumes from it.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

from dglgene.benchmarks import benchmark_datasets
from dglgene.datasets.collectri import real_cells
from dglgene.grn.encoder import cells_to_anndata
from dglgene.grn.pretraining import run_pretrain
from dglgene.train.pretrain import SMALL_SCBERT_CONFIG


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", nargs="+", default=["collectri-pbmc"])
    parser.add_argument("--epochs", type=int, default=6)
    for name in ("dim", "depth", "heads", "dim_head"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int,
                            default=SMALL_SCBERT_CONFIG[name])
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    genes = sorted(set().union(*(d.genes for d in benchmark_datasets(args.data).values())))
    (out / "genes.txt").write_text("\n".join(genes) + "\n")
    cells = real_cells(genes)
    print(f"corpus: {sum(f.shape[1] for f in cells.values())} cells from {len(cells)} sets "
          f"x {len(genes)} genes", flush=True)
    config = {name: getattr(args, name) for name in ("dim", "depth", "heads", "dim_head")}
    start = time.perf_counter()
    with warnings.catch_warnings():  # log values are binned as counts, as scBERT does
        warnings.simplefilter("ignore", UserWarning)
        summary = run_pretrain(cells_to_anndata(list(cells.values()), genes), out,
                               genes=genes, config=config, epochs=args.epochs, seed=0,
                               checkpoint=out / "state.pt", resume=True)
    summary.update(config=config, wall_seconds=time.perf_counter() - start)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
