"""The gene-embedding commands: ``graphs``, ``embed``, ``predict-labels``, ``bench-embed``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from dglgene.cli.options import (
    add_bench_options,
    check_resume,
    given,
    run_options,
    setting,
    write_per_seed,
)
from dglgene.errors import DglgeneInputError, require_at_least

if TYPE_CHECKING:
    from dglgene.train.distributed import Ranks

#: where `dglgene graphs`' options have their defaults
_RECIPE = "dglgene.data.build:GraphRecipe"


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the gene-embedding commands."""
    graphs = commands.add_parser(
        "graphs", help="build gene co-expression graphs from .h5ad files and save them",
        description="Build one gene co-expression graph per .h5ad file (cells x genes; counts "
                    "in X or layers['counts']; modality and tissue in uns) and save the "
                    "collection to a directory.")
    graphs.add_argument("inputs", nargs="+", help=".h5ad files, one dataset each")
    graphs.add_argument("--out", required=True, help="directory to write the collection to")
    setting(graphs, "--method", f"{_RECIPE}.method", choices=["auto", "cscore", "pearson"],
            help="co-expression measure (auto: CS-CORE on rna/spatial counts, else Pearson)")
    setting(graphs, "--n-hvg", f"{_RECIPE}.n_hvg", type=int, help="genes kept per dataset")
    setting(graphs, "--p-value", f"{_RECIPE}.p_value", type=float,
            help="edge where the co-expression test gives p below this")
    setting(graphs, "--fdr", f"{_RECIPE}.fdr", type=float,
            help="edge where the Benjamini-Hochberg adjusted p is below this (instead of "
                 "--p-value)")
    setting(graphs, "--top-k", f"{_RECIPE}.top_k", type=int,
            help="keep only each gene's k strongest significant partners (n-hvg or more: "
                 "all)")
    setting(graphs, "--n-components", f"{_RECIPE}.n_components", type=int,
            help="node feature width: each gene's profile over the cells reduced to this "
                 "many columns (the cell count or more: the whole profile)")
    setting(graphs, "--reduction", f"{_RECIPE}.reduction",
            choices=["pca", "random", "pseudobulk"], help="how --n-components are made")
    graphs.add_argument("--jobs", dest="n_jobs", type=int, help="datasets built in parallel")
    graphs.set_defaults(run=_graphs)

    embed = commands.add_parser(
        "embed", help="learn gene embeddings across datasets with MuSe-GNN",
        description="Build gene graphs from .h5ad files (see `dglgene graphs`), train "
                    "MuSe-GNN and write DIR/gene_embeddings.h5ad, metrics.json, umap.png, "
                    "training.png and the trained model, DIR/model. With --model, embed the "
                    "files with a trained model instead: datasets it knows (same name, same "
                    "genes) with their own layers, new ones after training only their own "
                    "layers against the frozen rest.")
    embed.add_argument("inputs", nargs="+",
                       help=".h5ad files, one dataset each (two or more, or any with --model)")
    embed.add_argument("--out", required=True, help="output directory")
    embed.add_argument("--config", help="TOML file with [graphs], [model], [train] tables")
    setting(embed, "--epochs", "dglgene.train.settings:TrainConfig.epochs", type=int,
            help="training epochs (overrides the config)")
    run_options(embed)
    embed.add_argument("--model", metavar="DIR",
                       help="a trained model (the DIR/model of an earlier run) to embed with; "
                            "--epochs then sets the new datasets' training")
    embed.set_defaults(run=_embed)

    predict = commands.add_parser(
        "predict-labels", help="predict gene labels from gene embeddings (kNN, cross-validated)",
        description="Classify genes into the classes of LABELS.csv by their k nearest genes "
                    "in the embedding (cosine), with stratified cross-validation; write "
                    "DIR/label_prediction.csv (per class) and metrics.json (accuracy, AUROC, "
                    "and the majority-class and, when obs has 'degree', degree floors).")
    predict.add_argument("embedding", help="gene_embeddings.h5ad (as `dglgene embed` writes)")
    predict.add_argument("labels", help="CSV with a header row 'gene,label'")
    predict.add_argument("--out", required=True, help="output directory")
    predict.add_argument("--k", type=int, help="neighbours per gene")
    predict.add_argument("--folds", dest="n_folds", type=int, help="cross-validation folds")
    predict.add_argument("--seed", type=int, default=0)
    predict.set_defaults(run=_predict_labels)

    bench = commands.add_parser(
        "bench-embed", help="MuSe-GNN against its baselines (Table 1 style), mean ± sd",
        description="Train MuSe-GNN, its recon-only ablation, GAE and VGAE (and PCA) on the "
                    "same graphs, seeds and epochs, and print the six metrics, Avg Score and "
                    "Avg Rank as mean ± sd over seeds.")
    bench.add_argument("--data", choices=["simulated", "real", "pbmc"], default="simulated",
                       help="simulated: planted modules; real: the demo collection (five "
                            "tissues); pbmc: the real PBMC collection (GO-term scores too)")
    add_bench_options(bench, _bench_embed)


def _graphs(args: argparse.Namespace) -> int:
    from dglgene.data import build_collection
    from dglgene.progress import Stages

    stages = Stages()
    with stages("graphs"):
        collection = build_collection(args.inputs, **given(
            args, "method", "n_hvg", "p_value", "fdr", "top_k", "n_components", "reduction",
            "n_jobs"))
    with stages("writing"):
        collection.save(args.out)
    print(f"{'dataset':<24} {'cells':>7} {'genes':>6} {'edges':>9} {'density':>8} "
          f"{'method':>8} {'seconds':>8}")
    for g in collection:
        print(f"{g.dataset:<24} {g.info['n_cells']:>7} {g.n_genes:>6} {g.n_edges:>9} "
              f"{g.density:>8.4f} {g.info['method']:>8} {g.info['seconds']:>8.2f}")
    print(f"saved {len(collection)} graphs over {len(collection.vocabulary)} genes to {args.out}")
    return 0


def _embed_with_model(args: argparse.Namespace) -> int:
    from dglgene.embed import embed_with_model

    given = [flag for flag, value in (("--config", args.config), ("--checkpoint",
                                      args.checkpoint), ("--resume", args.resume)) if value]
    if given:
        raise DglgeneInputError(f"--model embeds with the model's own config and weights; "
                                f"drop {', '.join(given)}")
    summary = embed_with_model(args.inputs, args.model, args.out, seed=args.seed,
                               device=args.device, epochs=args.epochs)
    if summary["known"]:
        print(f"known to the model, embedded with their own layers: "
              f"{', '.join(summary['known'])}")
    if summary["new"]:
        print(f"new, their own layers trained for {summary['epochs']} epochs against the "
              f"frozen rest in {summary['seconds']:.1f} s: {', '.join(summary['new'])}")
    for name, value in summary["metrics"].items():
        print(f"{name:<22} {value:.4f}")
    print(f"wrote gene_embeddings.h5ad{', metrics.json' if summary['metrics'] else ''}, "
          f"umap.png{', training.png, model/' if summary['new'] else ''} to {args.out}")
    return 0


def _embed(args: argparse.Namespace) -> int:
    from dglgene.train.distributed import init_from_environment, leave_process_group

    ranks = init_from_environment(args.device)  # under torchrun: join its process group
    try:
        return _embed_run(args, ranks)
    finally:
        leave_process_group()


def _embed_run(args: argparse.Namespace, ranks: Ranks) -> int:
    from dglgene.config import load_config, with_epochs
    from dglgene.embed import run_embed

    if args.model:
        return _embed_with_model(args)
    check_resume(args)
    config = load_config(args.config)
    if args.epochs is not None:
        config = with_epochs(config, args.epochs)
    metrics = run_embed(args.inputs, args.out, config, seed=args.seed, device=args.device,
                        checkpoint=args.checkpoint, resume=args.resume)
    if not ranks.is_first:
        return 0
    for name, value in metrics.items():
        print(f"{name:<22} {value:.4f}")
    summary = Path(args.out) / "function_summary.csv"
    if summary.exists():
        import pandas as pd

        from dglgene.eval.tables import format_function_summary

        print("\nGO-BP term prediction, test terms (MuSe-GNN, per-dataset PCA and floors):")
        print(format_function_summary(pd.read_csv(summary)))
    print(f"wrote gene_embeddings.h5ad, metrics.json, run.json, umap.png, training.png, "
          f"function.csv, function_summary.csv, function.png, model/ to {args.out}")
    return 0


def _predict_labels(args: argparse.Namespace) -> int:
    from dglgene.data import read_h5ad
    from dglgene.eval.gene_knn import coexpression_degree, unified_embedding
    from dglgene.eval.label_prediction import predict_gene_labels

    emb = read_h5ad(args.embedding)
    unified = unified_embedding(emb)
    # the degree floor needs the co-expression degrees, which only some embeddings carry
    degree = coexpression_degree(emb) if "degree" in emb.obs else None
    result = predict_gene_labels(unified, args.labels, seed=args.seed, degree=degree,
                                 **given(args, "k", "n_folds"))
    result.save(args.out)
    m = result.metrics
    dropped = ", ".join(f"{c} ({n})" for c, n in m["dropped_classes"].items()) or "none"
    print(f"{m['n_genes']} genes in {m['n_classes']} classes; {m['n_folds']}-fold CV, "
          f"k={m['k']}; labelled genes not embedded: {m['n_not_embedded']}; classes with "
          f"fewer than {m['n_folds']} genes dropped: {dropped}")
    print(f"{'model':<10} {'accuracy':>9} {'AUROC':>7}")
    for name in ("knn", "majority", "degree"):
        if name in m:
            print(f"{name:<10} {m[name]['accuracy']:>9.3f} {m[name]['auroc']:>7.3f}")
    if degree is None:
        print("degree floor omitted: the embedding's obs has no 'degree' column")
    print(f"wrote label_prediction.csv, metrics.json to {args.out}")
    return 0


def _bench_embed(args: argparse.Namespace) -> int:
    from dglgene.benchmarks import compare_gene_function, compare_methods
    from dglgene.data import build_collection
    from dglgene.datasets import simulate_collection
    from dglgene.demo import demo_collection, pbmc_collection
    from dglgene.eval.planted_modules import planted_module_scores
    from dglgene.eval.tables import format_comparison, format_function_summary

    require_at_least("--epochs", args.epochs)  # before the collection is built
    evaluate = None
    if args.data == "simulated":
        sim = simulate_collection(seed=0)
        collection = build_collection(sim.adatas)
        what = "simulated collection (6 datasets: rna, atac, spatial; planted modules)"

        def evaluate(emb, seed):
            return planted_module_scores(emb.X, emb.obs["gene"], emb.obs["dataset"],
                                         sim.modules)
    elif args.data == "pbmc":
        collection = pbmc_collection()
        what = "real PBMC collection (5 blood datasets, 17,535 cells)"
    else:
        collection = demo_collection()
        what = "built-in real datasets + simulated atac/spatial (the demo collection)"
    per_seed, stats, runs = compare_methods(collection, evaluate=evaluate,
                                            **given(args, "seeds", "epochs"))
    write_per_seed(per_seed, args.csv)
    seeds = list(per_seed["seed"].unique())
    epochs = runs["MuSe-GNN", seeds[0]][1]["epoch"].max() + 1
    print(f"{what}; {len(seeds)} seeds {seeds}, {epochs} epochs; "
          "mean ± sd over seeds")
    print(format_comparison(stats))
    if args.data != "simulated":
        scores, summary = compare_gene_function(runs, collection, seeds)
        if args.csv:
            write_per_seed(scores, str(Path(args.csv).with_suffix(".function.csv")))
        print("\nGO-BP term prediction, test terms (balanced L2 logistic regression, 5-fold "
              "CV, annotated genes; per-term scores averaged over seeds; p: MuSe-GNN greater, "
              "paired Wilcoxon over terms):")
        print(format_function_summary(summary))
    return 0
