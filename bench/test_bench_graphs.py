"""Benchmarks of gene-graph construction on the real built-in datasets.

Group ``graphs-real``: one dataset -> GeneGraph (QC, gene selection, residuals, test), per
dataset and co-expression method (CS-CORE only where the source has counts).
Group ``coexpression-genes``: the co-expression step alone, CS-CORE against Pearson, on
the CellTypist counts at 500, 1000 and 2000 genes.
"""

from __future__ import annotations

from functools import cache

import anndata as ad
import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from dglgene.data import GraphRecipe, build_gene_graph, cscore, pearson, prepare_expression
from dglgene.data.normalization import pearson_residuals, residual_variance
from dglgene.datasets import (
    load_celltypist_sample,
    load_hnscc,
    load_oligodendroglioma,
    load_wu2020,
)

LOADERS = {"celltypist_immune": load_celltypist_sample, "wu2020_tcells": load_wu2020,
           "oligodendroglioma": load_oligodendroglioma, "hnscc": load_hnscc}
# CS-CORE needs counts: the two sets without them are built with Pearson only.
CASES = [("celltypist_immune", "cscore"), ("celltypist_immune", "pearson"),
         ("wu2020_tcells", "cscore"), ("wu2020_tcells", "pearson"),
         ("oligodendroglioma", "pearson"), ("hnscc", "pearson")]


@cache
def dataset(name: str) -> ad.AnnData:
    return LOADERS[name]()


@pytest.mark.benchmark(group="graphs-real")
@pytest.mark.parametrize(("name", "method"), CASES)
def test_build_real_graph(benchmark: BenchmarkFixture, name: str, method: str) -> None:
    adata = dataset(name)
    graph = benchmark.pedantic(build_gene_graph, args=(adata,), kwargs={"method": method},
                               rounds=3, iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(dataset=name, method=method, cells=graph.info["n_cells"],
                                genes=graph.n_genes, edges=graph.n_edges,
                                density=graph.density)


@cache
def celltypist_top_genes(n_genes: int) -> tuple:
    expr = prepare_expression(dataset("celltypist_immune"), GraphRecipe())
    top = np.sort(np.argsort(-residual_variance(expr.matrix))[:n_genes])
    return expr.matrix[:, top].toarray(), expr.depth, pearson_residuals(expr.matrix, top)


@pytest.mark.benchmark(group="coexpression-genes")
@pytest.mark.parametrize("method", ["cscore", "pearson"])
@pytest.mark.parametrize("n_genes", [500, 1000, 2000])
def test_coexpression_cost(benchmark: BenchmarkFixture, n_genes: int, method: str) -> None:
    counts, depth, residuals = celltypist_top_genes(n_genes)
    if method == "cscore":
        estimate, _ = benchmark.pedantic(cscore, args=(counts, depth), rounds=3, iterations=1)
    else:
        estimate, _ = benchmark.pedantic(pearson, args=(residuals,), rounds=3, iterations=1)
    assert estimate.shape == (n_genes, n_genes)
    benchmark.extra_info.update(method=method, n_genes=n_genes, cells=counts.shape[0])
