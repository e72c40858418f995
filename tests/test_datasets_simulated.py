"""The simulator plants what it promises: shared genes, modules, depth, spatial patterns."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from dglgene.datasets.simulated import SimulatedCollection, simulate_collection

UNS_KEYS = {"dataset", "modality", "tissue", "species", "counts", "simulated"}


@pytest.fixture(scope="module")
def sim() -> SimulatedCollection:
    return simulate_collection(seed=0)


def by_modality(sim: SimulatedCollection, modality: str) -> list:
    return [a for a in sim.adatas if a.uns["modality"] == modality]


def log_norm(adata) -> np.ndarray:
    x = adata.X.toarray().astype(np.float64)
    return np.log1p(x / np.maximum(x.sum(axis=1, keepdims=True), 1.0) * 1e4)


def module_correlations(sim: SimulatedCollection, adata) -> dict[str, float]:
    """Mean Pearson correlation of log-normalised genes: same module / two modules / background."""
    expr = log_norm(adata)
    varies = expr.std(axis=0) > 0
    expr, labels = expr[:, varies], sim.module_of(adata.var_names[varies])
    corr = np.corrcoef(expr.T)
    iu = np.triu_indices_from(corr, k=1)
    a, b, c = labels[iu[0]], labels[iu[1]], corr[iu]
    both = (a >= 0) & (b >= 0)
    return {
        "within": c[both & (a == b)].mean(),
        "between": c[both & (a != b)].mean(),
        "background": c[(a < 0) | (b < 0)].mean(),
    }


def morans_i(adata, k: int = 6) -> np.ndarray:
    """Moran's I of each gene's log-normalised expression on a row-normalised kNN spot graph."""
    xy = adata.obsm["spatial"]
    dist = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(dist, np.inf)
    neighbours = np.argsort(dist, axis=1, kind="stable")[:, :k]
    z = log_norm(adata)
    z = z - z.mean(axis=0)
    lag = z[neighbours].mean(axis=1)
    return (z * lag).sum(axis=0) / np.maximum((z * z).sum(axis=0), 1e-12)


# --- determinism ------------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data(sim: SimulatedCollection) -> None:
    again = simulate_collection(seed=0)
    other = simulate_collection(seed=1)
    assert again.modules.equals(sim.modules)
    for a, b in zip(sim.adatas, again.adatas):
        assert a.shape == b.shape and list(a.var_names) == list(b.var_names)
        assert (a.X != b.X).nnz == 0
        np.testing.assert_array_equal(a.obs["depth"], b.obs["depth"])
        assert a.uns == b.uns
    assert not other.modules.equals(sim.modules)
    assert any(
        a.shape != b.shape or (a.X != b.X).nnz > 0 for a, b in zip(sim.adatas, other.adatas)
    )


# --- structure --------------------------------------------------------------------


def test_universe_and_module_labels(sim: SimulatedCollection) -> None:
    mods = sim.modules
    assert len(mods) == 8 * 25 + 150 and mods.index.is_unique
    counts = mods.value_counts()
    assert counts[-1] == 150
    assert all(counts[m] == 25 for m in range(8))
    # Names are neutral: in name order the labels are shuffled, not blocks.
    ordered = mods.sort_index().to_numpy()
    assert (np.diff(ordered) != 0).sum() > 100
    np.testing.assert_array_equal(sim.module_of(["g0001", "g0002"]), mods.loc[["g0001", "g0002"]])
    with pytest.raises(KeyError, match="not in the simulated universe"):
        sim.module_of(["g0001", "NOT_A_GENE"])


def test_shapes_names_counts_and_metadata(sim: SimulatedCollection) -> None:
    assert len(sim) == 6
    n_universe = len(sim.modules)
    modalities = [a.uns["modality"] for a in sim.adatas]
    assert modalities == ["rna", "rna", "atac", "spatial", "rna", "rna"]
    for d, a in enumerate(sim.adatas):
        assert 150 <= a.n_obs <= 400
        assert 0.7 - 1 / n_universe <= a.n_vars / n_universe <= 0.9 + 1 / n_universe
        assert a.var_names.is_unique and a.obs_names.is_unique
        assert set(a.var_names) <= set(sim.modules.index)
        assert sp.isspmatrix_csr(a.X) and a.X.dtype == np.float32
        data = a.X.data
        assert (data >= 0).all() and np.array_equal(data, np.round(data))
        assert (a.layers["counts"] != a.X).nnz == 0
        assert set(a.uns) >= UNS_KEYS
        assert a.uns["dataset"] == f"sim{d}_{a.uns['modality']}"
        assert a.uns["species"] == "human" and a.uns["counts"] is True
        assert a.uns["simulated"] is True and a.uns["tissue"].startswith("sim_tissue_")
        assert (a.obs["depth"] > 0).all()
        if a.uns["modality"] == "spatial":
            xy = a.obsm["spatial"]
            assert xy.shape == (a.n_obs, 2) and xy.dtype.kind == "f"
            assert len(np.unique(xy, axis=0)) == a.n_obs  # one spot per grid position
        else:
            assert "spatial" not in a.obsm
    # Some datasets share modality and tissue (so per-tissue grouping is testable).
    keys = [(a.uns["modality"], a.uns["tissue"]) for a in sim.adatas]
    assert len(set(keys)) < len(keys)
    assert sim.dataset("sim3_spatial") is sim.adatas[3]


def test_custom_sizes_and_modalities() -> None:
    small = simulate_collection(
        n_datasets=3, n_modules=3, genes_per_module=4, n_background=5,
        modalities=["atac", "spatial", "atac"], gene_fraction=(1.0, 1.0), cells=(20, 20), seed=3,
    )
    assert [a.uns["dataset"] for a in small.adatas] == ["sim0_atac", "sim1_spatial", "sim2_atac"]
    assert all(a.shape == (20, 17) for a in small.adatas)
    assert small.adatas[1].obsm["spatial"].max() == 4.0  # 20 spots on a 5 x 5 grid


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_datasets": 0}, "n_datasets"),
        ({"n_modules": 0}, "n_modules"),
        ({"genes_per_module": 1}, "genes_per_module"),
        ({"n_background": -1}, "n_background"),
        ({"modalities": ["rna"] * 5 + ["proteomics"]}, "unknown modality 'proteomics'"),
        ({"modalities": ["rna"]}, "modalities has 1 entries"),
        ({"modalities": "rna"}, "single string"),
        ({"gene_fraction": (0.0, 0.5)}, "gene_fraction"),
        ({"gene_fraction": (0.5, 1.2)}, "gene_fraction"),
        ({"gene_fraction": (0.9, 0.7)}, "gene_fraction"),
        ({"cells": (300, 100)}, "cells"),
        ({"cells": (1.5, 10)}, "cells"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_collection(**kwargs)


# --- planted answer ---------------------------------------------------------------


def test_datasets_share_many_but_not_all_genes(sim: SimulatedCollection) -> None:
    n_universe = len(sim.modules)
    gene_sets = [set(a.var_names) for a in sim.adatas]
    for x, y in itertools.combinations(gene_sets, 2):
        shared = len(x & y) / n_universe
        # Independent subsets with fractions in [0.7, 0.9] share about f1 * f2 of the universe.
        assert 0.7**2 - 0.08 <= shared <= 0.9**2 + 0.05
        assert x != y
    assert len(set.intersection(*gene_sets)) < min(map(len, gene_sets))
    assert len(set.union(*gene_sets)) > max(map(len, gene_sets))


def test_rna_module_genes_co_vary(sim: SimulatedCollection) -> None:
    # Measured at seed 0: within 0.34-0.57, between -0.04..-0.02, background ~0.01.
    for a in by_modality(sim, "rna"):
        c = module_correlations(sim, a)
        assert c["within"] > c["between"] + 0.25, (a.uns["dataset"], c)
        assert abs(c["between"]) < 0.1 and abs(c["background"]) < 0.1, (a.uns["dataset"], c)


def test_rna_nearest_gene_is_a_module_mate(sim: SimulatedCollection) -> None:
    # A stronger form of the planted answer: a module gene's most correlated gene is a mate.
    a = by_modality(sim, "rna")[0]
    expr = log_norm(a)
    labels = sim.module_of(a.var_names)
    corr = np.corrcoef(expr.T)
    np.fill_diagonal(corr, -np.inf)
    best = labels[np.argmax(corr, axis=1)]
    is_mod = labels >= 0
    assert (best[is_mod] == labels[is_mod]).mean() > 0.9


def test_atac_is_sparser_and_keeps_the_modules(sim: SimulatedCollection) -> None:
    rna_zeros = max(1 - a.X.nnz / np.prod(a.shape) for a in by_modality(sim, "rna"))
    for a in by_modality(sim, "atac"):
        assert 1 - a.X.nnz / np.prod(a.shape) > rna_zeros + 0.1  # measured: 0.60 vs <= 0.37
        assert set(np.unique(a.X.data)) <= {1.0, 2.0}  # near-binary
        c = module_correlations(sim, a)
        # Measured at seed 0: within 0.18, between 0.00.
        assert c["within"] > c["between"] + 0.1, (a.uns["dataset"], c)


def test_spatial_module_genes_are_spatially_patterned(sim: SimulatedCollection) -> None:
    (a,) = by_modality(sim, "spatial")
    patterned = sim.spatial_genes(a)
    assert set(patterned) == set(a.var_names[sim.module_of(a.var_names) >= 0])
    assert sim.spatial_genes("sim3_spatial") == patterned
    assert sim.spatial_genes(sim.adatas[0]) == []
    moran = morans_i(a)
    is_patterned = a.var_names.isin(patterned)
    # Measured at seed 0: module genes 0.31, background 0.00.
    assert moran[is_patterned].mean() > moran[~is_patterned].mean() + 0.15
    assert abs(moran[~is_patterned].mean()) < 0.08


def test_depth_differs_across_datasets_and_drives_totals(sim: SimulatedCollection) -> None:
    medians = [np.median(np.asarray(a.X.sum(axis=1))) for a in by_modality(sim, "rna")]
    assert max(medians) / min(medians) > 1.5
    for a in sim.adatas:
        totals = np.asarray(a.X.sum(axis=1)).ravel()
        rank = np.corrcoef(np.argsort(np.argsort(totals)), np.argsort(np.argsort(a.obs["depth"])))
        assert rank[0, 1] > 0.5, a.uns["dataset"]


def test_gene_names_replace_the_neutral_names() -> None:
    names = [f"SYM{i}" for i in range(400)]
    sim = simulate_collection(n_datasets=2, gene_names=names, seed=5)
    neutral = simulate_collection(n_datasets=2, seed=5)
    assert list(sim.modules.index) == names[:350]
    np.testing.assert_array_equal(sim.modules.to_numpy(), neutral.modules.to_numpy())
    for named, plain in zip(sim.adatas, neutral.adatas):
        assert set(named.var_names) <= set(names[:350])
        assert (named.X != plain.X).nnz == 0  # same data, other names
    with pytest.raises(ValueError, match="unique names"):
        simulate_collection(gene_names=names[:10])
