"""Peak memory and time of one MuSe-GNN training step, dense against sparse, by gene count.

    python bench/sparse_memory.py --genes 1000 3000 5000 10000

Each (genes, path) runs in a fresh subprocess on ``--threads`` threads (default 1; peak RSS
is a high-water mark):
two graphs of ``genes`` genes (half of them shared, 5 random edges per gene each way,
16-dimensional features), MuSe-GNN's encoder (dim 32), the similarity and InfoNCE losses,
and the reconstruction either *dense* (the faithful default: the MLP decoder over
:math:`ZZ^\\top`, BCE over all :math:`n^2` pairs) or *sparse* (the bilinear pair decoder,
``ReconstructionBCE(negative_ratio=1)``: every edge and as many drawn pairs). It times one
step (forward, backward, Adam) after a warm-up step and reports the peak RSS of the whole
process (``VmHWM``) and that of the same process before the model was built. Prints one
JSON line per run, then a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def _peak_mib() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def one_step(n: int, path: str, threads: int = 1) -> dict:
    import numpy as np
    import torch

    from dglgene.datasets.random_graphs import random_gene_graphs
    from dglgene.losses import ReconstructionBCE
    from dglgene.models import MuSeGNN
    from dglgene.train.fit import edge_targets

    torch.set_num_threads(threads)
    collection = random_gene_graphs(2, n, seed=0)
    overlaps, targets = collection.overlaps(seed=0), edge_targets(collection, "cpu")
    before = _peak_mib()
    sparse = path == "sparse"
    recon = ReconstructionBCE(negative_ratio=1.0) if sparse else ReconstructionBCE()
    model = MuSeGNN(collection, decoder="bilinear" if sparse else "mlp",
                    losses={recon: 1.0, "sim": 10.0, "nce": 1.0})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    seconds = []
    for _ in range(2):  # the first step also allocates Adam's state
        start = time.perf_counter()
        components = model.training_step(collection, 0, 1, overlaps, targets[0], rng, 100)
        optimizer.zero_grad()
        model.loss.total(components).backward()
        optimizer.step()
        seconds.append(time.perf_counter() - start)
    return {"genes": n, "path": path, "edges": len(targets[0].src),
            "step_s": round(seconds[-1], 3), "peak_mib": round(_peak_mib(), 1),
            "before_model_mib": round(before, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, nargs="+", default=[1000, 3000, 5000, 10000])
    parser.add_argument("--paths", nargs="+", default=["dense", "sparse"],
                        choices=["dense", "sparse"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--one", nargs=2, metavar=("GENES", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_step(int(args.one[0]), args.one[1], args.threads)))
        return
    rows = []
    for n in args.genes:
        for path in args.paths:
            out = subprocess.run([sys.executable, __file__, "--one", str(n), path,
                                  "--threads", str(args.threads)],
                                 capture_output=True, text=True, check=True,
                                 env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    print("| genes | edges | path | one step (s) | peak RSS (MiB) | above the data (MiB) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['genes']:,} | {r['edges']:,} | {r['path']} | {r['step_s']} | "
              f"{r['peak_mib']:,.0f} | {r['peak_mib'] - r['before_model_mib']:,.0f} |")


if __name__ == "__main__":
    main()
