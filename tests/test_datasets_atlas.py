"""Atlas-size files written in blocks: the simulator plants what it says, resampling keeps
what it says."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from dglgene.data import cell_chunks, cscore
from dglgene.datasets.atlas import write_resampled_cells, write_simulated_atlas


def test_simulated_atlas_plants_modules_types_and_droplet_depth(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(cell_chunks, "BLOCK_VALUES", 500 * 3000)  # several blocks
    path = write_simulated_atlas(tmp_path / "atlas.h5ad", n_cells=3000, n_genes=3000,
                                 n_types=4, n_modules=4, genes_per_module=12, seed=1)
    atlas = ad.read_h5ad(path)
    x = sp.csr_matrix(atlas.X)
    assert atlas.shape == (3000, 3000) and np.array_equal(x.data, np.round(x.data))
    assert atlas.obs["cell_type"].nunique() == 4 and atlas.uns["modality"] == "rna"
    depth = np.asarray(x.sum(1)).ravel()
    assert 4000 < depth.mean() < 6000  # mean_depth 5,000
    module = atlas.var["module"].to_numpy()
    assert np.array_equal(np.bincount(module[module >= 0]), [12] * 4)
    # CS-CORE finds the planted modules: within-module pairs pass, few others do
    rng = np.random.default_rng(0)
    planted = np.flatnonzero(module >= 0)
    background = rng.choice(np.flatnonzero((module < 0) & (np.asarray(x.sum(0)).ravel()
                                                           > 300)), 48, replace=False)
    genes = np.concatenate([planted, background])
    estimate, p = cscore(x[:, genes], depth)
    same = np.equal.outer(module[genes], module[genes]) & (module[genes][:, None] >= 0)
    off = ~np.eye(len(genes), dtype=bool)
    assert np.mean(p[same & off] < 0.005) > 0.9
    assert np.mean(p[~same & off] < 0.005) < 0.2
    assert estimate[same & off].mean() > estimate[~same & off].mean() + 0.2


def test_resampled_cells_keep_each_source_cell_zeros_and_scale(tmp_path) -> None:
    rng = np.random.default_rng(2)
    counts = rng.poisson(rng.gamma(0.5, 2.0, (200, 50))).astype(np.float32)
    source = ad.AnnData(sp.csr_matrix(counts), obs=pd.DataFrame(
        {"cell_type": [f"t{i % 3}" for i in range(200)]}, index=[f"c{i}" for i in range(200)]),
        uns={"dataset": "src", "tissue": "blood"})
    path = write_resampled_cells(source, tmp_path / "resampled.h5ad", n_cells=1000, seed=3)
    out = ad.read_h5ad(path)
    x = sp.csr_matrix(out.X).toarray()
    assert out.shape == (1000, 50) and out.uns["tissue"] == "blood"
    assert list(out.var_names) == list(source.var_names)
    assert np.array_equal(x, np.round(x)) and x.min() >= 0
    # each new cell is a source cell redrawn on its non-zeros: no count where it had none
    picked = np.random.default_rng(3).integers(0, 200, 1000)
    assert np.all(x[counts[picked] == 0] == 0)
    assert list(out.obs["cell_type"]) == list(source.obs["cell_type"].iloc[picked])
    # Poisson keeps the mean: totals agree with the source cells' to within noise
    ratio = x.sum() / counts[picked].sum()
    assert 0.97 < ratio < 1.03
