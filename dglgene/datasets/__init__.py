"""Built-in datasets: real human single-cell sets (offline), GRN benchmarks and simulators."""

from dglgene.datasets.beeline import load_beeline_mdc
from dglgene.datasets.collectri import load_collectri_benchmark
from dglgene.datasets.genes import MAPPING_KINDS, human_genes, map_symbols, mapping_rate
from dglgene.datasets.go import go_gene_sets, read_gmt
from dglgene.datasets.msigdb import msigdb_collections, msigdb_gene_sets
from dglgene.datasets.real import (
    SOURCES,
    load_celltypist_sample,
    load_hnscc,
    load_kang_control,
    load_kang_stimulated,
    load_oligodendroglioma,
    load_pbmc3k,
    load_pbmc68k_reduced,
    load_wu2020,
    real_corpus,
    real_human,
    real_pbmc,
)
from dglgene.datasets.sergio import SergioNoise, simulate_sergio_grn
from dglgene.datasets.simulated import (
    SimulatedCollection,
    simulate_case_control,
    simulate_collection,
)
from dglgene.datasets.spatial_scc import load_scc_spatial

__all__ = [
    "MAPPING_KINDS", "SOURCES", "SergioNoise", "SimulatedCollection", "go_gene_sets", "human_genes",
    "load_beeline_mdc",
    "load_celltypist_sample", "load_collectri_benchmark", "load_hnscc", "load_kang_control",
    "load_kang_stimulated", "load_oligodendroglioma", "load_pbmc3k", "load_pbmc68k_reduced",
    "load_scc_spatial",
    "load_wu2020", "map_symbols", "mapping_rate", "msigdb_collections", "msigdb_gene_sets",
    "read_gmt", "real_corpus", "real_human", "real_pbmc", "simulate_case_control",
    "simulate_collection", "simulate_sergio_grn",
]
