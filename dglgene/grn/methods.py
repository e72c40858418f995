"""The methods a GRN run compares: scTransNet, its ablations and the baselines.

Every method sees the same splits and seeds. The model variants are the benchmarks'
method table (:data:`dglgene.benchmarks.GRN_METHODS`: changes to
:class:`~dglgene.grn.settings.GRNSettings`); :data:`BASELINES` need no training beyond
their own fit on the training split.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

import dgl
import numpy as np
import pandas as pd
import torch
from torch import nn

from dglgene.data.grn_data import GRNData
from dglgene.errors import DglgeneInputError
from dglgene.eval.grn_metrics import grn_metrics
from dglgene.grn.selection import choose_epoch, fold_curves, unseen_validation_tfs
from dglgene.grn.settings import VAL_METRICS, GRNSettings
from dglgene.models.grn_baselines import (
    degree_product,
    genie3_scores,
    pearson_scores,
    per_tf_prior,
    tf_similarity_vote,
)
from dglgene.models.sctransnet import ScTransNet, ScTransNetConfig
from dglgene.nn.cell_encodings import CellEncodings
from dglgene.nn.gene_representation import FixedEmbedding, PooledEncodings
from dglgene.settings import setting_keys
from dglgene.train.fit_links import fit_links, score_pairs
from dglgene.train.settings import LinkTrainConfig

__all__ = ["BASELINES", "baseline_scores", "gene_representation", "method_metrics",
           "train_model", "train_scores"]

BASELINES = ("per-TF prior", "degree product", "Pearson |r|", "TF-similarity vote", "GENIE3")

#: what :func:`~dglgene.grn.encoder.encoder_encodings` gives
EncoderSource = CellEncodings | np.ndarray | None


def gene_representation(source: EncoderSource, settings: GRNSettings) -> nn.Module | None:
    """The transformer view of scTransNet: pooled cell encodings or a fixed embedding."""
    if source is None:
        return None
    if isinstance(source, CellEncodings):
        return PooledEncodings(source, pooling=settings.pooling)
    return FixedEmbedding(source)


def train_scores(data: GRNData, splits: Mapping[str, pd.DataFrame], source: EncoderSource,
                 settings: GRNSettings, seed: int = 0, device: str = "cpu"
                 ) -> tuple[np.ndarray, pd.DataFrame]:
    """Train scTransNet (or an ablation) on ``splits``; test scores and training history."""
    model, graph, history = train_model(data, splits, source, settings, seed, device)
    return score_pairs(model, graph, splits["test"]), history


def _fields(settings: GRNSettings, part: type) -> dict:
    """The run's values of ``part``'s settings (a settings class whose fields it shares)."""
    return {key: getattr(settings, key) for key in setting_keys(part)}


def train_model(data: GRNData, splits: Mapping[str, pd.DataFrame], source: EncoderSource,
                settings: GRNSettings, seed: int = 0, device: str = "cpu",
                checkpoint: str | os.PathLike | None = None, resume: bool = False
                ) -> tuple[ScTransNet, dgl.DGLGraph | None, pd.DataFrame]:
    """Train scTransNet (or an ablation) on ``splits``: the model (best validation epoch;
    whole: genes, TFs, targets, settings), the known-GRN graph its GNN runs on (None
    without one; also ``model.known_grn``) and the training history.

    With ``settings.tf_folds`` and a validation split of TFs unseen in training (a
    held-out-TF split), the training length is chosen by TF-fold cross-validation over the
    training and validation TFs together (:mod:`dglgene.grn.selection`), and the model is
    refitted on all of them for that many epochs; the history's ``attrs`` then hold the
    folds' curves (``"tf_folds"``) and the chosen epoch (``"chosen_epoch"``).
    ``checkpoint``/``resume``: :func:`~dglgene.train.fit_links.fit_links`' (of the final
    fit; the folds' fits are not checkpointed).
    """
    if source is None and settings.gnn is None:
        raise DglgeneInputError("no encoder and no GNN (--encoder none with --gnn none) leave "
                                "scTransNet nothing to learn from; choose an encoder, a GNN "
                                "or both")

    def fit(train: pd.DataFrame, val: pd.DataFrame, epochs: int = settings.epochs,
            checkpoint: str | os.PathLike | None = None, resume: bool = False
            ) -> tuple[ScTransNet, pd.DataFrame]:
        torch.manual_seed(seed)  # the model's initial weights
        model = ScTransNet(data.expression, gene_representation(source, settings),
                           **_fields(settings, ScTransNetConfig), tfs=data.tfs,
                           targets=data.targets, settings=dataclasses.asdict(settings),
                           data={"data": data.name})
        history = fit_links(model, train, val, **{**_fields(settings, LinkTrainConfig),
                                                  "epochs": epochs},
                            seed=seed, device=device, val_metric=VAL_METRICS[settings.select_by],
                            checkpoint=checkpoint, resume=resume)
        return model, history

    train, val = splits["train"], splits["val"]
    if not (settings.tf_folds and unseen_validation_tfs(train, val)):
        model, history = fit(train, val, checkpoint=checkpoint, resume=resume)
        return model, model.known_grn, history
    pooled = pd.concat([train, val], ignore_index=True)
    curves = fold_curves(lambda t, v: fit(t, v)[1], pooled, settings.tf_folds, seed)
    chosen = choose_epoch(curves)
    # no validation: the refit keeps its lowest training loss up to the chosen epoch
    model, history = fit(pooled, pooled.iloc[:0], chosen, checkpoint, resume)
    history.attrs.update(tf_folds=curves, chosen_epoch=chosen)
    return model, model.known_grn, history


def baseline_scores(data: GRNData, splits: Mapping[str, pd.DataFrame], seed: int = 0,
                    names: Sequence[str] = BASELINES, forests: dict | None = None,
                    genie3_seed: int | None = None) -> dict[str, np.ndarray]:
    """Scores of the baselines on the test split (same split, same seed); ``forests``:
    GENIE3's memo (:func:`~dglgene.models.grn_baselines.genie3_scores`) for ``data``;
    ``genie3_seed``: its forests' seed (default ``seed``)."""
    test = splits["test"]
    makers = {
        "per-TF prior": lambda: per_tf_prior(splits["train"], test),
        "degree product": lambda: degree_product(splits["train"], test),
        "Pearson |r|": lambda: pearson_scores(data.expression, test),
        "TF-similarity vote": lambda: tf_similarity_vote(data.expression, splits["train"],
                                                         test),
        "GENIE3": lambda: genie3_scores(data.expression, data.tfs, test,
                                        seed=seed if genie3_seed is None else genie3_seed,
                                        forests=forests),
    }
    return {name: makers[name]() for name in names}


def method_metrics(labels: np.ndarray, scores: Mapping[str, np.ndarray]) -> dict[str, dict]:
    """:func:`~dglgene.eval.grn_metrics.grn_metrics` of each method's test scores."""
    return {name: grn_metrics(labels, s) for name, s in scores.items()}
