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

import os
from collections.abc import Callable

import dgl
import numpy as np
import pandas as pd
import torch

from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.losses.link_bce import LinkBatch
from dglgene.models.sctransnet import ScTransNet, pair_tensors
from dglgene.nn.grn_gnn import known_grn_graph
from dglgene.train.checkpoint import FIT_LINKS, fingerprint
from dglgene.train.device import require_device
from dglgene.train.engine import EarlyStopping, TrainingPlan, run_training
from dglgene.train.settings import LinkTrainConfig

__all__ = ["fit_links", "score_pairs", "training_graph"]

ValMetric = Callable[[np.ndarray, np.ndarray], float]


def training_graph(n_genes: int, train: pd.DataFrame) -> dgl.DGLGraph:
    """The known-GRN graph of the training positives only (validation/test edges stay out)."""
    positive = train[train["label"] == 1]
    return known_grn_graph(n_genes, *pair_tensors(positive, torch.device("cpu")))


def score_pairs(model: ScTransNet, graph: dgl.DGLGraph | None, pairs: pd.DataFrame) -> np.ndarray:
    """Edge probabilities (sigmoid of the logits) of ``pairs`` over ``graph`` (None: the
    model's ``known_grn``), in eval mode (:meth:`~dglgene.models.ScTransNet.score_pairs`)."""
    return model.score_pairs(pairs, graph)


class _GraphWithout:
    """The training graph minus the positives being scored, so a pair never sees its own
    edge; built from the pairs' index tensors (not the data frame) for every batch."""

    def __init__(self, train: pd.DataFrame, n_genes: int, device: torch.device) -> None:
        self.tf, self.target = pair_tensors(train, torch.device("cpu"))
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


class LinkTraining(TrainingPlan):
    """Link prediction as a :class:`~dglgene.train.engine.TrainingPlan`: epoch 0 fits the
    head's base (:func:`fit_base`), every later one a pass of mini-batches; early stopping
    on the validation score (the arguments are :func:`fit_links`')."""

    kind = FIT_LINKS
    label = "GRN epochs"
    written_for = "another model"

    def __init__(self, model: ScTransNet, train: pd.DataFrame, val: pd.DataFrame, lr: float,
                 weight_decay: float, batch_size: int, patience: int, seed: int, device: str,
                 val_metric: ValMetric | None) -> None:
        self.model, self.train, self.val = model, train, val
        self.weight_decay, self.batch_size, self.val_metric = weight_decay, batch_size, val_metric
        self.rng = np.random.default_rng(seed)
        dev = self.device = torch.device(device)
        model.to(dev)
        self.graph = training_graph(model.n_genes, train).to(dev) if model.gnn is not None else None
        self.without = _GraphWithout(train, model.n_genes, dev) if self.graph is not None else None
        self.tf, self.target = pair_tensors(train, dev)
        self.labels = torch.as_tensor(train["label"].to_numpy(np.float32), device=dev)
        self.check = val if len(val) else train
        self.check_labels = self.check["label"].to_numpy(np.float64)
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        self.early_stopping = EarlyStopping(patience)
        pairs = (split[["tf", "target", "label"]].to_numpy(np.float64) for split in (train, val))
        self.run = {"seed": seed, "lr": lr, "weight_decay": weight_decay,
                    "batch_size": batch_size, "patience": patience,
                    "val_metric": getattr(val_metric, "__name__", type(val_metric).__name__),
                    "data": fingerprint(model.features, *pairs)}
        self.pair: torch.Tensor | None = None

    def settings(self) -> dict:
        return self.run

    def _evaluate(self, epoch: int, loss: float) -> list[dict]:
        scores = score_pairs(self.model, self.graph, self.check)
        p = np.clip(scores, 1e-7, 1 - 1e-7)
        y = self.check_labels
        val_loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        value = (self.val_metric(y, scores) if self.val_metric and len(self.val)
                 else -val_loss)
        self.early_stopping.update(epoch, value, self.model)
        return [{"epoch": epoch, "loss": loss, "val_loss": val_loss, "val_score": value}]

    def _fix_pair_features(self) -> None:
        # fixed for the run (the training pairs' correlations and counts): once, not per batch
        self.pair = self.model.pair_features(self.tf, self.target, own=self.labels)

    def begin(self) -> list[dict]:
        # Epoch 0 is the fitted base with the untrained learned part; validation decides
        # whether training the representations improves on it.
        rows = self._evaluate(0, fit_base(self.model, self.tf, self.target, self.labels,
                                          self.weight_decay))
        self._fix_pair_features()
        return rows

    def load_state(self, state: dict) -> None:
        self._fix_pair_features()

    def epoch(self, epoch: int) -> list[dict]:
        self.model.train()
        total = 0.0
        for batch in np.array_split(self.rng.permutation(len(self.train)),
                                    max(1, int(np.ceil(len(self.train) / self.batch_size)))):
            rows = torch.as_tensor(batch, device=self.device)
            logits = self.model(self.without(batch) if self.without is not None else None,
                                self.tf[rows], self.target[rows],
                                pair=None if self.pair is None else self.pair[rows])
            loss = self.model.loss(LinkBatch(logits, self.labels[rows]))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += float(loss) * len(batch)
        return self._evaluate(epoch + 1, total / len(self.train))


def fit_links(model: ScTransNet, train: pd.DataFrame, val: pd.DataFrame,
              epochs: int = LinkTrainConfig.epochs, lr: float = LinkTrainConfig.lr,
              weight_decay: float = LinkTrainConfig.weight_decay,
              batch_size: int = LinkTrainConfig.batch_size,
              patience: int = LinkTrainConfig.patience, seed: int = 0, device: str = "cpu",
              val_metric: ValMetric | None = None, checkpoint: str | os.PathLike | None = None,
              resume: bool = False) -> pd.DataFrame:
    """Train ``model`` on ``train`` pairs; keep the weights of the best validation epoch.

    ``val_metric(labels, scores)`` (higher is better, e.g. AUROC) picks the epoch; without
    it (or with an empty validation split) the validation (or training) loss does.
    ``epochs=0`` fits the base alone.
    Returns one row per epoch, epoch 0 being the fitted base (``loss``, ``val_loss``,
    ``val_score``); ``attrs["best_epoch"]``. The training settings are
    :class:`~dglgene.train.LinkTrainConfig`'s, which says what they do.

    The trained model keeps the graph of the training positives its GNN runs on as
    ``model.known_grn``.

    With ``checkpoint``, the training state is written there after every epoch (epoch 0
    included), atomically: the weights, the best weights so far, their epoch and score
    (the patience counter), the optimiser, the random states and the history.
    ``resume=True`` continues from it, to exactly the result of an uninterrupted run (on
    CPU); a checkpoint of other data or settings (but ``epochs``) is refused.
    """
    require_at_least("epochs", epochs, 0)  # 0: the fitted base alone
    require_at_least("patience", patience)
    for name, df in (("train", train), ("validation", val)):
        if "label" not in df.columns:
            raise DglgeneInputError(f"the {name} split has no Label column; it needs 0/1 labels")
    if len(train) == 0 or train["label"].nunique() < 2:
        raise DglgeneInputError("the training split needs both positive and negative pairs")
    require_device(device)
    plan = LinkTraining(model, train, val, lr, weight_decay, batch_size, patience, seed, device,
                        val_metric)
    out = pd.DataFrame(run_training(plan, epochs, seed, device, checkpoint, resume))
    model.known_grn = plan.graph  # the graph its GNN runs on, kept with the model
    model.eval()
    out.attrs["best_epoch"] = plan.early_stopping.best_epoch
    return out
