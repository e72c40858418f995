"""Gene function on the real PBMC collection, one factor at a time.

    python bench/pbmc_function.py --epochs 100 --seed 0 --splits dev --out out/pbmc/factors.jsonl

Builds the five blood datasets' graphs (``dg.datasets.real_pbmc``) with the given recipe
(cached under ``--cache``, one folder per recipe), trains MuSe-GNN, embeds with per-dataset
PCA beside it, and scores both and every floor with ``dg.eval.evaluate_gene_function`` on
the GO terms of ``--splits`` (development terms while choosing settings). Prints one JSON
line: the recipe and training options, graph densities, integration (iLISI, same-gene hit
rate), training time and, per method and view, the mean AUROC; ``--table FILE`` writes the
per-term table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from dglgene.data import GraphCollection, GraphRecipe, build_collection
from dglgene.datasets import go_gene_sets, msigdb_gene_sets, real_pbmc
from dglgene.embed import collection_metrics, write_embedding_outputs
from dglgene.eval import (
    differential_genes,
    enrich,
    evaluate_gene_function,
    plot_differential,
    plot_function_scores,
    same_gene_hit_rate,
    summarize_function,
)
from dglgene.models import MuSeGNN, pca_embedding
from dglgene.models.muse_gnn import MUSE_LOSSES
from dglgene.train import TrainConfig, fit


def collection_for(recipe: GraphRecipe, cache: Path) -> GraphCollection:
    """The PBMC graphs of ``recipe``, built once and kept under ``cache``."""
    fields = {k: getattr(recipe, k) for k in ("method", "n_hvg", "shared_genes", "p_value",
                                              "top_k", "n_components")}
    # only when set, so earlier recipes keep their folders
    if recipe.fdr is not None:
        fields["fdr"] = recipe.fdr
    if recipe.reduction != "pca":
        fields["reduction"] = recipe.reduction
    folder = cache / hashlib.sha1(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]
    if (folder / "manifest.json").exists():
        return GraphCollection.load(folder)
    collection = build_collection(real_pbmc(), recipe)
    collection.save(folder)
    (folder / "recipe.json").write_text(json.dumps(fields))
    return collection


def case_control(emb, collection: GraphCollection, top: int = 50,
                 figures: Path | None = None) -> dict:
    """Kang control against IFN-beta stimulated: how well the co-embedding shift ranks the
    Hallmark interferon-alpha response genes among the genes both datasets hold, beside
    the floors (|difference of mean log expression|, |difference of the number of
    significant co-expression partners|), and the GO-BP enrichment of the ``top`` shifted genes."""
    table = differential_genes(emb, condition={"kang_control": "control",
                                               "kang_stimulated": "case"})
    ifn = set(msigdb_gene_sets("hallmark")["HALLMARK_INTERFERON_ALPHA_RESPONSE"])
    by_name = {g.dataset: g for g in collection}

    def per_gene(dataset: str, values) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=np.float64), index=by_name[dataset].genes)

    genes = table["gene"].to_numpy()
    known = np.isin(genes, list(ifn))
    expression = {d: per_gene(d, by_name[d].graph.ndata["mean_expression"].numpy())
                  for d in ("kang_control", "kang_stimulated")}
    # significant partners before any top-k cut (the pruned degree is capped at k)
    degree = {d: per_gene(d, by_name[d].graph.ndata["significant_partners"].numpy())
              for d in ("kang_control", "kang_stimulated")}
    floors = {
        "|log fold change|": (expression["kang_stimulated"][genes]
                              - expression["kang_control"][genes]).abs().to_numpy(),
        "|degree change|": (degree["kang_stimulated"][genes]
                            - degree["kang_control"][genes]).abs().to_numpy()}
    enrichment = enrich(genes[:top], go_gene_sets("bp"), genes)
    if figures is not None:
        kang = emb[emb.obs["dataset"].isin(["kang_control", "kang_stimulated"])].copy()
        plot_differential(kang, table, figures / "kang_shift.png",
                          condition={"kang_control": "control", "kang_stimulated": "case"})
        table.assign(ifn_alpha=known).to_csv(figures / "kang_shift.csv", index=False)
        enrichment.to_csv(figures / "kang_shift_enrichment.csv", index=False)
    return {"n_common": len(genes), "n_ifn_alpha": int(known.sum()),
            "auroc_shift": float(roc_auc_score(known, table["distance"])) if known.any()
            else None,
            **{f"auroc_{name}": float(roc_auc_score(known, score)) if known.any() else None
               for name, score in floors.items()},
            "ifn_in_top": int(known[:top].sum()),
            "top_terms": enrichment.loc[enrichment["Adjusted P-value"] < 0.05, "Term"]
            .head(5).tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--splits", nargs="+", default=["dev"], choices=["dev", "test"])
    parser.add_argument("--ontology", default="bp")
    parser.add_argument("--p-value", type=float, default=GraphRecipe.p_value)
    parser.add_argument("--fdr", type=float, default=None)
    parser.add_argument("--top-k", type=int, default=None)
    parser.add_argument("--n-components", type=int, default=64,
                        help="node feature width (0: one column per cell)")
    parser.add_argument("--reduction", default="pca", choices=["pca", "random", "pseudobulk"])
    parser.add_argument("--shared-genes", type=int, default=0)
    parser.add_argument("--n-hvg", type=int, default=GraphRecipe.n_hvg)
    parser.add_argument("--sim", type=float, default=MUSE_LOSSES["sim"])
    parser.add_argument("--nce", type=float, default=MUSE_LOSSES["nce"])
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--lr-encoder", type=float, default=TrainConfig.lr_encoder)
    parser.add_argument("--views", nargs="+", default=["unified", "own", "transfer"])
    parser.add_argument("--cache", default="out/pbmc/graphs")
    parser.add_argument("--out", help="append the JSON line to this file")
    parser.add_argument("--table", help="write the per-term scores (CSV) here")
    parser.add_argument("--embedding", metavar="FILE",
                        help="score this saved embedding (--save of a run with the same "
                             "recipe and options) instead of training")
    parser.add_argument("--save", metavar="FILE",
                        help="write MuSe-GNN's embedding (.h5ad) here, to score it again")
    parser.add_argument("--figures", metavar="DIR",
                        help="write the embedding's outputs (umap.png, enrichment, "
                             "function.png, kang_shift.png) to DIR")
    args = parser.parse_args()

    recipe = GraphRecipe(n_hvg=args.n_hvg, shared_genes=args.shared_genes,
                         p_value=args.p_value, fdr=args.fdr, top_k=args.top_k,
                         n_components=args.n_components or None, reduction=args.reduction)
    start = time.perf_counter()
    collection = collection_for(recipe, Path(args.cache))
    graph_seconds = time.perf_counter() - start
    start = time.perf_counter()
    if args.embedding:  # a saved run of the same recipe: score it again
        emb = ad.read_h5ad(args.embedding)
    else:
        model = MuSeGNN(collection, dim=args.dim, seed=args.seed,
                        losses={**MUSE_LOSSES, "sim": args.sim, "nce": args.nce})
        fit(model, collection, epochs=args.epochs, seed=args.seed, lr_encoder=args.lr_encoder)
        emb = model.embed(collection)
    train_seconds = time.perf_counter() - start
    if args.save:
        emb.write_h5ad(args.save)
    methods = {"MuSe-GNN": emb, "PCA": pca_embedding(collection, dim=args.dim, seed=args.seed)}
    start = time.perf_counter()
    _, scores = evaluate_gene_function(methods, collection, args.ontology, views=args.views,
                                       seed=args.seed, splits=args.splits)
    score_seconds = time.perf_counter() - start
    summary = summarize_function(scores, "MuSe-GNN", split="all")
    figures = Path(args.figures) if args.figures else None
    if figures is not None:
        figures.mkdir(parents=True, exist_ok=True)
        write_embedding_outputs(figures, emb.copy(), None, args.seed)
        plot_function_scores(scores, figures / "function.png", split=args.splits[-1])
        plot_function_scores(scores, figures / "function_transfer.png", view="transfer",
                             split=args.splits[-1])
    metrics = collection_metrics(emb, collection, args.seed)
    result = {
        **{k: v for k, v in vars(args).items() if k not in ("out", "table", "cache")},
        "density": {g.dataset: round(g.density, 4) for g in collection},
        "ilisi": metrics["ilisi"],
        "same_gene_hit_rate": same_gene_hit_rate(emb.X, emb.obs["gene"], emb.obs["dataset"]),
        "graph_seconds": round(graph_seconds, 1), "train_seconds": round(train_seconds, 1),
        "score_seconds": round(score_seconds, 1),
        "auroc": {f"{row.method} | {row.view}": round(row.mean_auroc, 4)
                  for row in summary.itertuples()},
        "case_control": case_control(emb, collection, figures=figures),
        "auroc_degree_matched": {row.method: round(row.auroc_degree_matched, 4)
                                 for row in summary.itertuples() if row.view == "unified"},
        "p_muse_greater": {f"{row.method} | {row.view}": float(np.round(
            row.p_reference_greater, 6)) for row in summary.itertuples()
            if np.isfinite(getattr(row, "p_reference_greater", np.nan))},
    }
    line = json.dumps(result)
    print(line, flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "a") as f:
            f.write(line + "\n")
    if args.table:
        scores.to_csv(args.table, index=False)


if __name__ == "__main__":
    main()
