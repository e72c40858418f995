"""The GRN commands: ``grn``, ``bench-grn``, ``pretrain``."""

from __future__ import annotations

import argparse
from pathlib import Path

from dglgene.cli.options import (
    add_bench_options,
    check_resume,
    given,
    run_options,
    setting,
    write_per_seed,
)
from dglgene.errors import DglgeneInputError

#: dglgene.grn.splits.SPLIT_KINDS, dglgene.benchmarks.ENCODER_CELLS, the names
#: dglgene.benchmarks.benchmark_datasets takes, those of dglgene.benchmarks.GRN_METHODS and
#: dglgene.grn.BASELINES,
#: without importing pandas for every command (a test keeps each pair equal)
SPLIT_KINDS = ("transductive", "held-out-tf", "degree-aware")
ENCODER_CELLS = ("own", "all-real")
GRN_BENCHMARKS = ("sergio", "sergio-cascade", "mdc", "collectri", "collectri-1000",
                  "collectri-kang", "collectri-kang-1000", "collectri-pbmc3k",
                  "collectri-pbmc3k-1000", "collectri-pbmc")
GRN_METHODS = ("scTransNet", "GENELink (no transformer)", "no GNN", "mean pooling")
BASELINES = ("per-TF prior", "degree product", "Pearson |r|", "TF-similarity vote", "GENIE3")


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the GRN commands."""
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
    grn.add_argument("--split", choices=SPLIT_KINDS,
                     help="make this split instead (default transductive)")
    grn.add_argument("--encoder", default="scbert",
                     help="scbert (a checkpoint, or pre-trained here on the cells), "
                          "precomputed:PATH (genes x d .npy or .h5ad) or none")
    grn.add_argument("--checkpoint", help="scBERT-format checkpoint (its gene order: its "
                                          "'genes' entry or --gene-list)")
    grn.add_argument("--gene-list", metavar="FILE",
                     help="the checkpoint's gene order, one gene per line (for checkpoints "
                          "that carry none, such as scBERT's released one)")
    setting(grn, "--gnn", "dglgene.grn.settings:GRNSettings.gnn",
            choices=["gat", "gcn", "none"], help="the graph view (none: without)")
    setting(grn, "--pooling", "dglgene.grn.settings:GRNSettings.pooling",
            choices=["attentive", "mean"], help="pooling over cells")
    setting(grn, "--epochs", "dglgene.grn.settings:GRNSettings.epochs", type=int,
            help="most epochs (early stopping)")
    setting(grn, "--batch-size", "dglgene.grn.settings:GRNSettings.batch_size", type=int,
            help="training pairs per step (larger: fewer steps per epoch on large networks)")
    add_tf_folds(grn)
    run_options(grn, "--train-checkpoint",
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
                           choices=GRN_BENCHMARKS,
                           help="benchmarks (collectri-pbmc: Kang control and PBMC 3k, "
                                "TFs + 500 and TFs + 1000)")
    bench_grn.add_argument("--splits", nargs="+", choices=SPLIT_KINDS,
                           help="split kinds (default: all)")
    bench_grn.add_argument("--encoder-cells", choices=ENCODER_CELLS,
                           help="pre-train the encoder on each benchmark's own cells (default) "
                                "or, for collectri*, on every built-in real set's cells")
    bench_grn.add_argument("--encoder-checkpoint", metavar="FILE",
                           help="use this scBERT-format checkpoint (with its gene list) as "
                                "every benchmark's encoder instead of pre-training one")
    bench_grn.add_argument("--jobs", type=int, metavar="N",
                           help="train N models at once, each a process on one thread (CPU); "
                                "the results equal one job's on one thread")
    bench_grn.add_argument("--methods", nargs="+", choices=GRN_METHODS,
                           help="the models to train (default: all)")
    bench_grn.add_argument("--baselines", nargs="+", choices=BASELINES,
                           help="the baselines to run (default: all)")
    bench_grn.add_argument("--per-tf", metavar="CSV",
                           help="also write every method's AUROC per test TF here")
    add_tf_folds(bench_grn)
    add_bench_options(bench_grn, _bench_grn)

    pretrain = commands.add_parser(
        "pretrain", help="masked-value pre-training of an scBERT-style encoder",
        description="Pre-train an scBERT-compatible Performer (15%% of non-zero values masked) "
                    "on .h5ad files (raw counts) and save it in scBERT's checkpoint format "
                    "with its gene list.")
    pretrain.add_argument("inputs", nargs="*", help=".h5ad files (cells x genes, counts)")
    pretrain.add_argument("--builtin", action="store_true",
                          help="pre-train on every built-in real human set instead (18,019 "
                               "cells: dglgene.datasets.real_corpus)")
    pretrain.add_argument("--gene-list", metavar="FILE",
                          help="pre-train over these genes, one per line, in this order, "
                               "instead of the most variable ones")
    for name, what in (("dim", "width of the encodings"), ("depth", "Performer layers"),
                       ("heads", "attention heads"), ("dim-head", "width of one head")):
        pretrain.add_argument(f"--{name}", type=int, metavar="N",
                              help=f"{what} (default: SMALL_SCBERT_CONFIG's)")
    pretrain.add_argument("--out", required=True, help="output directory")
    setting(pretrain, "--epochs", "dglgene.train.settings:PretrainConfig.epochs", type=int,
            help="passes over the training cells")
    setting(pretrain, "--n-genes", "dglgene.train.settings:PretrainConfig.n_genes", type=int,
            help="top-variance genes kept")
    run_options(pretrain)
    pretrain.set_defaults(run=_pretrain)


def add_tf_folds(parser: argparse.ArgumentParser) -> None:
    """--tf-folds: how a held-out-TF split chooses its training length."""
    setting(parser, "--tf-folds", "dglgene.grn.settings:GRNSettings.tf_folds", type=int,
            metavar="K", help="held-out-TF split: choose the training length by K-fold "
                              "cross-validation over the training and validation TFs, then "
                              "refit on all of them (0: the validation TFs choose)")


def _grn(args: argparse.Namespace) -> int:
    from dglgene.grn.pipeline import run_grn
    from dglgene.grn.settings import GRNSettings

    if args.split_dir and args.split:
        raise DglgeneInputError("give --split-dir or --split, not both")
    check_resume(args)
    options = given(args, "epochs", "batch_size", "gnn", "pooling", "tf_folds")
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
    from dglgene.grn.report import format_grn_table, paired_tf_comparison
    from dglgene.grn.settings import GRNSettings

    # checked before the data are loaded
    settings = GRNSettings(**given(args, "epochs", "tf_folds"))
    if args.encoder_checkpoint and args.encoder_cells:
        raise DglgeneInputError("give --encoder-checkpoint or --encoder-cells, not both")
    if args.encoder_checkpoint and not Path(args.encoder_checkpoint).is_file():
        raise DglgeneInputError(f"checkpoint {args.encoder_checkpoint!r} does not exist")
    datasets = benchmark_datasets(args.data)
    checkpoints = dict.fromkeys(datasets, args.encoder_checkpoint) \
        if args.encoder_checkpoint else None
    per_seed = compare_grn(datasets, settings=settings, checkpoints=checkpoints,
                           **given(args, "seeds", "splits", "encoder_cells", "jobs", "methods",
                                          "baselines"))
    write_per_seed(per_seed, args.csv)
    write_per_seed(per_seed.attrs["per_tf"], args.per_tf)
    seeds = list(per_seed["seed"].unique())
    print(f"{len(seeds)} seeds {seeds}; mean ± sd over seeds")
    print(format_grn_table(per_seed))
    methods = set(per_seed["method"])
    for other in ("GENELink (no transformer)", "no GNN"):
        if {"scTransNet", other} <= methods:
            print(f"\nscTransNet - {other}, TF by TF (pairs: seed x test TF with both "
                  "classes; two-sided Wilcoxon signed-rank):")
            print(paired_tf_comparison(per_seed.attrs["per_tf"], "scTransNet", other)
                  .to_string(index=False, float_format="{:.4f}".format))
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    from dglgene.datasets import real_corpus
    from dglgene.grn.pretraining import run_pretrain
    from dglgene.nn.scbert_tokens import read_gene_list

    if bool(args.inputs) == args.builtin:
        raise DglgeneInputError("give either .h5ad files or --builtin (the built-in real datasets)")
    if args.gene_list and args.n_genes is not None:
        raise DglgeneInputError("give --gene-list or --n-genes, not both")
    check_resume(args)
    genes = read_gene_list(args.gene_list) if args.gene_list else None
    config = given(args, "dim", "depth", "heads", "dim_head")
    summary = run_pretrain(real_corpus() if args.builtin else args.inputs, args.out,
                           seed=args.seed, device=args.device, checkpoint=args.checkpoint,
                           resume=args.resume, genes=genes, config=config or None,
                           **given(args, "epochs", "n_genes"))
    print(f"pre-trained on {summary['cells']} cells x {summary['genes']} genes in "
          f"{summary['seconds']:.0f} s: held-out masked loss {summary['val_loss']:.3f} "
          f"(frequency baseline {summary['baseline_loss']:.3f}), accuracy "
          f"{summary['val_acc']:.3f} (baseline {summary['baseline_acc']:.3f})")
    print(f"wrote {summary['checkpoint']}, {summary['curve']}")
    return 0
