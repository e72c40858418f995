"""Cells read in blocks: every step gives the in-memory answer whatever the block size, and
an .h5ad read backed gives the graph the in-memory file gives."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from dglgene.data import GraphRecipe, build_gene_graph, cell_chunks, cscore, prepare_expression
from dglgene.data.anndata_input import open_h5ad_backed
from dglgene.data.normalization import pearson_residuals, residual_variance
from dglgene.data.qc import QualityControl, keep_cells_and_genes, quality_control
from dglgene.datasets import simulate_collection
from dglgene.errors import DglgeneInputError


@np.errstate(invalid="ignore", divide="ignore")  # genes never seen: 0 / 0
def cscore_in_memory(x: np.ndarray, depth: np.ndarray, max_iter: int = 10, tol: float = 0.05
                     ) -> tuple[np.ndarray, np.ndarray]:
    """CS-CORE written over the whole cells x genes matrix at once (the formulas of the
    module docstring, one array per quantity): the answer the blocked version must give."""
    s = depth / depth.mean()
    s2 = s**2

    def med(theta):
        positive = theta[np.isfinite(theta) & (theta > 0)]
        return float(np.median(positive)) if positive.size else 1.0

    def safe(w):
        return np.where(np.isfinite(w) & (w > 0), w, 1.0)

    mu = (x * s[:, None]).sum(0) / s2.sum()
    m = np.outer(s, mu)
    sigma2 = (((x - m) ** 2 - m) * s2[:, None]).sum(0) / (s2**2).sum()
    theta = mu**2 / sigma2
    for _ in range(max_iter):
        w1 = safe(m + np.outer(s2, mu**2 / med(theta)))
        mu = ((x / w1) * s[:, None]).sum(0) / (s2[:, None] / w1).sum(0)
        m = np.outer(s, mu)
        w2 = safe((m**2 / med(theta) + m) ** 2)
        sigma2 = ((((x - m) ** 2 - m) / w2) * s2[:, None]).sum(0) / ((s2**2)[:, None] / w2).sum(0)
        previous, theta = theta, mu**2 / sigma2
        both = (theta > 0) & (previous > 0)
        if not both.any() or np.max(np.abs(np.log(theta[both] / previous[both]))) < tol:
            break
    valid = np.isfinite(sigma2) & (sigma2 > 0) & (mu > 0)
    w = safe(m + np.outer(s2, mu**2 / med(theta)))
    scaled = (x - m) / w
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = ((s2[:, None] * scaled).T @ scaled) / ((s2[:, None] / w).T @ (s2[:, None] / w))
        sigma = np.sqrt(np.where(valid, sigma2, np.nan))
        estimate = np.clip(cov / np.outer(sigma, sigma), -1, 1)
        inv = 1 / np.where(valid, m + np.outer(s2, np.where(valid, sigma2, 0.0)), np.inf)
        z = (x - m) * inv
        statistic = ((s2[:, None] * z).T @ z) / np.sqrt(((s2**2)[:, None] * inv).T @ inv)
    p = 2 * norm.sf(np.abs(statistic))
    pair = np.outer(valid, valid)
    estimate = np.where(pair, np.nan_to_num(estimate), 0.0)
    p = np.where(pair, np.nan_to_num(p, nan=1.0), 1.0)
    np.fill_diagonal(estimate, 1.0)
    np.fill_diagonal(p, 0.0)
    return estimate, p


def program_counts(seed: int, n_cells: int, n_genes: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts with two co-expressed programs and uneven depth, some genes never seen."""
    rng = np.random.default_rng(seed)
    programs = rng.gamma(2.0, 1.0, size=(n_cells, 2))
    loading = rng.uniform(0, 1, size=(2, n_genes)) * (rng.uniform(size=n_genes) < 0.7)
    z = programs @ loading + rng.gamma(0.5, 0.5, size=(n_cells, n_genes))
    z[:, rng.uniform(size=n_genes) < 0.1] = 0.0  # silent genes: CS-CORE must leave them out
    depth = rng.lognormal(0, 0.6, n_cells)
    return rng.poisson(depth[:, None] * z).astype(np.float64), depth


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_cells=st.integers(30, 300), n_genes=st.integers(3, 25),
       rows=st.integers(1, 120))
def test_cscore_over_cell_blocks_equals_the_in_memory_formulas(seed, n_cells, n_genes,
                                                              rows) -> None:
    counts, depth = program_counts(seed, n_cells, n_genes)
    expected_estimate, expected_p = cscore_in_memory(counts, depth)
    whole = cscore(sp.csr_matrix(counts), depth, rows=n_cells)
    blocked = cscore(sp.csr_matrix(counts), depth, rows=rows)
    # one block: the same arithmetic, the same bits
    np.testing.assert_array_equal(whole[0], expected_estimate)
    np.testing.assert_array_equal(whole[1], expected_p)
    np.testing.assert_allclose(blocked[0], expected_estimate, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(blocked[1], expected_p, rtol=1e-7, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_cells=st.integers(2, 200), block=st.integers(1, 50))
def test_residual_variance_over_cell_blocks_is_the_variance_of_the_residuals(
        seed, n_cells, block, monkeypatch_module) -> None:
    counts, _ = program_counts(seed, n_cells, 12)
    counts[0, :] += 1  # every gene seen: residuals are defined
    matrix = sp.csr_matrix(counts)
    monkeypatch_module.setattr(cell_chunks, "BLOCK_VALUES", 10**9)
    residuals = pearson_residuals(matrix)
    monkeypatch_module.setattr(cell_chunks, "BLOCK_VALUES", block * 12)
    np.testing.assert_allclose(residual_variance(matrix), residuals.var(0), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_array_equal(pearson_residuals(matrix), residuals)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 40))
def test_quality_control_over_cell_blocks_equals_the_whole_matrix(seed, rows,
                                                                  monkeypatch_module) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.uniform(0, 2, size=(60, 9)) * (rng.uniform(size=(60, 1)) < 0.8))
    genes = np.array([f"G{i}" for i in range(7)] + ["MT-CO1", "MT-ND1"])
    matrix = sp.csr_matrix(counts.astype(float))
    qc = QualityControl(min_genes_per_cell=3, max_mito_fraction=0.3, min_cells_per_gene=5)
    monkeypatch_module.setattr(cell_chunks, "BLOCK_VALUES", 10**9)
    try:
        whole = quality_control(matrix, genes, "toy", qc)
    except DglgeneInputError as error:  # every cell or gene dropped: blocks refuse alike
        monkeypatch_module.setattr(cell_chunks, "BLOCK_VALUES", rows * 9)
        with pytest.raises(type(error)):
            quality_control(matrix, genes, "toy", qc)
        return
    # what the thresholds mean, on the whole matrix
    mito = counts[:, 7:].sum(1) <= 0.3 * np.maximum(counts.sum(1), 1e-12)
    cells = ((counts > 0).sum(1) >= 3) & mito
    np.testing.assert_array_equal(whole[0], cells)
    np.testing.assert_array_equal(whole[1], (counts[cells] > 0).sum(0) >= 5)
    kept, depth = keep_cells_and_genes(matrix, *whole)
    monkeypatch_module.setattr(cell_chunks, "BLOCK_VALUES", rows * 9)
    blocked = quality_control(matrix, genes, "toy", qc)
    np.testing.assert_array_equal(blocked[0], whole[0])
    np.testing.assert_array_equal(blocked[1], whole[1])
    kept_blocked, depth_blocked = keep_cells_and_genes(matrix, *blocked)
    assert (kept_blocked != sp.csr_matrix(counts[cells][:, whole[1]])).nnz == 0
    assert (kept != kept_blocked).nnz == 0
    np.testing.assert_array_equal(depth_blocked, counts[cells].sum(1))
    np.testing.assert_array_equal(depth, depth_blocked)


@pytest.mark.parametrize("layout", ["sparse X", "dense X", "counts layer", "spatial"])
def test_a_backed_file_gives_the_in_memory_graph(tmp_path, monkeypatch, layout) -> None:
    modality = "spatial" if layout == "spatial" else "rna"
    adata = simulate_collection(n_datasets=1, modalities=[modality], cells=(400, 400),
                                seed=4).adatas[0].copy()
    assert adata.uns["modality"] == modality
    if layout == "dense X":
        adata.X = np.asarray(sp.csr_matrix(adata.X).toarray(), dtype=np.float32)
    if layout == "counts layer":
        adata.layers["counts"] = adata.X.copy()
        adata.X = sp.csr_matrix(np.log1p(sp.csr_matrix(adata.X).toarray()))
    path = tmp_path / "data.h5ad"
    adata.write_h5ad(path)
    recipe = GraphRecipe(n_hvg=60)
    monkeypatch.setattr(cell_chunks, "BLOCK_VALUES", 10**9)
    in_memory = build_gene_graph(ad.read_h5ad(path), recipe, name="data")
    # blocks of 7 cells, and the file read backed however small it is
    monkeypatch.setattr(cell_chunks, "BLOCK_VALUES", 7 * adata.n_vars)
    monkeypatch.setattr("dglgene.data.expression.IN_MEMORY_MAX_BYTES", 0)
    backed = build_gene_graph(path, recipe)
    meta, stored = open_h5ad_backed(path)
    expr = prepare_expression(meta, recipe, stored=stored)
    assert expr.matrix.shape[0] == in_memory.info["n_cells"]
    assert backed.genes == in_memory.genes
    assert backed.info["method"] == in_memory.info["method"]
    assert (backed.adjacency() != in_memory.adjacency()).nnz == 0
    np.testing.assert_allclose(backed.graph.ndata["feat"].numpy(),
                               in_memory.graph.ndata["feat"].numpy(), rtol=1e-5, atol=1e-6)
