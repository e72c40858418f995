"""Evaluation: MuSe-GNN's embedding metrics, planted-module scores, gene function (GO-term
prediction with floors and paired tests, label prediction, GO enrichment, differential
co-embedding), GRN metrics and plots."""

from dglgene.eval.differential import differential_genes, plot_differential
from dglgene.eval.embedding import annotate_embedding, cluster_embedding
from dglgene.eval.enrichment import embedding_clusters, enrich, enrich_clusters, plot_enrichment
from dglgene.eval.gene_function import (
    FLOORS,
    VIEWS,
    FunctionTask,
    evaluate_gene_function,
    function_floors,
    function_scores,
    function_task,
    neighbour_voting,
    plot_function_scores,
    summarize_function,
)
from dglgene.eval.gene_knn import coexpression_degree, random_embedding, unified_embedding
from dglgene.eval.grn_metrics import auprc, auroc, epr, grn_metrics
from dglgene.eval.label_prediction import LabelPrediction, predict_gene_labels
from dglgene.eval.metrics import (
    METRICS,
    common_gene_asw,
    common_gene_ratio,
    edge_auc,
    embedding_metrics,
    graph_connectivity,
    ilisi,
    leiden_clusters,
    neighbour_overlap,
    summarize_methods,
)
from dglgene.eval.planted_modules import planted_module_scores, same_gene_hit_rate
from dglgene.eval.plots import plot_pair_overlaps, plot_training, plot_umap

__all__ = [
    "FLOORS",
    "METRICS",
    "VIEWS",
    "FunctionTask",
    "LabelPrediction",
    "annotate_embedding",
    "auprc",
    "auroc",
    "cluster_embedding",
    "coexpression_degree",
    "common_gene_asw",
    "common_gene_ratio",
    "differential_genes",
    "edge_auc",
    "embedding_clusters",
    "embedding_metrics",
    "enrich",
    "enrich_clusters",
    "epr",
    "evaluate_gene_function",
    "function_floors",
    "function_scores",
    "function_task",
    "graph_connectivity",
    "grn_metrics",
    "ilisi",
    "leiden_clusters",
    "neighbour_overlap",
    "neighbour_voting",
    "planted_module_scores",
    "plot_differential",
    "plot_enrichment",
    "plot_function_scores",
    "plot_pair_overlaps",
    "plot_training",
    "plot_umap",
    "predict_gene_labels",
    "random_embedding",
    "same_gene_hit_rate",
    "summarize_function",
    "summarize_methods",
    "unified_embedding",
]
