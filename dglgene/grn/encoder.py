"""The foundation-model side of a GRN run: what a frozen single-cell encoder gives each gene.

A checkpoint (scBERT's format, with its gene list stored in it or given as a file), a small
encoder pre-trained on the data's own cells (seed 0, self-supervised: no labels involved),
precomputed gene embeddings of any other model, or nothing.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from dglgene.data.grn_data import GRNData
from dglgene.errors import DglgeneInputError
from dglgene.grn.gene_embeddings import read_gene_embeddings
from dglgene.grn.settings import GRNSettings
from dglgene.nn.cell_encodings import CellEncodings
from dglgene.nn.gene_representation import scbert_cell_encodings
from dglgene.nn.performer import ScBertEncoder, checkpoint_genes, load_scbert_checkpoint
from dglgene.nn.scbert_tokens import read_gene_list
from dglgene.train.pretrain import pretrain_scbert

__all__ = ["cells_to_anndata", "encoder_encodings", "pretrain_on_cells"]


def encoder_encodings(data: GRNData, encoder: str = "scbert",
                      checkpoint: str | os.PathLike | None = None,
                      settings: GRNSettings | None = None,
                      device: str = "cpu", pretrain_checkpoint: str | os.PathLike | None = None,
                      resume: bool = False, gene_list: str | os.PathLike | None = None,
                      pretrain_cells: Sequence[pd.DataFrame] | None = None
                      ) -> CellEncodings | np.ndarray | None:
    """What the foundation-model side contributes for ``data``'s genes.

    ``"scbert"``: cell encodings (cells x genes x dim, on disk) from ``checkpoint`` (whose
    gene order is its ``genes`` entry, or ``gene_list``: a file of one gene per line,
    :func:`~dglgene.nn.scbert_tokens.read_gene_list`, for checkpoints such as scBERT's
    own that carry none) or, without one, from a small encoder pre-trained on
    ``data``'s cells, or on ``pretrain_cells`` (:func:`pretrain_on_cells`;
    ``pretrain_checkpoint``/``resume``: that pre-training's, see
    :func:`~dglgene.train.pretrain.pretrain_scbert`);
    ``"precomputed:PATH"``: a genes x d array; ``"none"``: None.
    """
    settings = settings or GRNSettings()
    if encoder == "none":
        return None
    if encoder.startswith("precomputed:"):
        matrix, report = read_gene_embeddings(encoder.split(":", 1)[1], data.genes)
        print(f"precomputed gene embeddings: {report}")
        return matrix
    if encoder != "scbert":
        raise DglgeneInputError(f"unknown encoder {encoder!r}; use scbert, precomputed:PATH or "
                                "none")
    if gene_list is not None and checkpoint is None:
        raise DglgeneInputError("a gene list names the positions of a checkpoint; give the "
                                "checkpoint too (--checkpoint)")
    if checkpoint is not None:
        if not Path(checkpoint).is_file():
            raise DglgeneInputError(f"checkpoint {str(checkpoint)!r} does not exist")
        genes = read_gene_list(gene_list) if gene_list is not None \
            else checkpoint_genes(checkpoint)
        if genes is None:
            raise DglgeneInputError(f"checkpoint {str(checkpoint)!r} has no gene list (a 'genes' "
                                    "entry); give its gene order with --gene-list FILE (one "
                                    "gene per line; scBERT's: its 16,906 gene2vec genes)")
        model = load_scbert_checkpoint(checkpoint, with_head=False)
        if len(genes) > model.max_seq_len:
            raise DglgeneInputError(f"the gene list names {len(genes)} genes but checkpoint "
                                    f"{str(checkpoint)!r} has {model.max_seq_len} positions; "
                                    "give the checkpoint's own gene list")
    else:
        model, genes = pretrain_on_cells(data, settings, device, pretrain_checkpoint, resume,
                                         pretrain_cells)
    return scbert_cell_encodings(model.to(device), data.expression, genes,
                                 max_cells=settings.max_cells)


def cells_to_anndata(cells: Sequence[pd.DataFrame], genes: Sequence[str]) -> list[ad.AnnData]:
    """Genes x cells frames (e.g. :func:`~dglgene.datasets.collectri.real_cells`) as
    cells x ``genes`` AnnData, one per frame: what an encoder is pre-trained on."""
    adatas = []
    for frame in cells:
        adata = ad.AnnData(frame.loc[list(genes)].T.to_numpy(np.float32))
        adata.var_names, adata.obs_names = list(genes), list(map(str, frame.columns))
        adatas.append(adata)
    return adatas


def pretrain_on_cells(data: GRNData, settings: GRNSettings, device: str = "cpu",
                      checkpoint: str | os.PathLike | None = None, resume: bool = False,
                      cells: Sequence[pd.DataFrame] | None = None
                      ) -> tuple[ScBertEncoder, list[str]]:
    """A small scBERT-style encoder for ``data``'s genes, pre-trained (masked values, seed 0)
    on ``data``'s cells or on ``cells`` (genes x cells frames with ``data``'s values, e.g.
    :func:`~dglgene.datasets.collectri.real_cells`); ``checkpoint``/``resume`` as
    :func:`~dglgene.train.pretrain.pretrain_scbert`'s."""
    adatas = cells_to_anndata(cells if cells is not None else [data.expression], data.genes)
    with warnings.catch_warnings():  # log-normalised input is binned as counts, as scBERT does
        warnings.simplefilter("ignore", UserWarning)
        result = pretrain_scbert(adatas, config=settings.pretrain_config,
                                 epochs=settings.pretrain_epochs, seed=0, genes=data.genes,
                                 device=device, checkpoint=checkpoint, resume=resume)
    return result.model, result.genes
