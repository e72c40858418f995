"""Evaluation: MuSe-GNN's embedding metrics, embedding annotation and plots."""

from dglgene.eval.embedding import annotate_embedding
from dglgene.eval.grn_metrics import auprc, auroc, epr, grn_metrics
from dglgene.eval.metrics import (
    METRICS,
    common_gene_asw,
    common_gene_ratio,
    edge_auc,
    embedding_metrics,
    graph_connectivity,
    ilisi,
    neighbour_overlap,
    summarize_methods,
)
from dglgene.eval.plots import plot_pair_overlaps, plot_training, plot_umap

__all__ = [
    "METRICS",
    "annotate_embedding",
    "auprc",
    "auroc",
    "common_gene_asw",
    "common_gene_ratio",
    "edge_auc",
    "embedding_metrics",
    "epr",
    "graph_connectivity",
    "grn_metrics",
    "ilisi",
    "neighbour_overlap",
    "plot_pair_overlaps",
    "plot_training",
    "plot_umap",
    "summarize_methods",
]
