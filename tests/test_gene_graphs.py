"""Gene graphs from AnnData: planted modules recovered, spatial genes found, round trips."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest
import scanpy as sc
import scipy.sparse as sp
from scipy.spatial.distance import pdist

from dglgene.data import (
    GeneGraph,
    GraphCollection,
    GraphRecipe,
    build_collection,
    build_gene_graph,
    pearson_residuals,
    smooth_spots,
    sparkx_pvalues,
    spatial_neighbors,
)
from dglgene.data.features import node_features
from dglgene.datasets import simulate_collection
from dglgene.errors import DglgeneInputError


@pytest.fixture(scope="module")
def sim():
    return simulate_collection(seed=0)


@pytest.fixture(scope="module")
def sim_graphs(sim):
    return build_collection(sim.adatas)


def module_enrichment(graph: GeneGraph, modules: np.ndarray) -> tuple[float, float]:
    """Edge rate among same-module gene pairs and among different-module pairs."""
    a = graph.adjacency().toarray().astype(bool)
    np.fill_diagonal(a, False)
    same = (modules[:, None] == modules[None, :]) & (modules[:, None] >= 0)
    np.fill_diagonal(same, False)
    different = modules[:, None] != modules[None, :]
    return a[same].mean(), a[different].mean()


def test_graphs_recover_planted_modules(sim, sim_graphs) -> None:
    for graph in sim_graphs:
        within, between = module_enrichment(graph, sim.module_of(graph.genes))
        # measured (seed 0): within 0.91-1.00 for rna/spatial (CS-CORE), 0.62 for atac
        # (Pearson); between 0.005-0.07
        assert within > 0.5, graph.dataset
        assert within > 8 * between, graph.dataset


def test_graph_structure(sim, sim_graphs) -> None:
    for adata, graph in zip(sim.adatas, sim_graphs):
        a = graph.adjacency()
        assert (a != a.T).nnz == 0 and np.all(a.diagonal() == 1)  # symmetric, self-loops
        assert graph.dataset == adata.uns["dataset"] and graph.modality == adata.uns["modality"]
        assert graph.tissue == adata.uns["tissue"]
        feat = graph.graph.ndata["feat"]  # width fixed, whatever the cell count
        assert feat.shape == (graph.n_genes, GraphRecipe().n_components)
        assert set(graph.genes) <= set(adata.var_names)
        assert graph.info["density"] == pytest.approx(graph.density)
        expected = "pearson" if graph.modality == "atac" else "cscore"
        assert graph.info["method"] == expected


def test_vocabulary_maps_every_node(sim_graphs) -> None:
    vocab = np.array(sim_graphs.vocabulary)
    assert list(vocab) == sorted(set(vocab))
    for graph, ids in zip(sim_graphs, sim_graphs.gene_ids):
        assert list(vocab[ids]) == graph.genes


def test_overlaps_agree_with_gene_names(sim_graphs) -> None:
    overlaps = sim_graphs.overlaps(seed=0)
    assert len(overlaps) == len(sim_graphs) * (len(sim_graphs) - 1) // 2
    for i, j, p in overlaps:
        gi, gj = np.array(sim_graphs[i].genes), np.array(sim_graphs[j].genes)
        assert list(gi[p.common_i]) == list(gj[p.common_j])
        assert len(p.common_i) == len(set(gi) & set(gj))
    assert sim_graphs.overlaps(seed=0) is overlaps  # computed once


def test_n_hvg_and_top_k(sim) -> None:
    adata = sim.adatas[0]
    small = build_gene_graph(adata, n_hvg=50)
    assert small.n_genes == 50 and "top 50" in small.info["gene_selection"]
    whole = build_gene_graph(adata, n_hvg=5000)
    assert "kept all" in whole.info["gene_selection"]
    sparse = build_gene_graph(adata, top_k=3)
    full = build_gene_graph(adata)
    assert sparse.n_edges < full.n_edges
    assert sparse.adjacency().multiply(full.adjacency()).nnz == sparse.adjacency().nnz
    reduced = build_gene_graph(adata, n_components=16)
    assert reduced.graph.ndata["feat"].shape == (reduced.n_genes, 16)


def test_feature_reductions_keep_what_they_promise() -> None:
    rng = np.random.default_rng(0)
    # two groups of cells, each gene shifted by its own amount in the second group
    shift = rng.normal(0, 3, 40)
    group = np.repeat([0, 1], [300, 200])
    values = rng.normal(0, 0.1, (500, 40)) + np.outer(group, shift)
    pseudobulk = node_features(values, GraphRecipe(n_components=2, reduction="pseudobulk"))
    means = np.stack([values[group == 0].mean(0), values[group == 1].mean(0)], 1)
    # the two metacells are the two groups (in either order): their mean profiles
    assert (np.allclose(pseudobulk, means) or np.allclose(pseudobulk, means[:, ::-1]))
    # a random projection keeps the distances between genes (Johnson-Lindenstrauss)
    wide = rng.normal(0, 1, (2000, 30))
    projected = node_features(wide, GraphRecipe(n_components=1000, reduction="random"))
    ratio = pdist(projected) / pdist(wide.T)
    assert projected.shape == (30, 1000) and ratio.min() > 0.9 and ratio.max() < 1.1
    # PCA keeps the most variance a linear map to its width can
    structured = rng.normal(0, 1, (2000, 5)) @ rng.normal(0, 1, (5, 30)) + wide * 0.1
    pca = node_features(structured, GraphRecipe(n_components=5))
    top = np.linalg.svd(structured.T - structured.T.mean(0), compute_uv=False)[:5]
    assert np.linalg.norm(pca - pca.mean(0)) ** 2 == pytest.approx((top**2).sum(), rel=1e-6)
    with pytest.raises(DglgeneInputError, match="unknown reduction 'umap'"):
        GraphRecipe(reduction="umap")


def test_spatial_test_ranks_planted_genes_first(sim) -> None:
    adata = next(a for a in sim.adatas if a.uns["modality"] == "spatial")
    planted = set(sim.spatial_genes(adata))
    x = adata.X.toarray()
    p = sparkx_pvalues(np.log1p(x / x.sum(1, keepdims=True) * 1e4), adata.obsm["spatial"])
    is_planted = np.isin(adata.var_names, list(planted))
    # AUROC of -p for planted vs background genes
    ranks = np.argsort(np.argsort(-p))
    auc = (ranks[is_planted].mean() - (is_planted.sum() - 1) / 2) / (~is_planted).sum()
    assert auc > 0.9
    assert np.mean(p[~is_planted] < 0.05) < 0.15  # background: few false positives


def test_smooth_spots_averages_each_spot_with_its_neighbours() -> None:
    coords = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [10.0, 0.0]])
    values = sp.csr_matrix(np.array([[3.0], [6.0], [9.0], [100.0]]))
    smoothed = smooth_spots(values, coords, "knn", k=1).toarray().ravel()
    # 1-NN links 0-1, 1-0 (or 1-2), 2-1, 3-2; the union is symmetric
    adjacency = spatial_neighbors(coords, "knn", k=1).toarray() + np.eye(4)
    expected = adjacency @ values.toarray().ravel() / adjacency.sum(1)
    np.testing.assert_allclose(smoothed, expected)
    assert np.array_equal(adjacency, adjacency.T) and adjacency[3, 2] == 1
    triangle = spatial_neighbors(coords[:3] + np.array([[0, 0], [0, 1], [0, 0]]), "delaunay")
    assert triangle.sum() == 6  # three spots: every pair linked once each way


def test_spatial_smoothing_switches_auto_to_pearson(sim) -> None:
    adata = next(a for a in sim.adatas if a.uns["modality"] == "spatial")
    raw = build_gene_graph(adata)
    smoothed = build_gene_graph(adata, smoothing="knn")
    assert raw.info["method"] == "cscore" and smoothed.info["method"] == "pearson"
    # denoised spots: module genes stay linked at least as often as without smoothing
    modules = sim.module_of(smoothed.genes)
    assert module_enrichment(smoothed, modules)[0] >= module_enrichment(raw, modules)[0]


def test_pearson_residuals_match_scanpy() -> None:
    rng = np.random.default_rng(0)
    counts = sp.csr_matrix(rng.negative_binomial(2, 0.3, (60, 40)).astype(np.float32))
    adata = ad.AnnData(counts.copy())
    sc.experimental.pp.normalize_pearson_residuals(adata)
    np.testing.assert_allclose(pearson_residuals(counts), adata.X, atol=1e-4)
    # residuals of a gene subset use the totals of all genes
    np.testing.assert_allclose(pearson_residuals(counts, np.array([3, 7])), adata.X[:, [3, 7]],
                               atol=1e-4)


def test_mean_expression_is_each_genes_mean_log_normalised_count(sim, sim_graphs) -> None:
    adata, graph = sim.adatas[0], sim_graphs[0]
    assert graph.info["counts"]
    counts = adata.layers.get("counts", adata.X)
    counts = np.asarray(sp.csr_matrix(counts).toarray(), dtype=np.float64)
    # QC keeps every simulated cell; depth is each cell's total over the genes QC kept
    kept = np.asarray((counts > 0).sum(0)).ravel() >= 3
    depth = counts[:, kept].sum(1, keepdims=True)
    columns = adata.var_names.get_indexer(graph.genes)
    expected = np.log1p(1e4 * counts[:, columns] / depth).mean(0)
    np.testing.assert_allclose(graph.graph.ndata["mean_expression"].numpy(), expected,
                               rtol=1e-5)


def test_save_load_round_trip(sim_graphs, tmp_path) -> None:
    sim_graphs.save(tmp_path / "coll")
    loaded = GraphCollection.load(tmp_path / "coll")
    assert loaded.vocabulary == sim_graphs.vocabulary
    for a, b, ids_a, ids_b in zip(sim_graphs, loaded, sim_graphs.gene_ids, loaded.gene_ids):
        assert a.genes == b.genes and a.info == b.info
        assert (a.dataset, a.modality, a.tissue, a.species) == \
            (b.dataset, b.modality, b.tissue, b.species)
        assert np.array_equal(ids_a, ids_b)
        assert (a.adjacency() != b.adjacency()).nnz == 0
        for key in ("feat", "mean_expression"):
            assert np.array_equal(a.graph.ndata[key].numpy(), b.graph.ndata[key].numpy())
    assert sorted(p.name for p in (tmp_path).iterdir()) == ["coll"]  # no temporary left over


def test_real_data_without_counts_uses_pearson() -> None:
    from dglgene.datasets import load_pbmc68k_reduced

    graph = build_gene_graph(load_pbmc68k_reduced())
    assert graph.info["method"] == "pearson" and not graph.info["counts"]
    assert graph.n_genes == 765 and "kept all" in graph.info["gene_selection"]
    with pytest.raises(ValueError, match="CS-CORE needs raw counts"):
        build_gene_graph(load_pbmc68k_reduced(), method="cscore")


def test_significant_partners_are_counted_before_the_top_k_cut(sim) -> None:
    full = build_gene_graph(sim.adatas[0], top_k=None)
    cut = build_gene_graph(sim.adatas[0], top_k=3)
    partners = full.graph.ndata["significant_partners"].numpy()
    np.testing.assert_array_equal(partners, full.degree())  # no cut: the graph's degree
    np.testing.assert_array_equal(cut.graph.ndata["significant_partners"].numpy(), partners)
    assert cut.degree().sum() < full.degree().sum()
