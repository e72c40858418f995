"""scTransNet's pipeline: ``dglgene grn``, ``dglgene bench-grn`` and ``dglgene pretrain``.

One concept per module, lower ones first:

- :mod:`~dglgene.grn.dataset`: :class:`GRNData`, expression plus a known network;
- :mod:`~dglgene.grn.io`: the BEELINE/GENELink directory layout and split files;
- :mod:`~dglgene.grn.degree_matched`: negatives with the positives' degrees;
- :mod:`~dglgene.grn.splits`: leak-free transductive, held-out-TF and degree-aware splits;
- :mod:`~dglgene.grn.gene_embeddings`: precomputed gene embeddings of any model;
- :mod:`~dglgene.grn.settings`: :class:`GRNSettings`, whose defaults are the parts'
  settings classes';
- :mod:`~dglgene.grn.encoder`: the foundation-model side (checkpoint, pre-training on the
  cells, precomputed, none);
- :mod:`~dglgene.grn.methods`: scTransNet, its ablations and the baselines;
- :mod:`~dglgene.grn.network`: :func:`to_decoupler`, the inferred network for other tools;
- :mod:`~dglgene.grn.pipeline`: :func:`run_grn`, what ``dglgene grn`` runs;
- :mod:`~dglgene.grn.report`: tables over seeds;
- :mod:`~dglgene.grn.pretraining`: :func:`run_pretrain`, what ``dglgene pretrain`` runs.

Names load on first use (as ``dglgene``'s subpackages do), so that the data layers can
import :mod:`~dglgene.grn.dataset` and :mod:`~dglgene.grn.io` without the pipeline.
"""

import importlib

_MODULES = {
    "dataset": ["GRNData"],
    "io": ["read_beeline", "read_split", "write_beeline", "write_split"],
    "splits": ["SPLIT_KINDS", "check_splits", "degree_aware_split", "held_out_tf_split",
               "make_splits", "read_genelink_splits", "transductive_split",
               "write_genelink_splits"],
    "gene_embeddings": ["read_gene_embeddings"],
    "settings": ["VAL_METRICS", "GRNSettings"],
    "encoder": ["encoder_encodings", "pretrain_on_cells"],
    "methods": ["BASELINES", "baseline_scores", "method_metrics", "train_model",
                "train_scores"],
    "network": ["NETWORK_COLUMNS", "to_decoupler"],
    "pipeline": ["run_grn"],
    "report": ["format_grn_table", "grn_table"],
    "pretraining": ["run_pretrain"],
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> object:
    if name in _HOME:
        return getattr(importlib.import_module(f"dglgene.grn.{_HOME[name]}"), name)
    raise AttributeError(f"module 'dglgene.grn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
