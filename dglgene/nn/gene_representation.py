r"""Gene representations from a single-cell foundation model, for scTransNet's fusion.

:class:`PooledEncodings` reads a frozen encoder's last-layer encodings
:math:`h_{gc}` (cells x genes x dim, computed once by :func:`scbert_cell_encodings` and
kept on disk in a :class:`~dglgene.nn.cell_encodings.CellEncodings` store) and pools them
over cells into one vector per gene with a learned
:class:`~dglgene.nn.attentive_pooling.AttentivePooling` (or ``MeanPooling``, the
ablation). The pooling is trained with the GRN loss: each training step pools a random
subset of ``cells_per_step`` cells (so memory and time per step stay bounded); in
evaluation all cells are pooled, streamed in chunks. Only those cells are ever in memory.

:class:`FixedEmbedding` is the encoder for precomputed gene embeddings of any other
foundation model (genes x d, see :func:`dglgene.grn.gene_embeddings.read_gene_embeddings`).

Both return genes x dim, column-standardised so that their scale does not dominate the
GNN's representation in the concatenation.

Example
-------
>>> import torch
>>> rep = PooledEncodings(torch.randn(50, 7, 4), pooling="attentive", cells_per_step=16)
>>> rep().shape, rep.eval()().shape
(torch.Size([7, 4]), torch.Size([7, 4]))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from dglgene.errors import DglgeneInputError
from dglgene.nn.attentive_pooling import AttentivePooling, MeanPooling
from dglgene.nn.cell_encodings import CellEncodings
from dglgene.nn.performer import ScBertEncoder, iter_encodings
from dglgene.nn.scbert_tokens import expression_to_tokens, match_genes

__all__ = ["MAX_CELLS", "POOLING", "POOLINGS", "FixedEmbedding", "PooledEncodings",
           "scbert_cell_encodings", "standardise"]

POOLINGS = ("attentive", "mean")
#: scTransNet's pooling over cells: learned attention (mean: the ablation)
POOLING = "attentive"
#: cells encoded per dataset: enough for the pooling to learn from, bounded in cost
MAX_CELLS = 512


def standardise(x: Tensor) -> Tensor:
    """Zero mean, unit variance per column (constant columns stay zero)."""
    centred = x - x.mean(0)
    return centred / centred.std(0, unbiased=False).clamp_min(1e-6)


class PooledEncodings(nn.Module):
    """Learned pooling over cells of fixed per-cell gene encodings (cells x genes x dim),
    read from a :class:`~dglgene.nn.cell_encodings.CellEncodings` store (a tensor is
    copied into one), so that memory stays flat in the number of cells. ``pooling``:
    ``"attentive"``, ``"mean"`` or a module that pools like
    :class:`~dglgene.nn.attentive_pooling.AttentivePooling`."""

    def __init__(self, encodings: Tensor | CellEncodings, pooling: str | nn.Module = POOLING,
                 cells_per_step: int = 64, chunk_cells: int = 64) -> None:
        super().__init__()
        if isinstance(encodings, Tensor):
            if encodings.ndim != 3:
                raise ValueError("encodings must be a non-empty cells x genes x dim tensor")
            encodings = CellEncodings.from_tensor(encodings, chunk_cells)
        if len(encodings) == 0:
            raise ValueError("encodings must be a non-empty cells x genes x dim tensor")
        if isinstance(pooling, str) and pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; choose one of {', '.join(POOLINGS)}")
        self.encodings = encodings  # data, not weights: outside the state dict
        # moves with the module, so cells read from disk land on the module's device
        self.register_buffer("_device", torch.empty(0), persistent=False)
        self.pool = (pooling if isinstance(pooling, nn.Module) else
                     AttentivePooling(encodings.dim) if pooling == "attentive" else MeanPooling())
        self.cells_per_step, self.chunk_cells = cells_per_step, chunk_cells
        self.out_feats = encodings.dim

    def forward(self) -> Tensor:
        device, n_cells = self._device.device, len(self.encodings)
        if self.training and n_cells > self.cells_per_step:
            pick = torch.randperm(n_cells, device=device)[:self.cells_per_step]
            return standardise(self.pool(self.encodings.cells(pick.tolist()).to(device)))
        return standardise(self.pool.pool_chunks(
            chunk.to(device) for chunk in self.encodings.chunks(self.chunk_cells)))


class FixedEmbedding(nn.Module):
    """Precomputed gene embeddings (genes x d), frozen.

    ``standardised=True``: the embedding is already column-standardised (a saved model's
    pooled representation) and is kept as it is, bit for bit."""

    def __init__(self, embedding: Tensor | np.ndarray, standardised: bool = False) -> None:
        super().__init__()
        embedding = torch.as_tensor(np.asarray(embedding, dtype=np.float32))
        if embedding.ndim != 2 or not torch.isfinite(embedding).all():
            raise ValueError("gene embeddings must be a finite genes x d matrix")
        self.register_buffer("embedding", embedding if standardised else standardise(embedding),
                             persistent=False)
        self.out_feats = embedding.shape[1]

    def forward(self) -> Tensor:
        return self.embedding


def scbert_cell_encodings(model: ScBertEncoder, expression: pd.DataFrame,
                          model_genes: Sequence[str], max_cells: int | None = MAX_CELLS,
                          batch_size: int = 8, seed: int = 0) -> CellEncodings:
    """Last-layer encodings (cells x genes x dim) of ``expression``'s genes by ``model``,
    written to a :class:`~dglgene.nn.cell_encodings.CellEncodings` store chunk by chunk.

    ``expression``: genes x cells, tokenised as scBERT's preprocessing does (normalised to
    1e4 per cell, log2(1 + x), binned), also when the values are not counts, so that the
    tokens match :func:`~dglgene.train.pretrain.pretrain_scbert`'s. Every cell is fed with
    all of the model's genes in the model's order (genes the dataset lacks are token 0, as
    scBERT was trained); the encodings of the dataset's genes are kept, zeros for genes the
    model does not know. At most ``max_cells`` cells (drawn with ``seed``) are encoded.
    Raises ValueError when no gene matches.
    """
    index, report = match_genes(list(expression.index), list(model_genes))
    if report.n_matched == 0:
        raise DglgeneInputError(f"none of the {report.n_dataset} genes is in the encoder's gene "
                                "list (different species or gene identifiers?); use --encoder "
                                "none or another checkpoint")
    values = expression.to_numpy(np.float32).T  # cells x genes
    if max_cells is not None and values.shape[0] > max_cells:
        pick = np.sort(np.random.default_rng(seed).choice(values.shape[0], max_cells,
                                                          replace=False))
        values = values[pick]
    ok = index >= 0
    ordered = np.zeros((values.shape[0], len(model_genes)), dtype=np.float32)
    ordered[:, index[ok]] = values[:, ok]
    tokens = expression_to_tokens(ordered)
    if tokens.shape[1] < model.max_seq_len:  # scBERT's trailing position(s)
        pad = tokens.new_zeros(tokens.shape[0], model.max_seq_len - tokens.shape[1])
        tokens = torch.cat([tokens, pad], dim=1)
    keep, columns = torch.as_tensor(index[ok]), torch.as_tensor(np.flatnonzero(ok))
    store = CellEncodings(len(index), model.config["dim"])
    for chunk in iter_encodings(model.eval(), tokens, batch_size):
        out = torch.zeros(len(chunk), len(index), model.config["dim"])
        out[:, columns] = chunk[:, keep]
        store.append(out)
    return store
