"""scTransNet's pipeline: ``dglgene grn``, ``dglgene bench-grn`` and ``dglgene pretrain``.

One concept per module, lower ones first (a GRN dataset, :class:`~dglgene.data.GRNData`,
and its BEELINE/GENELink files, :mod:`dglgene.data.beeline`, live in the data layer, so
that :mod:`dglgene.datasets` builds its GRN benchmarks without this package):

- :mod:`~dglgene.grn.degree_matched`: negatives with the positives' degrees;
- :mod:`~dglgene.grn.splits`: leak-free transductive, held-out-TF and degree-aware splits;
- :mod:`~dglgene.grn.gene_embeddings`: precomputed gene embeddings of any model;
- :mod:`~dglgene.grn.settings`: :class:`GRNSettings`, whose defaults are the parts'
  settings classes';
- :mod:`~dglgene.grn.encoder`: the foundation-model side (checkpoint, pre-training on the
  cells, precomputed, none);
- :mod:`~dglgene.grn.selection`: the training length for unseen TFs by TF folds;
- :mod:`~dglgene.grn.methods`: scTransNet, its ablations and the baselines;
- :mod:`~dglgene.grn.network`: :func:`to_decoupler`, the inferred network for other tools;
- :mod:`~dglgene.grn.pipeline`: :func:`run_grn`, what ``dglgene grn`` runs;
- :mod:`~dglgene.grn.report`: tables over seeds, methods compared TF by TF;
- :mod:`~dglgene.grn.pretraining`: :func:`run_pretrain`, what ``dglgene pretrain`` runs.
"""

from dglgene.grn.encoder import cells_to_anndata, encoder_encodings, pretrain_on_cells
from dglgene.grn.gene_embeddings import read_gene_embeddings
from dglgene.grn.methods import (
    BASELINES,
    baseline_scores,
    method_metrics,
    train_model,
    train_scores,
)
from dglgene.grn.network import NETWORK_COLUMNS, to_decoupler
from dglgene.grn.pipeline import run_grn
from dglgene.grn.pretraining import run_pretrain
from dglgene.grn.report import (
    format_grn_table,
    grn_table,
    paired_tf_comparison,
    per_tf_auroc,
)
from dglgene.grn.selection import choose_epoch, fold_curves, tf_folds, unseen_validation_tfs
from dglgene.grn.settings import VAL_METRICS, GRNSettings
from dglgene.grn.splits import (
    SPLIT_KINDS,
    check_splits,
    degree_aware_split,
    held_out_tf_split,
    make_splits,
    read_genelink_splits,
    transductive_split,
    write_genelink_splits,
)

__all__ = [
    "BASELINES",
    "NETWORK_COLUMNS",
    "SPLIT_KINDS",
    "VAL_METRICS",
    "GRNSettings",
    "baseline_scores",
    "cells_to_anndata",
    "check_splits",
    "choose_epoch",
    "degree_aware_split",
    "encoder_encodings",
    "fold_curves",
    "format_grn_table",
    "grn_table",
    "held_out_tf_split",
    "make_splits",
    "method_metrics",
    "paired_tf_comparison",
    "per_tf_auroc",
    "pretrain_on_cells",
    "read_gene_embeddings",
    "read_genelink_splits",
    "run_grn",
    "run_pretrain",
    "tf_folds",
    "to_decoupler",
    "train_model",
    "train_scores",
    "transductive_split",
    "unseen_validation_tfs",
    "write_genelink_splits",
]
