"""scTransNet variants on the built-in GRN benchmarks: validation and test AUROC per seed.

    python bench/grn_variants.py --data sergio mdc --splits held-out-tf transductive

Each variant is a change to :class:`~dglgene.grn.GRNSettings` (the target-degree feature on
or off; the head's TF dropout, which predicts an unseen TF's bias from its representation;
TF folds); ``--variants`` picks some. The encoder is pre-trained once per dataset, as in
``bench-grn``, or read from ``--encoder-checkpoint``; every variant sees the same splits and
seeds. Prints one JSON line per (dataset, split, seed): the floors' test AUROC and each
variant's validation and test AUROC, its training seconds and best epoch. Choose on the
validation columns (held-out TFs validate on TFs disjoint from training and test); the test
columns are the evaluation. A ``tf folds`` variant on a held-out-TF split trains on the
validation TFs too: its validation column is the folds' mean score (minus the log-loss) at
the chosen epoch, comparable between ``tf folds`` variants only.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from dglgene.benchmarks import BENCHMARK_SETTINGS, benchmark_datasets
from dglgene.eval.grn_metrics import auroc
from dglgene.eval.tables import SEEDS
from dglgene.grn import SPLIT_KINDS, GRNSettings, baseline_scores, make_splits
from dglgene.grn.encoder import encoder_encodings
from dglgene.grn.methods import train_model
from dglgene.train.fit_links import score_pairs

#: variant name -> GRNSettings changes
VARIANTS = {"no degree": {"target_degree": False}, "target degree": {"target_degree": True},
            "tf dropout 0.25": {"tf_dropout": 0.25}, "tf dropout 0.5": {"tf_dropout": 0.5},
            "tf folds 3": {"tf_folds": 3},
            "tf folds 3, tf dropout 0.5": {"tf_folds": 3, "tf_dropout": 0.5}}
FLOORS = ("per-TF prior", "degree product", "Pearson |r|", "TF-similarity vote")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["sergio", "mdc"])
    parser.add_argument("--splits", nargs="+", default=["held-out-tf", "transductive"],
                        choices=SPLIT_KINDS)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--encoder-checkpoint", metavar="FILE",
                        help="every benchmark's encoder (default: pre-trained on its cells)")
    args = parser.parse_args()
    for name, data in benchmark_datasets(args.data).items():
        settings = GRNSettings(**BENCHMARK_SETTINGS.get(name, {}))  # as bench-grn runs it
        source = encoder_encodings(data, "scbert", args.encoder_checkpoint, settings)
        for split in args.splits:
            for seed in args.seeds:
                parts = make_splits(data, split, seed)
                test = parts["test"]["label"]
                row = {k: auroc(test, v)
                       for k, v in baseline_scores(data, parts, seed, FLOORS).items()}
                for variant in args.variants:
                    changes = VARIANTS[variant]
                    start = time.perf_counter()
                    model, graph, history = train_model(data, parts, source,
                                                        replace(settings, **changes), seed)
                    row[f"{variant} val"] = auroc(parts["val"]["label"],
                                                  score_pairs(model, graph, parts["val"]))
                    row[f"{variant} test"] = auroc(test, score_pairs(model, graph, parts["test"]))
                    row[f"{variant} seconds"] = time.perf_counter() - start
                    row[f"{variant} best epoch"] = int(history.attrs["best_epoch"])
                    if "tf_folds" in history.attrs:  # its validation TFs were trained on
                        curves = history.attrs["tf_folds"]
                        chosen = history.attrs["chosen_epoch"]
                        row[f"{variant} val"] = float(
                            curves[curves["epoch"] == chosen]["val_score"].mean())
                        row[f"{variant} chosen epoch"] = chosen
                print(json.dumps({"data": name, "split": split, "seed": seed,
                                  **{k: round(v, 3) for k, v in row.items()}}), flush=True)


if __name__ == "__main__":
    main()
