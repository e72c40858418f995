"""Node features whose width does not grow with the cells, on the simulated Table 1.

    python bench/feature_width.py --reductions cells pca random pseudobulk --width 32 \\
        --seeds 0 1 2 --epochs 100 [--top-k 20] --out out/features/simulated.jsonl

Builds the simulated collection (``simulate_collection(seed=0)``: six datasets, planted
modules) once per feature reduction (``GraphRecipe.reduction`` at ``n_components=--width``;
``cells``: one column per cell), trains MuSe-GNN for each seed and prints one JSON line per
(reduction, seed): the six Table 1 metrics and the planted-module scores of MuSe-GNN and of
per-dataset PCA, and the training seconds. The real PBMC collection's side is
``bench/pbmc_function.py --reduction ...`` on the development GO terms.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from dglgene.data import GraphRecipe, build_collection
from dglgene.datasets import simulate_collection
from dglgene.embed import collection_metrics
from dglgene.eval.planted_modules import planted_module_scores
from dglgene.models import MuSeGNN, pca_embedding
from dglgene.train import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reductions", nargs="+", default=["cells", "pca", "random",
                                                            "pseudobulk"])
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--top-k", type=int, help="GraphRecipe.top_k (default: none)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", help="append the JSON lines to this file")
    parser.add_argument("--plot", nargs=3, metavar=("SIMULATED", "PBMC", "PNG"),
                        help="draw the lines of SIMULATED (this script's) and PBMC "
                             "(pbmc_function.py's) to PNG instead of running")
    args = parser.parse_args()
    if args.plot:
        plot(*args.plot)
        return
    sim = simulate_collection(seed=0)
    for reduction in args.reductions:
        recipe = (GraphRecipe(top_k=args.top_k) if reduction == "cells" else
                  GraphRecipe(n_components=args.width, reduction=reduction, top_k=args.top_k))
        collection = build_collection(sim.adatas, recipe)
        for seed in args.seeds:
            start = time.perf_counter()
            model = MuSeGNN(collection, seed=seed)
            fit(model, collection, epochs=args.epochs, seed=seed)
            seconds = time.perf_counter() - start
            embeddings = {"MuSe-GNN": model.embed(collection),
                          "PCA": pca_embedding(collection, seed=seed)}
            scores = {name: {**collection_metrics(emb, collection, seed),
                             **planted_module_scores(emb.X, emb.obs["gene"],
                                                     emb.obs["dataset"], sim.modules)}
                      for name, emb in embeddings.items()}
            width = collection[0].graph.ndata["feat"].shape[1]
            line = json.dumps({
                "reduction": reduction, "top_k": args.top_k, "seed": seed,
                "width": width if reduction != "cells" else "cells",
                "epochs": args.epochs, "train_seconds": round(seconds, 1),
                **{f"{name} | {key}": round(float(value), 4) for name, table in scores.items()
                   for key, value in table.items()}})
            print(line, flush=True)
            if args.out:
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                with open(args.out, "a") as f:
                    f.write(line + "\n")


def plot(simulated: str, pbmc: str, path: str) -> None:
    """Simulated integration (mean ± sd over seeds) and PBMC development-term AUROC by
    feature reduction, top-k 20 graphs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    sim = pd.DataFrame([json.loads(line) for line in Path(simulated).read_text().splitlines()])
    sim = sim[sim["top_k"] == 20]
    sim["features"] = (sim["reduction"] + " " + sim["width"].astype(str)).replace(
        {"cells cells": "whole profile"})
    real = pd.DataFrame([json.loads(line) for line in Path(pbmc).read_text().splitlines()])
    real["features"] = real["reduction"] + " " + real["n_components"].astype(str)
    real["features"] = real["features"].replace({"pca 0": "whole profile"})
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    stats = sim.groupby("features")[["MuSe-GNN | ilisi", "MuSe-GNN | same_gene_hit_rate"]]
    means, sds = stats.mean(), stats.std()
    means.plot.bar(yerr=sds, ax=axes[0], rot=0, capsize=3)
    axes[0].set(title="simulated collection, 3 seeds", ylabel="score", xlabel="")
    axes[0].legend(["iLISI", "same-gene hit rate"], fontsize=8)
    auroc = real.set_index("features")["auroc"].apply(lambda a: a["MuSe-GNN | unified"])
    floor = real["auroc"].iloc[0]["degree + datasets + expression | unified"]
    auroc.plot.bar(ax=axes[1], rot=0, color="C2", label="MuSe-GNN, unified")
    axes[1].axhline(floor, color="k", ls="--", lw=1, label="degree + datasets + expression")
    axes[1].set(title="PBMC GO-BP development terms, seed 0", ylabel="mean AUROC",
                ylim=(0.55, 0.61), xlabel="")
    axes[1].legend(fontsize=8)
    fig.suptitle("Node features by reduction (top-k 20 graphs, 100 epochs)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
