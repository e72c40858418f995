"""Training checkpoints: what a training loop writes after every epoch, so that a killed
run resumes to exactly the result of an uninterrupted one (bit for bit on CPU).

A checkpoint is one torch file, ``{"format", "version", ...}``, written atomically
(:func:`~dglgene.atomic.atomic_path`: a run killed while writing leaves the previous one).
Each loop has its own :class:`CheckpointKind`, whose ``format`` names the loop, so that a
checkpoint of one loop given to another is refused: :data:`FIT` (MuSe-GNN,
:func:`~dglgene.train.fit.fit`), :data:`FIT_LINKS` (scTransNet,
:func:`~dglgene.train.fit_links.fit_links`) and :data:`PRETRAIN` (scBERT,
:func:`~dglgene.train.pretrain.pretrain_scbert`). Beside the loop's own state (weights,
optimiser, history, epoch) a checkpoint holds the random states (:func:`random_state`):
the CPU one always, the CUDA one when training on a GPU, and the NumPy generator or torch
``Generator`` the loop draws from.

Every refusal is one :class:`~dglgene.errors.DglgeneInputError` line naming the file, the
problem and the fix: unreadable (truncated, corrupt), foreign, another loop's, of another
format version, written for another model (:func:`load_states`) or for another run
(other data or settings, :func:`check_same_run`).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run.pt"
>>> model = torch.nn.Linear(2, 1)
>>> PRETRAIN.save(path, {"model": model.state_dict(), "epoch": 3})
>>> state = PRETRAIN.resume_from(path, resume=True)
>>> load_states(path, [(model, state["model"])]); state["epoch"]
3
>>> try:
...     FIT_LINKS.load(path)
... except ValueError as error:
...     print(str(error).split(": ", 1)[1])  # doctest: +NORMALIZE_WHITESPACE
a dglgene pre-training checkpoint, not a GRN training checkpoint; give one that
`dglgene grn --train-checkpoint` or `fit_links(checkpoint=...)` wrote
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dglgene.atomic import atomic_path
from dglgene.errors import DglgeneInputError
from dglgene.versioned_file import load_versioned

__all__ = ["FIT", "FIT_LINKS", "PRETRAIN", "CheckpointKind", "check_same_run", "fingerprint",
           "load_states", "random_state", "restore_random_state"]

_RESTART = "start without --resume"


@dataclass(frozen=True)
class CheckpointKind:
    """The checkpoints of one training loop: ``format`` and ``version`` say what a file is.

    ``name`` and ``writer`` ("`dglgene grn --train-checkpoint` or `fit_links(...)`") make
    the refusals; ``foreign`` replaces the one for a file that is no dglgene checkpoint.
    """

    format: str
    version: int
    name: str
    writer: str
    foreign: str | None = None

    def save(self, path: str | os.PathLike, state: Mapping[str, Any], device: str = "cpu",
             rng: np.random.Generator | None = None,
             generator: torch.Generator | None = None) -> None:
        """Write ``state`` and the random states (:func:`random_state`) to ``path``, atomically."""
        with atomic_path(path) as tmp:
            torch.save({"format": self.format, "version": self.version, **state,
                        **random_state(device, rng, generator)}, tmp,
                       pickle_protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, path: str | os.PathLike, device: str = "cpu") -> dict:
        """The checkpoint at ``path``, checked to be of this kind and version (tensors on
        ``device``)."""
        return load_versioned(path, self.format, self.version, what="checkpoint",
                              foreign=self._not_mine,
                              unreadable_fix=f"delete it or {_RESTART}",
                              version_fix="start afresh", map_location=device)

    def resume_from(self, path: str | os.PathLike | None, resume: bool,
                    device: str = "cpu") -> dict | None:
        """What to continue from: the checkpoint at ``path`` when ``resume`` and it exists
        (a run that had not written one yet starts afresh), else None."""
        if not resume or path is None or not Path(path).exists():
            return None
        return self.load(path, device)

    def _not_mine(self, content: Any) -> str:
        other = KINDS.get(content.get("format")) if isinstance(content, dict) else None
        wanted = f"give one that {self.writer} wrote"
        if other is not None:
            return f"a dglgene {other.name}, not a {self.name}; {wanted}"
        return self.foreign or f"not a dglgene {self.name}; {wanted}"


#: MuSe-GNN's loop (``dglgene embed --checkpoint``)
FIT = CheckpointKind(
    "dglgene.fit", 1, "MuSe-GNN training checkpoint",
    "`dglgene embed --checkpoint` or `fit(checkpoint=...)`",
    foreign="not a dglgene training checkpoint; give one that `dglgene embed --checkpoint` or "
            "`fit(checkpoint=...)` wrote")
#: scTransNet's link training with early stopping (``dglgene grn --train-checkpoint``)
FIT_LINKS = CheckpointKind("dglgene.fit_links", 1, "GRN training checkpoint",
                           "`dglgene grn --train-checkpoint` or `fit_links(checkpoint=...)`")
#: scBERT masked-value pre-training (``dglgene pretrain --checkpoint``)
PRETRAIN = CheckpointKind("dglgene.pretrain_scbert", 1, "pre-training checkpoint",
                          "`dglgene pretrain --checkpoint` or `pretrain_scbert(checkpoint=...)`")
#: format -> kind, for the refusal of another loop's checkpoint
KINDS = {kind.format: kind for kind in (FIT, FIT_LINKS, PRETRAIN)}


def random_state(device: str = "cpu", rng: np.random.Generator | None = None,
                 generator: torch.Generator | None = None) -> dict[str, Any]:
    """The random states a loop draws from: torch's CPU one (``torch_rng``), the CUDA one of
    ``device`` (``cuda_rng``, on a GPU), ``rng``'s (``numpy_rng``) and ``generator``'s."""
    state: dict[str, Any] = {"torch_rng": torch.get_rng_state()}
    if device.startswith("cuda"):
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    if rng is not None:
        state["numpy_rng"] = rng.bit_generator.state
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def restore_random_state(state: Mapping[str, Any], device: str = "cpu",
                         rng: np.random.Generator | None = None,
                         generator: torch.Generator | None = None) -> None:
    """Set the random states :func:`random_state` saved (the CUDA one when both the run
    and the checkpoint are on a GPU)."""
    torch.set_rng_state(state["torch_rng"].cpu())  # map_location may have moved it
    if device.startswith("cuda") and "cuda_rng" in state:
        torch.cuda.set_rng_state(state["cuda_rng"].cpu(), device)
    if rng is not None:
        rng.bit_generator.state = state["numpy_rng"]
    if generator is not None:
        generator.set_state(state["generator"].cpu())


def load_states(path: str | os.PathLike, pairs: Sequence[tuple[Any, Mapping[str, Any]]],
                written_for: str = "another model or collection",
                fix: str = f"use the same data and config, or {_RESTART}") -> None:
    """``target.load_state_dict(state)`` for each pair (modules, optimisers); a state that
    does not fit is refused with one line: the checkpoint was written for something else."""
    try:
        for target, state in pairs:
            target.load_state_dict(state)
    except (RuntimeError, ValueError, KeyError) as error:
        raise DglgeneInputError(f"{path}: written for {written_for} "
                                f"({str(error).splitlines()[0]}); {fix}") from None


def check_same_run(path: str | os.PathLike, saved: Mapping[str, Any],
                   current: Mapping[str, Any]) -> None:
    """Refuse to continue a run with other settings or data than the checkpoint's: each
    key of ``current`` (seed, learning rate, ..., ``data``: a :func:`fingerprint`) must
    equal the saved one. The number of epochs may differ (a run can be extended)."""
    for key, value in current.items():
        if saved.get(key) != value:
            what = "other data" if key == "data" else f"{key} {saved.get(key)!r}, not {value!r}"
            raise DglgeneInputError(f"{path}: written for another run ({what}); use the same "
                                    f"data and options, or {_RESTART}")


def fingerprint(*parts: np.ndarray | torch.Tensor | str) -> str:
    """A short digest of arrays (values, dtype, shape) and strings: what a run was fed."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, str):
            digest.update(part.encode())
            continue
        array = np.ascontiguousarray(part.detach().cpu().numpy() if isinstance(part, torch.Tensor)
                                     else part)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]
