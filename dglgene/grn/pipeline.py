"""What ``dglgene grn`` runs: scTransNet on one BEELINE/GENELink directory.

A BEELINE/GENELink directory -> splits (given or made) -> gene representations from a
frozen single-cell transformer (a checkpoint, a small one pre-trained on the data's own
cells, precomputed embeddings, or none) -> scTransNet trained with validation early
stopping -> test scores, metrics beside the baselines, PR curves. Outputs go to a
temporary directory that replaces ``out`` only when everything succeeded.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

from dglgene.atomic import atomic_path
from dglgene.eval.plots import plot_link_training, plot_pr_curves
from dglgene.grn.encoder import encoder_encodings
from dglgene.grn.io import read_beeline
from dglgene.grn.methods import baseline_scores, method_metrics, train_scores
from dglgene.grn.settings import GRNSettings
from dglgene.grn.splits import make_splits

__all__ = ["run_grn"]


def run_grn(data_dir: str | os.PathLike, out: str | os.PathLike, split: str = "transductive",
            split_dir: str | os.PathLike | None = None, encoder: str = "scbert",
            checkpoint: str | os.PathLike | None = None, seed: int = 0, device: str = "cpu",
            settings: GRNSettings | None = None) -> dict:
    """Train scTransNet on a BEELINE directory; write predictions, metrics and plots.

    Writes ``out/predictions.csv`` (tf, target, score[, label] by gene name), and, when the
    test pairs have labels, ``out/metrics.json`` (the model and the baselines) and
    ``out/pr_curves.png``; always ``out/training.png``. Returns the metrics (empty
    without labels).
    """
    settings = settings or GRNSettings()
    data = read_beeline(data_dir)
    splits = make_splits(data, split, seed, split_dir)
    source = encoder_encodings(data, encoder, checkpoint, settings, device)
    scores, history = train_scores(data, splits, source, settings, seed, device)
    test = splits["test"]
    genes = np.asarray(data.genes)
    predictions = pd.DataFrame({"tf": genes[test["tf"].to_numpy()],
                                "target": genes[test["target"].to_numpy()], "score": scores})
    metrics: dict = {}
    if "label" in test.columns:
        predictions["label"] = test["label"].to_numpy()
        all_scores = {"scTransNet": scores, **baseline_scores(data, splits, seed)}
        metrics = {"data": data.name, "split": (split_dir and str(split_dir)) or split,
                   "encoder": encoder, "seed": seed, "best_epoch": history.attrs["best_epoch"],
                   "methods": method_metrics(test["label"].to_numpy(), all_scores)}
    with atomic_path(out, directory=True) as tmp:
        predictions.to_csv(tmp / "predictions.csv", index=False)
        history.to_csv(tmp / "training_history.csv", index=False)
        plot_link_training(history, tmp / "training.png")
        if metrics:
            (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2))
            plot_pr_curves(test["label"].to_numpy(), all_scores, tmp / "pr_curves.png",
                           title=f"{data.name}, {metrics['split']} split, seed {seed}")
    return metrics
