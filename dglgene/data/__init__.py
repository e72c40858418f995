"""Data layer: AnnData -> GeneGraph / GraphCollection (see :mod:`dglgene.data.build`), and
GRN datasets (:class:`GRNData`) with their BEELINE/GENELink files."""

from dglgene.data.anndata_input import DatasetMeta, dataset_meta, expression_matrix, read_h5ad
from dglgene.data.beeline import read_beeline, read_split, write_beeline, write_split
from dglgene.data.build import (
    GraphRecipe,
    build_collection,
    build_gene_graph,
    coexpression,
    expression_values,
)
from dglgene.data.coexpression import cscore, edges_from_pvalues, pearson
from dglgene.data.collection import GraphCollection
from dglgene.data.expression import Expression, load_expression, prepare_expression
from dglgene.data.features import node_features
from dglgene.data.gene_graph import GeneGraph
from dglgene.data.gene_selection import joint_gene_selection, select_genes
from dglgene.data.grn_data import GRNData
from dglgene.data.normalization import pearson_residuals, residual_variance
from dglgene.data.qc import QualityControl, quality_control
from dglgene.data.spatial import smooth_spots, sparkx_pvalues, spatial_neighbors

__all__ = [
    "DatasetMeta",
    "Expression",
    "GRNData",
    "GeneGraph",
    "GraphCollection",
    "GraphRecipe",
    "QualityControl",
    "build_collection",
    "build_gene_graph",
    "coexpression",
    "cscore",
    "dataset_meta",
    "edges_from_pvalues",
    "expression_matrix",
    "expression_values",
    "joint_gene_selection",
    "load_expression",
    "node_features",
    "pearson",
    "pearson_residuals",
    "prepare_expression",
    "quality_control",
    "read_beeline",
    "read_h5ad",
    "read_split",
    "residual_variance",
    "select_genes",
    "smooth_spots",
    "sparkx_pvalues",
    "spatial_neighbors",
    "write_beeline",
    "write_split",
]
