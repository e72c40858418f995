"""Cost against the cell count: ``dglgene graphs`` and ``dglgene embed`` on atlas-size files.

    python bench/atlas_scaling.py graphs --cells 1000 10000 50000 100000 --source simulated \\
        [dglgene graphs options, e.g. --top-k 20]
    python bench/atlas_scaling.py graphs --cells 500 2000 13576 50000 100000 --source kang
    python bench/atlas_scaling.py embed --cells 1000 10000 100000 --datasets 2
    python bench/atlas_scaling.py embed --cells 1000 --datasets 5 20 82

Inputs are written once under ``--cache`` (``dg.datasets.atlas``): ``simulated``,
``write_simulated_atlas(n, 20,000 genes, seed)``; ``kang``, Kang et al.'s 13,576 PBMCs
(control and stimulated, 14,053 genes) resampled to ``n`` cells by
``write_resampled_cells``. Each measurement runs the command line in a fresh process under
``/usr/bin/time -v`` on ``--threads`` threads (peak RSS is the whole process's high-water
mark) with the recipe's defaults unless ``--config`` is given:

- ``graphs``: wall seconds, peak RSS, and per gene the edges of the graph and the partners
  that pass the test before any top-k cut (the rule's density against the cells);
- ``embed``: seconds per epoch (from the plain progress lines: epoch 3 minus epoch 1,
  halved), the seconds of each stage (``run.json``), graph building apart, and peak RSS.

Prints one JSON line per measurement (appended to ``--out``) and, for ``graphs``, a plot of
edges per gene against cells (``--plot``; ``plot --out FILE --plot PNG`` draws every graphs
line of ``FILE``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from dglgene.data import GraphCollection
from dglgene.progress import PREFIX

EPOCHS = 3


def input_file(source: str, n_cells: int, cache: Path, seed: int = 0) -> Path:
    """The ``source`` file of ``n_cells`` cells, written on first use."""
    from dglgene.datasets.atlas import write_resampled_cells, write_simulated_atlas

    path = cache / f"{source}_{n_cells}_seed{seed}.h5ad"
    if path.exists():
        return path
    partial = cache / "partial" / path.name  # the file's stem names its dataset
    partial.parent.mkdir(parents=True, exist_ok=True)
    if source == "simulated":
        write_simulated_atlas(partial, n_cells, seed=seed)
    else:
        import anndata as ad

        from dglgene.datasets import load_kang_control, load_kang_stimulated

        kang = ad.concat([load_kang_control(), load_kang_stimulated()])
        kang.uns = {"dataset": "kang", "tissue": "blood", "species": "human"}
        write_resampled_cells(kang, partial, n_cells, seed=seed)
    partial.rename(path)
    return path


def timed(command: list[str], threads: int) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``command`` under ``/usr/bin/time -v``; its result and wall seconds and peak RSS."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                            env=env)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr[-3000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)[1])
    clock = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)",
                      result.stderr)[1]
    seconds = sum(float(part) * 60**i for i, part in enumerate(reversed(clock.split(":"))))
    return result, {"seconds": round(seconds, 1), "peak_rss_gb": round(rss / 1024**2, 2)}


def measure_graphs(args: argparse.Namespace, n_cells: int, out: Path) -> dict:
    path = input_file(args.source, n_cells, Path(args.cache))
    command = [sys.executable, "-m", "dglgene", "graphs", str(path), "--out", str(out),
               *args.graph_options]
    _, cost = timed(command, args.threads)
    graph = GraphCollection.load(out)[0]
    partners = graph.graph.ndata["significant_partners"].numpy()
    return {"command": "graphs", "source": args.source, "cells": n_cells,
            "genes_input": graph.info["n_genes_input"], **cost,
            "step_seconds": graph.info["step_seconds"], "top_k": graph.info["top_k"],
            "edges_per_gene": round(float(np.mean(graph.degree())), 1),
            "passing_partners_per_gene": round(float(np.mean(partners)), 1)}


def measure_embed(args: argparse.Namespace, n_cells: int, n_datasets: int, out: Path) -> dict:
    paths = [str(input_file(args.source, n_cells, Path(args.cache), seed=k))
             for k in range(n_datasets)]
    command = [sys.executable, "-m", "dglgene", "embed", *paths, "--out", str(out),
               "--epochs", str(EPOCHS), *(["--config", args.config] if args.config else [])]
    result, cost = timed(command, args.threads)
    elapsed = {}
    for line in result.stderr.splitlines():
        found = re.match(rf"{re.escape(PREFIX)}MuSe-GNN epochs \| (\d+)/{EPOCHS} .*\| "
                         r"([\d.:]+)( s)? elapsed", line)
        if found:
            value = found[2]
            elapsed[int(found[1])] = (float(value) if found[3] else sum(
                float(p) * 60**i for i, p in enumerate(reversed(value.split(":")))))
    run = json.loads((out / "run.json").read_text())
    return {"command": "embed", "source": args.source, "cells": n_cells,
            "datasets": n_datasets, **cost,
            "seconds_per_epoch": round((elapsed[EPOCHS] - elapsed[1]) / (EPOCHS - 1), 2),
            "stages": {k: round(v, 1) for k, v in run["seconds"].items()},
            "graph_steps": run["graph_seconds"]}


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for colour, source in enumerate(sorted({r["source"] for r in rows})):
        mine = sorted((r for r in rows if r["source"] == source), key=lambda r: r["cells"])
        cells = [r["cells"] for r in mine]
        ax.plot(cells, [r["passing_partners_per_gene"] for r in mine], "o--",
                color=f"C{colour}", label=f"{source}: p < 0.005")
        if mine[0]["top_k"] is not None:
            ax.plot(cells, [r["edges_per_gene"] for r in mine], "o-", color=f"C{colour}",
                    label=f"{source}: top-k {mine[0]['top_k']} of them")
    ax.set(xscale="log", yscale="log", xlabel="cells", ylabel="edges per gene (1,000 genes)",
           title="Co-expression graph density against cells")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["graphs", "embed", "plot"])
    parser.add_argument("--cells", type=int, nargs="+", default=[])
    parser.add_argument("--datasets", type=int, nargs="+", default=[2])
    parser.add_argument("--source", choices=["simulated", "kang"], default="simulated")
    parser.add_argument("--cache", default="out/atlas")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", help="an embed run's TOML (default: the defaults)")
    parser.add_argument("--out", help="append the JSON lines to this file")
    parser.add_argument("--plot", help="graphs: write edges per gene against cells here")
    args, graph_options = parser.parse_known_args()  # the rest: dglgene graphs options
    args.graph_options = [o for o in graph_options if o != "--"]
    if args.command == "plot":  # every graphs row of --out
        rows = [json.loads(line) for line in Path(args.out).read_text().splitlines()]
        plot([r for r in rows if r["command"] == "graphs"], args.plot)
        return
    rows = []
    for n_cells in args.cells:
        for n_datasets in (args.datasets if args.command == "embed" else [1]):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "out"
                row = (measure_graphs(args, n_cells, out) if args.command == "graphs"
                       else measure_embed(args, n_cells, n_datasets, out))
            print(json.dumps(row), flush=True)
            rows.append(row)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
    if args.plot and args.command == "graphs":
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
