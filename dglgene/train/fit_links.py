"""Training loop for link prediction (scTransNet, GENELink): BCE on labelled pairs.

Two stages. First :func:`fit_base` fits the head's representation-free base (intercept,
per-TF biases, pair-feature weights) to its optimum: a convex logistic model. That is
epoch 0 (the head's learned part starts at zero, so the model is then its base). Fitted
alongside the rest instead, these few numbers would still be far from their optimum when
the learned part starts to overfit (within 5-20 epochs on a few thousand pairs). Then
mini-batches of training pairs train everything with Adam, with early stopping on the
*validation* split only: after every epoch the validation pairs are scored, the weights
of the best epoch so far (epoch 0 included) are kept, and training stops after
``patience`` epochs without improvement.
The test split is never seen here. Seeded and deterministic on CPU; a checkpoint written
after every epoch (:data:`~dglgene.train.checkpoint.FIT_LINKS`) resumes a run exactly.

The GNN's graph holds the training positives, so a training positive scored over a graph
that contains its own edge is answered by the graph (GENELink does this: its model learns
"adjacent means edge", which no validation or test pair is). Each mini-batch is scored
over the training graph *without the batch's positives*, as link-prediction practice
separates message-passing from supervision edges, and each training positive's target
count of known regulators (``target_degree``) leaves out its own edge; evaluation uses
all training edges.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable

import dgl
import numpy as np
import pandas as pd
import torch

from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.losses.link_bce import LinkBatch
from dglgene.models.sctransnet import ScTransNet
from dglgene.nn.grn_gnn import known_grn_graph
from dglgene.progress import progress
from dglgene.train.checkpoint import (
    FIT_LINKS,
    check_same_run,
    fingerprint,
    load_states,
    restore_random_state,
)
from dglgene.train.device import require_device

__all__ = ["fit_links", "score_pairs", "training_graph"]

ValMetric = Callable[[np.ndarray, np.ndarray], float]


def _tensors(pairs: pd.DataFrame, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.as_tensor(pairs["tf"].to_numpy(np.int64), device=device),
            torch.as_tensor(pairs["target"].to_numpy(np.int64), device=device))


def training_graph(n_genes: int, train: pd.DataFrame) -> dgl.DGLGraph:
    """The known-GRN graph of the training positives only (validation/test edges stay out)."""
    positive = train[train["label"] == 1]
    return known_grn_graph(n_genes, *_tensors(positive, torch.device("cpu")))


@torch.no_grad()
def score_pairs(model: ScTransNet, graph: dgl.DGLGraph | None, pairs: pd.DataFrame) -> np.ndarray:
    """Edge probabilities (sigmoid of the logits) of ``pairs``, in eval mode."""
    device = model.features.device
    was_training = model.training
    model.eval()
    logits = model(graph.to(device) if graph is not None else None, *_tensors(pairs, device))
    model.train(was_training)
    return torch.sigmoid(logits).cpu().numpy().astype(np.float64)


class _GraphWithout:
    """The training graph minus the positives being scored, so a pair never sees its own
    edge; built from the pairs' index tensors (not the data frame) for every batch."""

    def __init__(self, train: pd.DataFrame, n_genes: int, device: torch.device) -> None:
        self.tf, self.target = _tensors(train, torch.device("cpu"))
        self.positive = torch.as_tensor(train["label"].to_numpy() == 1)
        self.n_genes, self.device = n_genes, device

    def __call__(self, batch: np.ndarray) -> dgl.DGLGraph:
        keep = self.positive.clone()
        keep[torch.as_tensor(batch)] = False
        return known_grn_graph(self.n_genes, self.tf[keep], self.target[keep]).to(self.device)


def fit_base(model: ScTransNet, tf: torch.Tensor, target: torch.Tensor, labels: torch.Tensor,
             weight_decay: float = 1e-4, max_iter: int = 200) -> float:
    """Fit the head's representation-free part alone (a convex logistic model, by L-BFGS).

    Minimises the model's loss plus ``weight_decay`` times the squared norm of those
    parameters; returns the loss (without the penalty) at the optimum. The pairs become
    the model's training pairs (:meth:`~dglgene.models.ScTransNet.set_training_pairs`).
    """
    model.set_training_pairs(tf, target, labels)
    params = model.head.base_parameters()
    optimizer = torch.optim.LBFGS(params, max_iter=max_iter, line_search_fn="strong_wolfe")
    # fixed: computed once, not per L-BFGS step; a positive's own edge leaves its count
    pair = model.pair_features(tf, target, own=labels)

    def loss() -> torch.Tensor:
        return model.loss(LinkBatch(model.head.base(tf, pair), labels))

    def objective() -> torch.Tensor:
        optimizer.zero_grad()
        value = loss() + weight_decay * sum((p ** 2).sum() for p in params)
        value.backward()
        return value

    optimizer.step(objective)
    with torch.no_grad():
        return float(loss())


def fit_links(model: ScTransNet, train: pd.DataFrame, val: pd.DataFrame, epochs: int = 100,
              lr: float = 1e-3, weight_decay: float = 1e-4, batch_size: int = 256,
              patience: int = 20, seed: int = 0, device: str = "cpu",
              val_metric: ValMetric | None = None, checkpoint: str | os.PathLike | None = None,
              resume: bool = False) -> pd.DataFrame:
    """Train ``model`` on ``train`` pairs; keep the weights of the best validation epoch.

    ``val_metric(labels, scores)`` (higher is better, e.g. AUROC) picks the epoch; without
    it (or with an empty validation split) the validation (or training) loss does.
    Returns one row per epoch, epoch 0 being the fitted base (``loss``, ``val_loss``,
    ``val_score``); ``attrs["best_epoch"]``. These defaults are also
    :class:`~dglgene.grn.settings.GRNSettings`' (``dglgene grn``, ``bench-grn``).

    With ``checkpoint``, the training state is written there after every epoch (epoch 0
    included), atomically: the weights, the best weights so far, their epoch and score
    (the patience counter), the optimiser, the random states and the history.
    ``resume=True`` continues from it, to exactly the result of an uninterrupted run (on
    CPU); a checkpoint of other data or settings (but ``epochs``) is refused.
    """
    require_at_least("epochs", epochs)
    for name, df in (("train", train), ("validation", val)):
        if "label" not in df.columns:
            raise DglgeneInputError(f"the {name} split has no Label column; it needs 0/1 labels")
    if len(train) == 0 or train["label"].nunique() < 2:
        raise DglgeneInputError("the training split needs both positive and negative pairs")
    require_device(device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dev = torch.device(device)
    model.to(dev)
    graph = training_graph(model.n_genes, train).to(dev) if model.gnn is not None else None
    without = _GraphWithout(train, model.n_genes, dev) if graph is not None else None
    tf, target = _tensors(train, dev)
    labels = torch.as_tensor(train["label"].to_numpy(np.float32), device=dev)
    check = val if len(val) else train
    check_labels = check["label"].to_numpy(np.float64)
    best, best_state, best_epoch, history = -np.inf, None, -1, []

    def evaluate(epoch: int, loss: float) -> None:
        nonlocal best, best_state, best_epoch
        scores = score_pairs(model, graph, check)
        p = np.clip(scores, 1e-7, 1 - 1e-7)
        val_loss = float(-np.mean(check_labels * np.log(p) + (1 - check_labels) * np.log(1 - p)))
        value = val_metric(check_labels, scores) if val_metric and len(val) else -val_loss
        history.append({"epoch": epoch, "loss": loss, "val_loss": val_loss, "val_score": value})
        if value > best:
            best, best_epoch = value, epoch
            best_state = copy.deepcopy(model.state_dict())

    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    # What a checkpoint must have been written with to be continued (all but epochs).
    pairs = (split[["tf", "target", "label"]].to_numpy(np.float64) for split in (train, val))
    run = {"seed": seed, "lr": lr, "weight_decay": weight_decay, "batch_size": batch_size,
           "patience": patience,
           "val_metric": getattr(val_metric, "__name__", type(val_metric).__name__),
           "data": fingerprint(model.features, *pairs)}

    def save(epoch: int, stopped: bool) -> None:
        if checkpoint is not None:
            FIT_LINKS.save(checkpoint, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "best_model": best_state, "best_epoch": best_epoch, "best": best,
                "history": history, "epoch": epoch, "stopped": stopped, "run": run},
                device, rng)

    state = FIT_LINKS.resume_from(checkpoint, resume, device)
    if state is None:
        # Epoch 0 is the fitted base with the untrained learned part; validation decides
        # whether training the representations improves on it.
        evaluate(0, fit_base(model, tf, target, labels, weight_decay))
        done, stopped = 0, False
        save(done, stopped)
    else:
        check_same_run(checkpoint, state["run"], run)
        load_states(checkpoint, [(model, state["model"]), (optimizer, state["optimizer"])],
                    written_for="another model")
        restore_random_state(state, device, rng)
        best, best_state, best_epoch = state["best"], state["best_model"], state["best_epoch"]
        history, done, stopped = state["history"], state["epoch"], state["stopped"]
    # fixed for the run (the training pairs' correlations and counts): once, not per batch
    pair = model.pair_features(tf, target, own=labels)
    for epoch in progress(range(done + 1, epochs + 1), "GRN epochs", total=max(0, epochs - done)):
        if stopped:
            break
        model.train()
        total = 0.0
        for batch in np.array_split(rng.permutation(len(train)),
                                    max(1, int(np.ceil(len(train) / batch_size)))):
            rows = torch.as_tensor(batch, device=dev)
            batch_labels = labels[rows]
            logits = model(without(batch) if without is not None else None, tf[rows],
                           target[rows], pair=None if pair is None else pair[rows])
            loss = model.loss(LinkBatch(logits, batch_labels))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
        evaluate(epoch, total / len(train))
        stopped = epoch - best_epoch >= patience
        save(epoch, stopped)
    model.load_state_dict(best_state)
    model.eval()
    out = pd.DataFrame(history)
    out.attrs["best_epoch"] = best_epoch
    return out
