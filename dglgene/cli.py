"""The ``dglgene`` command line."""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dglgene import __version__
from dglgene.atomic import check_writable
from dglgene.errors import DglgeneInputError, require_at_least

if TYPE_CHECKING:
    from dglgene.train.distributed import Ranks

#: dglgene.grn.splits.SPLIT_KINDS and dglgene.benchmarks.ENCODER_CELLS, without
#: importing pandas for every command (a test keeps each pair equal)
_SPLIT_KINDS = ("transductive", "held-out-tf", "degree-aware")
_ENCODER_CELLS = ("own", "all-real")
#: where `dglgene graphs`' options have their defaults
_RECIPE = "dglgene.data.build:GraphRecipe"


class _Help(argparse.HelpFormatter):
    """Help whose options end with their default, read from the settings class that holds
    it (``action.setting``: "module:Class.field"); imported only when help is shown, so
    that a command does not pay for the imports."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        setting = getattr(action, "setting", None)
        if setting is not None:
            module, _, attribute = setting.partition(":")
            owner, _, field = attribute.partition(".")
            default = getattr(getattr(importlib.import_module(module), owner), field)
            text += f" (default: {'unset' if default is None else default})"
        elif not any(action.default is skip for skip in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


def _setting(parser: argparse.ArgumentParser, flag: str, setting: str, help: str,
             **options: object) -> None:
    """Add ``flag`` for the settings field ``setting`` ("module:Class.field"); left out, it
    is None, so that the field's own default applies (and the help shows it)."""
    parser.add_argument(flag, help=help, **options).setting = setting


def _run_options(parser: argparse.ArgumentParser, checkpoint: str = "--checkpoint",
                 checkpoint_help: str = "save the training state to FILE after every epoch"
                 ) -> None:
    """--seed, --device, a checkpoint flag and --resume: what every training command takes."""
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                        help="where to train")
    parser.add_argument(checkpoint, metavar="FILE", help=checkpoint_help)
    parser.add_argument("--resume", action="store_true",
                        help=f"continue from {checkpoint} FILE when it exists")
    parser.set_defaults(checkpoint_flag=checkpoint)


def _check_resume(args: argparse.Namespace) -> None:
    """--resume needs the checkpoint flag of :func:`_run_options`."""
    flag = args.checkpoint_flag
    if args.resume and getattr(args, flag.lstrip("-").replace("-", "_")) is None:
        raise DglgeneInputError(f"--resume needs {flag} FILE (the checkpoint to continue from)")


def _given(args: argparse.Namespace, *names: str) -> dict:
    """The options among ``names`` that were given on the command line. The others are
    left out, so that the function they feed applies its own default (stated once, there).
    """
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _info(_: argparse.Namespace) -> int:
    from dglgene.ops.pair_overlaps import available_backends, cuda_device_count

    print(f"dglgene {__version__}")
    print(f"kernel backends: {', '.join(available_backends())}")
    print(f"CUDA devices: {cuda_device_count()}")
    return 0


def _graphs(args: argparse.Namespace) -> int:
    from dglgene.data import build_collection

    collection = build_collection(args.inputs, **_given(args, "method", "n_hvg", "p_value",
                                                        "fdr", "top_k", "n_jobs"))
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
    _check_resume(args)
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
                                 **_given(args, "k", "n_folds"))
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


def _write_per_seed(per_seed, path: str | None) -> None:
    """The per-seed table of a benchmark command, when ``--csv`` asked for it."""
    from dglgene.atomic import atomic_path

    if path:
        with atomic_path(path) as tmp:
            per_seed.to_csv(tmp, index=False)


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
        collection = build_collection(sim.adatas, n_components=32)
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
                                            **_given(args, "seeds", "epochs"))
    _write_per_seed(per_seed, args.csv)
    seeds = list(per_seed["seed"].unique())
    epochs = runs["MuSe-GNN", seeds[0]][1]["epoch"].max() + 1
    print(f"{what}; {len(seeds)} seeds {seeds}, {epochs} epochs; "
          "mean ± sd over seeds")
    print(format_comparison(stats))
    if args.data != "simulated":
        scores, summary = compare_gene_function(runs, collection, seeds)
        if args.csv:
            _write_per_seed(scores, str(Path(args.csv).with_suffix(".function.csv")))
        print("\nGO-BP term prediction, test terms (balanced L2 logistic regression, 5-fold "
              "CV, annotated genes; per-term scores averaged over seeds; p: MuSe-GNN greater, "
              "paired Wilcoxon over terms):")
        print(format_function_summary(summary))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from dglgene.demo import run_demo, run_grn_demo

    require_at_least("--epochs", args.epochs)  # before the demo's first half has run
    run_demo(args.out, seed=args.seed, **_given(args, "epochs"))
    run_grn_demo(args.out, seed=args.seed)
    return 0


def _grn(args: argparse.Namespace) -> int:
    from dglgene.grn.pipeline import run_grn
    from dglgene.grn.settings import GRNSettings

    if args.split_dir and args.split:
        raise DglgeneInputError("give --split-dir or --split, not both")
    _check_resume(args)
    options = _given(args, "epochs", "batch_size", "gnn", "pooling")
    if options.get("gnn") == "none":
        options["gnn"] = None
    settings = GRNSettings(**options)
    metrics = run_grn(args.data_dir, args.out, split=args.split or "transductive",
                      split_dir=args.split_dir, encoder=args.encoder, checkpoint=args.checkpoint,
                      seed=args.seed, device=args.device, settings=settings,
                      train_checkpoint=args.train_checkpoint, resume=args.resume,
                      top_k=args.top_k, gene_list=args.gene_list)
    if metrics:
        print(f"{'method':<16} {'AUROC':>7} {'AUPRC':>7} {'EPR':>7}")
        for name, m in metrics["methods"].items():
            print(f"{name:<16} {m['auroc']:>7.3f} {m['auprc']:>7.3f} {m['epr']:>7.2f}")
        print(f"wrote predictions.csv, metrics.json, pr_curves.png, training.png, model/, "
              f"network.csv to {args.out}")
    else:
        print(f"test pairs have no labels: wrote predictions.csv, training.png, model/ and "
              f"network.csv to {args.out}")
    return 0


def _bench_grn(args: argparse.Namespace) -> int:
    from dglgene.benchmarks import benchmark_datasets, compare_grn
    from dglgene.grn.report import format_grn_table
    from dglgene.grn.settings import GRNSettings

    settings = GRNSettings(**_given(args, "epochs"))  # checked before the data are loaded
    per_seed = compare_grn(benchmark_datasets(args.data), settings=settings,
                           **_given(args, "seeds", "splits", "encoder_cells", "jobs"))
    _write_per_seed(per_seed, args.csv)
    seeds = list(per_seed["seed"].unique())
    print(f"{len(seeds)} seeds {seeds}; mean ± sd over seeds")
    print(format_grn_table(per_seed))
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    from dglgene.datasets import real_human
    from dglgene.grn.pretraining import run_pretrain

    if bool(args.inputs) == args.builtin:
        raise DglgeneInputError("give either .h5ad files or --builtin (the built-in real datasets)")
    _check_resume(args)
    summary = run_pretrain(real_human() if args.builtin else args.inputs, args.out,
                           seed=args.seed, device=args.device, checkpoint=args.checkpoint,
                           resume=args.resume, **_given(args, "epochs", "n_genes"))
    print(f"pre-trained on {summary['cells']} cells x {summary['genes']} genes in "
          f"{summary['seconds']:.0f} s: held-out masked loss {summary['val_loss']:.3f} "
          f"(frequency baseline {summary['baseline_loss']:.3f}), accuracy "
          f"{summary['val_acc']:.3f} (baseline {summary['baseline_acc']:.3f})")
    print(f"wrote {summary['checkpoint']}, {summary['curve']}")
    return 0


def _add_bench_options(parser: argparse.ArgumentParser, run) -> None:
    """Seeds, epochs and --csv: the options every benchmark command shares."""
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--csv", help="also write the per-seed table here")
    parser.set_defaults(run=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dglgene", formatter_class=_Help,
        description="Gene representations from single-cell data (MuSe-GNN, scTransNet).",
    )
    parser.add_argument("--version", action="version", version=f"dglgene {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser = functools.partial(commands.add_parser, formatter_class=_Help)
    info = commands.add_parser("info", help="show the version and the kernel backends")
    info.set_defaults(run=_info)

    graphs = commands.add_parser(
        "graphs", help="build gene co-expression graphs from .h5ad files and save them",
        description="Build one gene co-expression graph per .h5ad file (cells x genes; counts "
                    "in X or layers['counts']; modality and tissue in uns) and save the "
                    "collection to a directory.")
    graphs.add_argument("inputs", nargs="+", help=".h5ad files, one dataset each")
    graphs.add_argument("--out", required=True, help="directory to write the collection to")
    _setting(graphs, "--method", f"{_RECIPE}.method", choices=["auto", "cscore", "pearson"],
             help="co-expression measure (auto: CS-CORE on rna/spatial counts, else Pearson)")
    _setting(graphs, "--n-hvg", f"{_RECIPE}.n_hvg", type=int, help="genes kept per dataset")
    _setting(graphs, "--p-value", f"{_RECIPE}.p_value", type=float,
             help="edge where the co-expression test gives p below this")
    _setting(graphs, "--fdr", f"{_RECIPE}.fdr", type=float,
             help="edge where the Benjamini-Hochberg adjusted p is below this (instead of "
                  "--p-value)")
    _setting(graphs, "--top-k", f"{_RECIPE}.top_k", type=int,
             help="keep only each gene's k strongest significant partners (unset: all)")
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
    _setting(embed, "--epochs", "dglgene.train.settings:TrainConfig.epochs", type=int,
             help="training epochs (overrides the config)")
    _run_options(embed)
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
    _add_bench_options(bench, _bench_embed)

    grn = commands.add_parser(
        "grn", help="infer a GRN with scTransNet from a BEELINE/GENELink directory",
        description="Train scTransNet (pooled transformer gene representations + a GAT over "
                    "the training edges) on DATA_DIR (BL--ExpressionData.csv, BL--network.csv, "
                    "TF.csv, Target.csv) and write DIR/predictions.csv, metrics.json (model "
                    "and baselines, when the test pairs have labels), pr_curves.png, "
                    "training.png, model/ and network.csv (every candidate pair scored, in "
                    "decoupler's source,target,weight form).")
    grn.add_argument("data_dir", help="directory in BEELINE/GENELink layout")
    grn.add_argument("--out", required=True, help="output directory")
    grn.add_argument("--split-dir", help="directory with Train_set.csv, Validation_set.csv, "
                                         "Test_set.csv (GENELink format)")
    grn.add_argument("--split", choices=_SPLIT_KINDS,
                     help="make this split instead (default transductive)")
    grn.add_argument("--encoder", default="scbert",
                     help="scbert (a checkpoint, or pre-trained here on the cells), "
                          "precomputed:PATH (genes x d .npy or .h5ad) or none")
    grn.add_argument("--checkpoint", help="scBERT-format checkpoint (its gene order: its "
                                          "'genes' entry or --gene-list)")
    grn.add_argument("--gene-list", metavar="FILE",
                     help="the checkpoint's gene order, one gene per line (for checkpoints "
                          "that carry none, such as scBERT's released one)")
    _setting(grn, "--gnn", "dglgene.grn.settings:GRNSettings.gnn",
             choices=["gat", "gcn", "none"], help="the graph view (none: without)")
    _setting(grn, "--pooling", "dglgene.grn.settings:GRNSettings.pooling",
             choices=["attentive", "mean"], help="pooling over cells")
    _setting(grn, "--epochs", "dglgene.grn.settings:GRNSettings.epochs", type=int,
             help="most epochs (early stopping)")
    _setting(grn, "--batch-size", "dglgene.grn.settings:GRNSettings.batch_size", type=int,
             help="training pairs per step (larger: fewer steps per epoch on large networks)")
    _run_options(grn, "--train-checkpoint",
                 "save the training state to FILE after every epoch (and the encoder's "
                 "pre-training on the cells to FILE.pretrain)")
    grn.add_argument("--top-k", type=int, metavar="K",
                     help="network.csv keeps each TF's K best targets (default: every "
                          "candidate pair)")
    grn.set_defaults(run=_grn)

    bench_grn = commands.add_parser(
        "bench-grn", help="scTransNet, ablations and baselines on the built-in GRN benchmarks",
        description="Every method (scTransNet, GENELink = GNN without transformer, no-GNN and "
                    "mean-pooling ablations, per-TF prior, Pearson |r|, GENIE3) on the same "
                    "transductive and held-out-TF splits and seeds; prints AUROC, AUPRC and "
                    "EPR as mean ± sd.")
    bench_grn.add_argument("--data", nargs="+", default=["sergio", "mdc", "collectri"],
                           choices=["sergio", "sergio-cascade", "mdc", "collectri",
                                    "collectri-1000"])
    bench_grn.add_argument("--splits", nargs="+", choices=_SPLIT_KINDS,
                           help="split kinds (default: all)")
    bench_grn.add_argument("--encoder-cells", choices=_ENCODER_CELLS,
                           help="pre-train the encoder on each benchmark's own cells (default) "
                                "or, for collectri*, on every built-in real set's cells")
    bench_grn.add_argument("--jobs", type=int, metavar="N",
                           help="train N models at once, each a process on one thread (CPU); "
                                "the results equal one job's on one thread")
    _add_bench_options(bench_grn, _bench_grn)

    pretrain = commands.add_parser(
        "pretrain", help="masked-value pre-training of an scBERT-style encoder",
        description="Pre-train an scBERT-compatible Performer (15%% of non-zero values masked) "
                    "on .h5ad files (raw counts) and save it in scBERT's checkpoint format "
                    "with its gene list.")
    pretrain.add_argument("inputs", nargs="*", help=".h5ad files (cells x genes, counts)")
    pretrain.add_argument("--builtin", action="store_true",
                          help="pre-train on the four built-in real human datasets instead")
    pretrain.add_argument("--out", required=True, help="output directory")
    _setting(pretrain, "--epochs", "dglgene.train.settings:PretrainConfig.epochs", type=int,
             help="passes over the training cells")
    _setting(pretrain, "--n-genes", "dglgene.train.settings:PretrainConfig.n_genes", type=int,
             help="top-variance genes kept")
    _run_options(pretrain)
    pretrain.set_defaults(run=_pretrain)

    demo = commands.add_parser("demo", help="run the main job on the built-in datasets")
    demo.add_argument("--out", default="out/demo", help="output directory")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--epochs", type=int, help="training epochs per method")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        # before any work, not after hours of training
        if getattr(args, "out", None):
            check_writable(args.out)
        if getattr(args, "device", None) == "cuda":
            from dglgene.train.device import require_device  # torch: only when asked for

            require_device(args.device)
        return args.run(args)
    except DglgeneInputError as error:
        # Bad input gets one line naming the problem and the fix; anything else is a bug
        # and keeps its traceback (exit 1).
        print(f"dglgene: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
