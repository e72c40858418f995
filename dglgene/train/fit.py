"""The training loop of MuSe-GNN's Algorithm 1, for any GraphModel.

Per epoch, every graph i in a random order: draw one partner j != i at random, compute the
model's loss components on (i, j), step Adam (encoder and decoder learning rates apart).
A collection of one dataset trains on reconstruction alone (there is no j), with a warning.
Seeded and deterministic on CPU; checkpoints can resume a run exactly: they hold the CPU
random state, and the CUDA one when training on a GPU.

With ``pairs_per_step=W`` (or under torch.distributed on ``W`` ranks, each computing one
of the ``W`` pairs) one Adam step takes the mean gradient of ``W`` consecutive pairs of
the epoch's schedule (:mod:`~dglgene.train.distributed`).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dglgene.data import GraphCollection
from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.losses.base import EdgeTargets
from dglgene.models.graph_model import GraphModel
from dglgene.train.checkpoint import FIT
from dglgene.train.device import require_device
from dglgene.train.distributed import all_reduce_gradients, current_ranks, gather_rows
from dglgene.train.engine import TrainingPlan, run_training
from dglgene.train.settings import TrainConfig

#: What a checkpoint of :func:`fit` says it is; files of another format or version are refused.
CHECKPOINT_FORMAT, CHECKPOINT_VERSION = FIT.format, FIT.version


def load_checkpoint(path: str | Path, device: str = "cpu") -> dict:
    """A checkpoint written by :func:`fit`, checked: one-line error naming the file when it
    is unreadable (truncated, corrupt), foreign or of another format version."""
    return FIT.load(path, device)


def edge_targets(collection: GraphCollection, device: torch.device) -> list[EdgeTargets]:
    """Each graph's edges, what its reconstruction is scored against (dense only on demand)."""
    return [EdgeTargets.of(g.adjacency(), device) for g in collection]


def adam_step(model: GraphModel, optimizer: torch.optim.Optimizer,
              components: dict[str, torch.Tensor], **step: int) -> dict:
    """One optimiser step on the model's weighted total of ``components``; returns the
    history row: ``step`` (epoch, i, j), the total and each component."""
    total = model.loss.total(components)
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    return history_row(total, components, **step)


def history_row(total: torch.Tensor, components: dict[str, torch.Tensor], **step: int) -> dict:
    """A loss-history row: ``step`` (epoch, i, j), the total and each component."""
    return {**step, "total": float(total), **{k: float(v) for k, v in components.items()}}


def _partner(rng: np.random.Generator, n: int, i: int) -> int:
    return int(rng.choice([k for k in range(n) if k != i])) if n > 1 else int(i)


class MuSeTraining(TrainingPlan):
    """Algorithm 1 as a :class:`~dglgene.train.engine.TrainingPlan`: an epoch visits every
    graph in a random order, each with a random partner, ``pairs_per_step`` pairs per
    Adam step (the arguments are :func:`fit`'s)."""

    kind = FIT
    label = "MuSe-GNN epochs"

    def __init__(self, model: GraphModel, collection: GraphCollection, seed: int,
                 lr_encoder: float, lr_decoder: float, device: str,
                 contrastive_genes: int | None, pairs_per_step: int | None,
                 weight_decay: float) -> None:
        self.ranks = current_ranks()
        self.per_step = pairs_per_step or self.ranks.world_size
        if self.ranks.world_size > 1 and self.per_step != self.ranks.world_size:
            raise DglgeneInputError(f"pairs_per_step={self.per_step} on "
                                    f"{self.ranks.world_size} ranks; under torch.distributed "
                                    "each rank computes one pair per step")
        self.model, self.collection, self.seed = model, collection, seed
        self.contrastive_genes = contrastive_genes
        self.rng = np.random.default_rng(seed)
        model.to(device)
        self.optimizer = torch.optim.Adam(model.parameter_groups(lr_encoder, lr_decoder),
                                          weight_decay=weight_decay)
        self.overlaps = collection.overlaps(seed=seed)
        self.targets = edge_targets(collection, torch.device(device))

    def resume_check(self, path: str | Path, state: dict) -> None:
        written = state.get("pairs_per_step", 1)
        if written != self.per_step:
            raise DglgeneInputError(f"{path}: written with {written} pairs per step, "
                                    f"resumed with {self.per_step}; resume on as many ranks "
                                    "(or pairs_per_step) as it was written with")

    def state(self) -> dict:
        return {"pairs_per_step": self.per_step}

    def epoch(self, epoch: int) -> list[dict]:
        self.model.train()
        n = len(self.collection)
        if self.per_step == 1:
            rows = []
            for i in self.rng.permutation(n):
                j = _partner(self.rng, n, int(i))
                components = self.model.training_step(self.collection, int(i), j,
                                                      self.overlaps, self.targets[i], self.rng,
                                                      self.contrastive_genes)
                rows.append(adam_step(self.model, self.optimizer, components, epoch=epoch,
                                      i=int(i), j=j))
            return rows
        schedule = [(int(i), _partner(self.rng, n, int(i))) for i in self.rng.permutation(n)]
        return [row for first in range(0, n, self.per_step)
                for row in self._grouped_step(epoch, first, schedule[first:first + self.per_step])]

    def _grouped_step(self, epoch: int, first: int, group: list[tuple[int, int]]) -> list[dict]:
        """One Adam step on the mean gradient of ``group``'s pairs, each computed by the
        rank ``position mod world size`` (:mod:`~dglgene.train.distributed`)."""
        ranks, rows = self.ranks, []
        self.optimizer.zero_grad()
        for k, (i, j) in enumerate(group):
            if k % ranks.world_size != ranks.rank:
                continue
            # the pair's own draws: the same whichever rank computes it
            pair_rng = np.random.default_rng([self.seed, epoch, first + k])
            torch.manual_seed(int(pair_rng.integers(2**62)))
            components = self.model.training_step(self.collection, i, j, self.overlaps,
                                                  self.targets[i], pair_rng,
                                                  self.contrastive_genes)
            total = self.model.loss.total(components)
            (total / len(group)).backward()
            rows.append({**history_row(total, components, epoch=epoch, i=i, j=j),
                         "rank": ranks.rank, "position": first + k})
        all_reduce_gradients(self.model.parameters(), ranks)
        self.optimizer.step()
        return [{key: v for key, v in row.items() if key != "position"}
                for row in gather_rows(rows, ranks)]


def fit(model: GraphModel, collection: GraphCollection, epochs: int = TrainConfig.epochs,
        seed: int = 0, lr_encoder: float = TrainConfig.lr_encoder,
        lr_decoder: float = TrainConfig.lr_decoder, device: str = "cpu",
        checkpoint: str | Path | None = None, resume: bool = False,
        contrastive_genes: int | None = TrainConfig.contrastive_genes,
        pairs_per_step: int | None = None,
        weight_decay: float = TrainConfig.weight_decay) -> pd.DataFrame:
    """Train ``model`` on ``collection``; return the loss history (one row per pair).

    ``epochs``, the learning rates, ``contrastive_genes`` and ``weight_decay`` are
    :class:`~dglgene.train.TrainConfig`'s (which says what they do and why their
    defaults are what they are). ``pairs_per_step``: pairs per Adam step
    (default 1, or the world size under torch.distributed, where it must be that); above
    1 the rows carry the ``rank`` that computed the pair, and each pair draws from a
    generator of its own (:mod:`~dglgene.train.distributed`).

    With ``checkpoint``, the model, optimiser, random states and history are written there
    after every epoch (atomically, by rank 0 alone); ``resume=True`` continues from it.
    """
    require_at_least("epochs", epochs)
    require_at_least("pairs_per_step", pairs_per_step)
    require_device(device)
    plan = MuSeTraining(model, collection, seed, lr_encoder, lr_decoder, device,
                        contrastive_genes, pairs_per_step, weight_decay)
    if len(collection) == 1:
        warnings.warn("one dataset: nothing to align it with, so the model trains on graph "
                      "reconstruction alone (the cross-dataset losses are 0)", stacklevel=2)
    return pd.DataFrame(run_training(plan, epochs, seed, device, checkpoint, resume))
