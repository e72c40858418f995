"""The training loop of MuSe-GNN's Algorithm 1, for any GraphModel.

Per epoch, every graph i in a random order: draw one partner j != i at random, compute the
model's loss components on (i, j), step Adam (encoder and decoder learning rates apart).
A collection of one dataset trains on reconstruction alone (there is no j), with a warning.
Seeded and deterministic on CPU; checkpoints can resume a run exactly: they hold the CPU
random state, and the CUDA one when training on a GPU.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dglgene.atomic import atomic_path
from dglgene.data import GraphCollection
from dglgene.models.graph_model import GraphModel
from dglgene.progress import progress

#: What a checkpoint of :func:`fit` says it is; files of another format or version are refused.
CHECKPOINT_FORMAT, CHECKPOINT_VERSION = "dglgene.fit", 1


def load_checkpoint(path: str | Path, device: str = "cpu") -> dict:
    """A checkpoint written by :func:`fit`, checked: one-line ValueError naming the file
    when it is unreadable (truncated, corrupt), foreign or of another format version."""
    try:
        state = torch.load(path, map_location=device)
    except Exception as error:  # torch raises many kinds for a damaged file
        raise ValueError(f"{path}: not a readable checkpoint ({type(error).__name__}: "
                         f"{str(error).splitlines()[0] if str(error) else 'no detail'}); "
                         "delete it or start without --resume") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a dglgene training checkpoint; give one that "
                         "`dglgene embed --checkpoint` or `fit(checkpoint=...)` wrote")
    if state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint format version {state.get('version')}, but "
                         f"this dglgene reads version {CHECKPOINT_VERSION}; start afresh")
    return state


def dense_adjacency(collection: GraphCollection, device: torch.device) -> list[torch.Tensor]:
    return [torch.as_tensor(g.adjacency().toarray(), device=device) for g in collection]


def fit(model: GraphModel, collection: GraphCollection, epochs: int = 200, seed: int = 0,
        lr_encoder: float = 1e-3, lr_decoder: float = 1e-3, device: str = "cpu",
        checkpoint: str | Path | None = None, resume: bool = False,
        contrastive_genes: int | None = 100) -> pd.DataFrame:
    """Train ``model`` on ``collection``; return the loss history (one row per step).

    ``contrastive_genes``: different genes drawn per side and step for the contrastive
    loss (the reference draws 100; None: all).

    With ``checkpoint``, the model, optimiser, random states and history are written there
    after every epoch (atomically); ``resume=True`` continues from it.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA device; use --device cpu")
    if len(collection) == 1:
        warnings.warn("one dataset: nothing to align it with, so the model trains on graph "
                      "reconstruction alone (the cross-dataset losses are 0)", stacklevel=2)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameter_groups(lr_encoder, lr_decoder))
    history: list[dict] = []
    start = 0
    if resume and checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint, device)
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError) as error:
            raise ValueError(f"{checkpoint}: written for another model or collection "
                             f"({str(error).splitlines()[0]}); use the same data and config, "
                             "or start without --resume") from None
        rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"].cpu())  # map_location moved it
        if device.startswith("cuda") and "cuda_rng" in state:
            torch.cuda.set_rng_state(state["cuda_rng"].cpu(), device)
        history, start = state["history"], state["epoch"]
    overlaps = collection.overlaps(seed=seed)
    adjacency = dense_adjacency(collection, torch.device(device))
    n = len(collection)
    model.train()
    for epoch in progress(range(start, epochs), "epochs", total=epochs - start):
        for i in rng.permutation(n):
            j = int(rng.choice([k for k in range(n) if k != i])) if n > 1 else int(i)
            components = model.training_step(collection, int(i), j, overlaps, adjacency[i],
                                             rng, contrastive_genes)
            total = model.loss.total(components)
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            history.append({"epoch": epoch, "i": int(i), "j": j, "total": float(total),
                            **{k: float(v) for k, v in components.items()}})
        if checkpoint is not None:
            with atomic_path(checkpoint) as tmp:
                torch.save({"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
                            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                            "numpy_rng": rng.bit_generator.state,
                            "torch_rng": torch.get_rng_state(), "history": history,
                            **({"cuda_rng": torch.cuda.get_rng_state(device)}
                               if device.startswith("cuda") else {}),
                            "epoch": epoch + 1}, tmp, pickle_protocol=pickle.HIGHEST_PROTOCOL)
    return pd.DataFrame(history)
