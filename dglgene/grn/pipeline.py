"""What ``dglgene grn`` runs: scTransNet on one BEELINE/GENELink directory.

A BEELINE/GENELink directory -> splits (given or made) -> gene representations from a
frozen single-cell transformer (a checkpoint, a small one pre-trained on the data's own
cells, precomputed embeddings, or none) -> scTransNet trained with validation early
stopping -> test scores, metrics beside the baselines, PR curves, the trained model
(``out/model``, :func:`~dglgene.models.save_sctransnet`) and the network over every
candidate pair in decoupler's form (``out/network.csv``,
:func:`~dglgene.grn.network.to_decoupler`). Outputs go to a temporary directory that
replaces ``out`` only when everything succeeded; a training checkpoint lets a killed run
resume.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from dglgene.atomic import atomic_path
from dglgene.data.beeline import read_beeline
from dglgene.errors import require_at_least
from dglgene.eval.plots import plot_link_training, plot_pr_curves
from dglgene.grn.encoder import encoder_encodings
from dglgene.grn.methods import baseline_scores, method_metrics, train_model
from dglgene.grn.settings import GRNSettings
from dglgene.grn.splits import make_splits
from dglgene.train.fit_links import score_pairs

__all__ = ["pretrain_checkpoint_path", "run_grn"]


def pretrain_checkpoint_path(train_checkpoint: str | os.PathLike | None) -> Path | None:
    """Where a run with ``train_checkpoint`` keeps the checkpoint of the encoder's
    pre-training on the cells: beside it, ``FILE.pretrain``. Resuming continues the
    pre-training, or skips it when done, so that training resumes with the encoder it
    began with (pre-training again would cost its time, and on a GPU need not give the
    same weights)."""
    return None if train_checkpoint is None else Path(f"{os.fspath(train_checkpoint)}.pretrain")


def run_grn(data_dir: str | os.PathLike, out: str | os.PathLike, split: str = "transductive",
            split_dir: str | os.PathLike | None = None, encoder: str = "scbert",
            checkpoint: str | os.PathLike | None = None, seed: int = 0, device: str = "cpu",
            settings: GRNSettings | None = None,
            train_checkpoint: str | os.PathLike | None = None, resume: bool = False,
            top_k: int | None = None, gene_list: str | os.PathLike | None = None) -> dict:
    """Train scTransNet on a BEELINE directory; write predictions, metrics and plots.

    Writes ``out/predictions.csv`` (tf, target, score[, label] by gene name), and, when the
    test pairs have labels, ``out/metrics.json`` (the model and the baselines) and
    ``out/pr_curves.png``; always ``out/training.png``, ``out/model`` (read it back with
    :func:`dglgene.models.load`) and ``out/network.csv`` (:func:`~dglgene.grn.to_decoupler`
    of that model: every candidate pair, or each TF's ``top_k`` best). Returns the metrics
    (empty without labels).

    ``checkpoint`` is the scBERT encoder's; ``gene_list`` its gene order when it carries
    none (:func:`~dglgene.grn.encoder.encoder_encodings`). With ``train_checkpoint``, the
    training state is saved there after every epoch (and, when the encoder is pre-trained on
    the cells, that pre-training's to :func:`pretrain_checkpoint_path`); ``resume=True``
    continues from them, to exactly the outputs of an uninterrupted run (on CPU).
    """
    require_at_least("top_k", top_k)  # before the training, not after it
    settings = settings or GRNSettings()
    data = read_beeline(data_dir)
    splits = make_splits(data, split, seed, split_dir)
    source = encoder_encodings(data, encoder, checkpoint, settings, device,
                               pretrain_checkpoint_path(train_checkpoint), resume, gene_list)
    model, graph, history = train_model(data, splits, source, settings, seed, device,
                                        train_checkpoint, resume)
    test = splits["test"]
    scores = score_pairs(model, graph, test)
    genes = np.asarray(data.genes)
    predictions = pd.DataFrame({"tf": genes[test["tf"].to_numpy()],
                                "target": genes[test["target"].to_numpy()], "score": scores})
    run = {"data": data.name, "split": (split_dir and str(split_dir)) or split,
           "encoder": encoder, "seed": seed, "best_epoch": history.attrs["best_epoch"]}
    metrics: dict = {}
    if "label" in test.columns:
        predictions["label"] = test["label"].to_numpy()
        all_scores = {"scTransNet": scores, **baseline_scores(data, splits, seed)}
        metrics = {**run, "methods": method_metrics(test["label"].to_numpy(), all_scores)}
    with atomic_path(out, directory=True) as tmp:
        model.data.update(run)
        model.save(tmp / "model")
        model.network(top_k).to_csv(tmp / "network.csv", index=False)
        predictions.to_csv(tmp / "predictions.csv", index=False)
        history.to_csv(tmp / "training_history.csv", index=False)
        plot_link_training(history, tmp / "training.png")
        if metrics:
            (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2))
            plot_pr_curves(test["label"].to_numpy(), all_scores, tmp / "pr_curves.png",
                           title=f"{data.name}, {run['split']} split, seed {seed}")
    return metrics
