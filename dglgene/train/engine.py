"""The one training loop: every model trains through :func:`run_training`.

A :class:`TrainingPlan` says what one kind of training does: its model and optimiser,
its random generator, what it does before the first epoch (:meth:`TrainingPlan.begin`)
and in each epoch (:meth:`TrainingPlan.epoch`), and what else a checkpoint must hold.
The engine does the rest, the same way for every plan:

- **seed**: torch's random state is seeded from the run's seed inside a fork, so a run
  draws the same numbers whatever happened before it, and leaves the caller's state as
  it was;
- **resume**: with ``checkpoint`` and ``resume=True`` it continues from the checkpoint
  the plan's :class:`~dglgene.train.checkpoint.CheckpointKind` wrote (weights,
  optimiser, random states, history, the plan's own state), checked to be of the same
  run; a killed run continues to exactly the result of an uninterrupted one on CPU;
- **checkpoints**: written after every epoch, atomically, by the first rank alone;
- **history and progress**: the rows each epoch returns, one progress bar;
- **early stopping**: a plan with an :class:`EarlyStopping` stops once its patience is
  spent, and the best epoch's weights are restored at the end.

MuSe-GNN (:func:`~dglgene.train.fit.fit`), new datasets
(:func:`~dglgene.train.fit_new_datasets.fit_new_datasets`), link prediction
(:func:`~dglgene.train.fit_links.fit_links`) and scBERT pre-training
(:func:`~dglgene.train.pretrain.pretrain_scbert`) are plans.

Example: a plan that fits a line, with early stopping on its loss.

>>> class Line(TrainingPlan):
...     label = "line epochs"
...     def __init__(self):
...         torch.manual_seed(0)
...         self.model = torch.nn.Linear(1, 1)
...         self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
...         self.early_stopping = EarlyStopping(patience=3)
...     def epoch(self, epoch):
...         x = torch.linspace(-1, 1, 20)[:, None]
...         loss = ((self.model(x) - 2 * x) ** 2).mean()
...         self.optimizer.zero_grad(); loss.backward(); self.optimizer.step()
...         self.early_stopping.update(epoch + 1, -float(loss), self.model)
...         return [{"epoch": epoch + 1, "loss": float(loss)}]
>>> history = run_training(Line(), epochs=50, seed=0)
>>> len(history), history[-1]["loss"] < history[0]["loss"]
(50, True)
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from dglgene.progress import log_line, on_terminal, progress
from dglgene.train.checkpoint import (
    CheckpointKind,
    check_same_run,
    load_states,
    restore_random_state,
)
from dglgene.train.distributed import check_same_start, current_ranks

__all__ = ["EarlyStopping", "TrainingPlan", "run_training"]


class EarlyStopping:
    """The best epoch so far by a score (higher is better), its weights, and whether
    ``patience`` epochs have passed without a better one."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best, self.best_epoch, self.best_state = -np.inf, -1, None
        self.stopped = False

    def update(self, epoch: int, score: float, model: nn.Module) -> None:
        """Record ``epoch``'s ``score``; keep ``model``'s weights when it is the best."""
        if score > self.best:
            self.best, self.best_epoch = score, epoch
            self.best_state = copy.deepcopy(model.state_dict())
        self.stopped = epoch - self.best_epoch >= self.patience

    def state(self) -> dict[str, Any]:
        """What a checkpoint holds of it."""
        return {"best_model": self.best_state, "best_epoch": self.best_epoch,
                "best": self.best, "stopped": self.stopped}

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Continue from a checkpoint's :meth:`state`."""
        self.best, self.best_state = state["best"], state["best_model"]
        self.best_epoch, self.stopped = state["best_epoch"], state["stopped"]


class TrainingPlan:
    """What one kind of training does; :func:`run_training` runs it.

    A plan sets ``model`` and ``optimizer``, and ``rng`` (a NumPy generator) or
    ``generator`` (a torch one) if its epochs draw from one, so that checkpoints hold
    their states. ``kind`` names its checkpoints (None: it writes none); ``early_stopping``
    makes the engine stop when its patience is spent and restore the best weights.
    """

    #: the checkpoints it writes (None: none)
    kind: ClassVar[CheckpointKind | None] = None
    #: the progress bar's label
    label: ClassVar[str] = "epochs"
    #: what a checkpoint whose weights do not fit was written for
    written_for: ClassVar[str] = "another model or collection"
    model: nn.Module
    optimizer: torch.optim.Optimizer
    rng: np.random.Generator | None = None
    generator: torch.Generator | None = None
    early_stopping: EarlyStopping | None = None

    def settings(self) -> dict[str, Any] | None:
        """What a checkpoint must have been written with to be continued (the data's
        fingerprint and every setting but the number of epochs); None: not checked."""
        return None

    def begin(self) -> list[dict]:
        """Work before the first epoch of a fresh run; its history rows (none: nothing
        worth a checkpoint)."""
        return []

    def epoch(self, epoch: int) -> list[dict]:
        """Train epoch ``epoch`` (0 for the first); its history rows."""
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """What else a checkpoint holds."""
        return {}

    def resume_check(self, path: str | os.PathLike, state: Mapping[str, Any]) -> None:
        """Refuse a checkpoint of another run (one line), before anything is loaded."""
        current = self.settings()
        if current is not None:
            check_same_run(path, state["run"], current)

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Continue from a checkpoint's :meth:`state` (weights and optimiser are loaded)."""


def run_training(plan: TrainingPlan, epochs: int, seed: int, device: str = "cpu",
                 checkpoint: str | os.PathLike | None = None,
                 resume: bool = False) -> list[dict]:
    """Run ``plan`` to ``epochs`` epochs (fewer when it stops early); its history rows.

    ``checkpoint``: where the plan's :class:`~dglgene.train.checkpoint.CheckpointKind`
    writes the run after every epoch; ``resume=True`` continues from it (a missing
    file starts afresh).
    """
    dev = torch.device(device)
    ranks = current_ranks()
    stopping = plan.early_stopping
    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(seed)
        state = (plan.kind.resume_from(checkpoint, resume, device)
                 if plan.kind is not None else None)
        if state is None:
            history, done = plan.begin(), 0
            if history:
                _save(plan, checkpoint, device, history, done, ranks.is_first)
        else:
            plan.resume_check(checkpoint, state)
            load_states(checkpoint, [(plan.model, state["model"]),
                                     (plan.optimizer, state["optimizer"])],
                        written_for=plan.written_for)
            restore_random_state(state, device, plan.rng, plan.generator)
            if stopping is not None:
                stopping.load_state(state)
            plan.load_state(state)
            history, done = state["history"], state["epoch"]
        check_same_start(done, ranks)
        last = done
        for epoch in progress(range(done, epochs), plan.label, total=max(0, epochs - done)):
            if stopping is not None and stopping.stopped:
                break
            history += plan.epoch(epoch)
            last = epoch + 1
            _save(plan, checkpoint, device, history, epoch + 1, ranks.is_first)
    if stopping is not None:
        if stopping.stopped and not on_terminal():
            log_line(f"{plan.label} | stopped early after epoch {last}/{epochs}; best epoch "
                     f"{stopping.best_epoch + 1}")
        plan.model.load_state_dict(stopping.best_state)
    return history


def _save(plan: TrainingPlan, checkpoint: str | os.PathLike | None, device: str,
          history: list[dict], epoch: int, first_rank: bool) -> None:
    if checkpoint is None or plan.kind is None or not first_rank:
        return
    settings = plan.settings()
    plan.kind.save(checkpoint, {
        "model": plan.model.state_dict(), "optimizer": plan.optimizer.state_dict(),
        "history": history, "epoch": epoch,
        **({"run": settings} if settings is not None else {}),
        **(plan.early_stopping.state() if plan.early_stopping is not None else {}),
        **plan.state()}, device, plan.rng, plan.generator)

