"""One MuSe-GNN integration factor at a time: train one variant, print its metrics as JSON.

    python bench/muse_factors.py --data real --epochs 30 --group-by modality --sim 10

``--data``: ``real`` (the demo collection), ``real-core N`` style via ``--shared-genes N``
(joint gene selection of the real sets), or ``simulated`` (planted modules; adds the
module purity and same-gene hit rate). Prints the six metrics, the planted scores, the
training time and the last epoch's mean loss components; ``--out FILE`` appends the line.

Several budgets (``--epochs 30 100 300 1000``) train one run and score it at each: the run
resumes from its checkpoint, which continues it exactly (rates and random states included),
so each line equals an uninterrupted run of that many epochs. ``--go`` adds the mean
GO-BP AUROC of the unified embedding on the development terms
(:func:`dglgene.eval.evaluate_gene_function`); ``--figures
DIR`` writes the UMAP and the enrichment of each budget's embedding.
"""

from __future__ import annotations

import argparse
import inspect
import json
import tempfile
import time
from pathlib import Path

from dglgene.data import build_collection
from dglgene.datasets import simulate_collection
from dglgene.demo import demo_collection
from dglgene.embed import collection_metrics, write_embedding_outputs
from dglgene.eval import (
    evaluate_gene_function,
    planted_module_scores,
    same_gene_hit_rate,
    summarize_function,
)
from dglgene.models import MuSeGNN
from dglgene.models.muse_gnn import MUSE_LOSSES
from dglgene.train import TrainConfig, fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["real", "simulated"], default="real")
    parser.add_argument("--epochs", type=int, nargs="+", default=[30],
                        help="one or more budgets, scored along one run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--group-by", default="auto",
                        help="'auto', or comma-separated GeneGraph attributes ('' = one group)")
    parser.add_argument("--sim", type=float, default=MUSE_LOSSES["sim"],
                        help="weight of the similarity loss")
    parser.add_argument("--nce", type=float, default=MUSE_LOSSES["nce"],
                        help="weight of InfoNCE")
    parser.add_argument("--lr-encoder", type=float, default=TrainConfig.lr_encoder)
    parser.add_argument("--shared-genes", type=int,
                        default=inspect.signature(demo_collection).parameters["shared_genes"].default,
                        help="joint gene core (real)")
    parser.add_argument("--go", action="store_true",
                        help="add the GO-BP development-term mean AUROC")
    parser.add_argument("--out", help="append the JSON lines to this file")
    parser.add_argument("--figures", metavar="DIR",
                        help="write each budget's embedding outputs (umap.png, enrichment, "
                             "gene_embeddings.h5ad) to DIR/epochs_N, as `dglgene embed` does")
    args = parser.parse_args()

    modules = None
    if args.data == "simulated":
        sim = simulate_collection(seed=0)
        collection, modules = build_collection(sim.adatas, n_components=32), sim.modules
    else:
        collection = demo_collection(shared_genes=args.shared_genes)
    group_by = args.group_by if args.group_by == "auto" else tuple(
        key for key in args.group_by.split(",") if key)
    model = MuSeGNN(collection, group_by=group_by, seed=args.seed,
                    losses={**MUSE_LOSSES, "sim": args.sim, "nce": args.nce})
    seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "run.pt"
        for epochs in sorted(args.epochs):
            start = time.perf_counter()
            history = fit(model, collection, epochs=epochs, seed=args.seed,
                          lr_encoder=args.lr_encoder, checkpoint=checkpoint, resume=True)
            seconds += time.perf_counter() - start
            report(args, epochs, model, collection, modules, history, seconds)


def report(args: argparse.Namespace, epochs: int, model: MuSeGNN, collection,
           modules, history, seconds: float) -> None:
    """Print (and with ``--out`` append) the JSON line of one budget."""
    emb = model.embed(collection)
    if args.figures:
        write_embedding_outputs(Path(args.figures) / f"epochs_{epochs}", emb.copy(), history,
                                args.seed)
    result = {**vars(args), "epochs": epochs, **collection_metrics(emb, collection, args.seed),
              "train_seconds": round(seconds, 1)}
    if modules is not None:
        result.update(planted_module_scores(emb.X, emb.obs["gene"], emb.obs["dataset"],
                                            modules))
    else:
        result["same_gene_hit_rate"] = same_gene_hit_rate(emb.X, emb.obs["gene"],
                                                          emb.obs["dataset"])
    if args.go:
        _, scores = evaluate_gene_function({"model": emb}, collection, seed=args.seed,
                                           views=("unified",), floors=False,
                                           splits=("dev",))
        summary = summarize_function(scores, "model", split="dev")
        result["go_bp_dev"] = float(summary["mean_auroc"].iloc[0])
    last = history[history["epoch"] == history["epoch"].max()]
    result.update({f"loss_{k}": float(last[k].mean()) for k in ("recon", "sim", "nce")})
    line = json.dumps(result)
    print(line, flush=True)
    if args.out:
        with open(args.out, "a") as f:
            f.write(line + "\n")

if __name__ == "__main__":
    main()
