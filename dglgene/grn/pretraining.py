"""What ``dglgene pretrain`` runs: pre-train an scBERT-style encoder on ``.h5ad`` files and
write its checkpoint, training curve and history.

The training itself is :func:`~dglgene.train.pretrain.pretrain_scbert`; the curve is
:func:`~dglgene.eval.plots.plot_pretraining`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anndata as ad

from dglgene.atomic import atomic_path
from dglgene.data.anndata_input import read_h5ad
from dglgene.errors import DglgeneInputError
from dglgene.eval.plots import plot_pretraining
from dglgene.nn.performer import save_scbert_checkpoint
from dglgene.train.pretrain import pretrain_scbert

__all__ = ["CHECKPOINT_NAME", "CURVE_NAME", "HISTORY_NAME", "run_pretrain"]

CHECKPOINT_NAME, CURVE_NAME, HISTORY_NAME = "scbert_pretrain.pth", "pretrain_curve.png", \
    "pretrain_history.csv"


def run_pretrain(inputs: Sequence[str | Path | ad.AnnData], out: str | Path,
                 **kwargs: Any) -> dict[str, Any]:
    """Pre-train on ``.h5ad`` files (or AnnData); write checkpoint, curve and history to ``out``.

    ``out`` (a directory, created) receives ``scbert_pretrain.pth`` (scBERT's format plus
    ``config`` and ``genes``; load with
    :func:`~dglgene.nn.performer.load_scbert_checkpoint`), ``pretrain_curve.png`` and
    ``pretrain_history.csv``, each written atomically. ``kwargs`` (``config``,
    ``epochs``, ``seed``, ``n_genes``, ``checkpoint``, ``resume``, ...) go to
    :func:`~dglgene.train.pretrain.pretrain_scbert`. Returns a summary (paths, sizes,
    last-epoch scores).
    Bad input (no files, a file twice, unreadable, empty, NaN, negative values, duplicate
    genes) raises a one-line ``ValueError`` (``FileNotFoundError`` for a missing file).
    """
    if not inputs:
        raise DglgeneInputError("no input files; pass one or more .h5ad files")
    seen = set()
    for p in inputs:
        if isinstance(p, ad.AnnData):
            continue
        key = Path(p).resolve()
        if key in seen:
            raise DglgeneInputError(f"{p}: given more than once; each file is one dataset")
        seen.add(key)
    adatas = [p if isinstance(p, ad.AnnData) else read_h5ad(Path(p)) for p in inputs]
    result = pretrain_scbert(adatas, **kwargs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / CHECKPOINT_NAME
    save_scbert_checkpoint(result.model, checkpoint, genes=result.genes)
    curve = plot_pretraining(result.history, out / CURVE_NAME)
    history_path = out / HISTORY_NAME
    with atomic_path(history_path) as tmp:
        result.history.to_csv(tmp, index=False)
    last = result.history.iloc[-1]
    return dict(checkpoint=str(checkpoint), curve=str(curve), history=str(history_path),
                datasets=len(adatas), cells=int(result.history.attrs["n_train"]
                                                + result.history.attrs["n_val"]),
                genes=len(result.genes), epochs=len(result.history),
                seconds=float(last["seconds"]),
                **{k: float(last[k]) for k in ("train_loss", "val_loss", "val_acc",
                                               "baseline_loss", "baseline_acc")})
