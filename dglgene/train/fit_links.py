"""Training loop for link prediction (scTransNet, GENELink): BCE on labelled pairs.

Mini-batches of training pairs, Adam, and early stopping on the *validation* split only:
after every epoch the validation pairs are scored, the weights of the best epoch so far
are kept, and training stops after ``patience`` epochs without improvement. The test
split is never seen here. Seeded and deterministic on CPU.

The GNN's graph holds the training positives, so a training positive scored over a graph
that contains its own edge is answered by the graph (GENELink does this: its model learns
"adjacent means edge", which no validation or test pair is). Each mini-batch is scored
over the training graph *without the batch's positives*, as link-prediction practice
separates message-passing from supervision edges; evaluation uses all training edges.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import dgl
import numpy as np
import pandas as pd
import torch

from dglgene.losses.link_bce import LinkBatch
from dglgene.models.sctransnet import ScTransNet
from dglgene.nn.grn_gnn import known_grn_graph
from dglgene.progress import progress

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


def _without(train: pd.DataFrame, positive: np.ndarray, batch: np.ndarray, n_genes: int,
             device: torch.device) -> dgl.DGLGraph:
    """The training graph minus the positives being scored: a pair never sees its own edge."""
    keep = positive.copy()
    keep[batch] = False
    return training_graph(n_genes, train[keep]).to(device)


def fit_links(model: ScTransNet, train: pd.DataFrame, val: pd.DataFrame, epochs: int = 200,
              lr: float = 3e-3, weight_decay: float = 1e-4, batch_size: int = 256,
              patience: int = 30, seed: int = 0, device: str = "cpu",
              val_metric: ValMetric | None = None, bias_lr: float = 0.05) -> pd.DataFrame:
    """Train ``model`` on ``train`` pairs; keep the weights of the best validation epoch.

    ``val_metric(labels, scores)`` (higher is better, e.g. AUROC) picks the epoch; without
    it (or with an empty validation split) the validation (or training) loss does.
    Pairs start at the logit of the training positive rate; the head's scalar parameters
    (per-TF biases, pair-feature weights) learn at ``bias_lr``: single numbers starting at
    zero need larger steps than the shared weights to move within the few epochs before
    early stopping.
    Returns one row per epoch (``loss``, ``val_loss``, ``val_score``); ``attrs["best_epoch"]``.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    for name, df in (("train", train), ("validation", val)):
        if "label" not in df.columns:
            raise ValueError(f"the {name} split has no Label column; it needs 0/1 labels")
    if len(train) == 0 or train["label"].nunique() < 2:
        raise ValueError("the training split needs both positive and negative pairs")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA device; use --device cpu")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dev = torch.device(device)
    model.to(dev)
    graph = training_graph(model.n_genes, train).to(dev) if model.gnn is not None else None
    positive = train["label"].to_numpy() == 1
    tf, target = _tensors(train, dev)
    labels = torch.as_tensor(train["label"].to_numpy(np.float32), device=dev)
    model.head.start_at_rate(float(train["label"].mean()))
    biases = model.head.scalar_parameters()
    shared = [p for p in model.parameters() if all(p is not b for b in biases)]
    optimizer = torch.optim.Adam([{"params": shared},
                                  {"params": biases, "lr": bias_lr, "weight_decay": 0.0}],
                                 lr=lr, weight_decay=weight_decay)
    check = val if len(val) else train
    check_labels = check["label"].to_numpy(np.float64)
    best, best_state, best_epoch, history = -np.inf, None, -1, []
    for epoch in progress(range(epochs), "GRN epochs", total=epochs):
        model.train()
        total = 0.0
        for batch in np.array_split(rng.permutation(len(train)),
                                    max(1, int(np.ceil(len(train) / batch_size)))):
            rows = torch.as_tensor(batch, device=dev)
            logits = model(_without(train, positive, batch, model.n_genes, dev)
                           if graph is not None else None, tf[rows], target[rows])
            loss = model.loss(LinkBatch(logits, labels[rows]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
        scores = score_pairs(model, graph, check)
        p = np.clip(scores, 1e-7, 1 - 1e-7)
        val_loss = float(-np.mean(check_labels * np.log(p) + (1 - check_labels) * np.log(1 - p)))
        value = val_metric(check_labels, scores) if val_metric and len(val) else -val_loss
        history.append({"epoch": epoch, "loss": total / len(train), "val_loss": val_loss,
                        "val_score": value})
        if value > best:
            best, best_epoch = value, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    out = pd.DataFrame(history)
    out.attrs["best_epoch"] = best_epoch
    return out
