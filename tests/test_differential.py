"""Differential co-embedding: hand-made cases, and planted rewiring found by MuSe-GNN."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dglgene.data import GraphCollection, build_collection
from dglgene.datasets.simulated import simulate_case_control, simulate_collection
from dglgene.eval.differential import differential_genes, plot_differential
from dglgene.models import MuSeGNN
from dglgene.models.graph_model import embedding_frame
from dglgene.train import fit

S3 = np.sqrt(3) / 2


def tiny() -> ad.AnnData:
    """Control rows all along (1, 0); case rows at 0, 0, 60, 90 and 180 degrees, so the
    cosine distances are 0, 0, 0.5, 1 and 2. Gene "a" is averaged over two control rows,
    gene "f" is only in a case, gene "g" only in a dataset with no condition."""
    rows = [  # (dataset, gene, vector)
        ("c1", "a", [2, 1]), ("c2", "a", [0, -1]), ("c1", "b", [1, 0]), ("c1", "c", [1, 0]),
        ("c1", "d", [3, 0]), ("c1", "e", [1, 0]), ("c1", "g", [1, 0]),
        ("k1", "a", [5, 0]), ("k1", "b", [1, 0]), ("k1", "c", [0.5, S3]), ("k1", "d", [0, 1]),
        ("k1", "e", [-1, 0]), ("k1", "f", [1, 1]), ("other", "g", [0, 1])]
    obs = pd.DataFrame({"dataset": [r[0] for r in rows], "gene": [r[1] for r in rows]},
                       index=[f"{r[0]}:{r[1]}" for r in rows])
    obs["condition"] = obs["dataset"].map({"c1": "control", "c2": "control", "k1": "case"})
    return ad.AnnData(np.array([r[2] for r in rows], dtype=np.float32), obs=obs)


def test_distance_z_and_p_by_hand() -> None:
    table = differential_genes(tiny()).set_index("gene")
    # "a": control mean (1, 0), case (5, 0): distance 0. "f", "g" are not common genes.
    assert list(table.index) == ["e", "d", "c", "a", "b"]
    np.testing.assert_allclose(table["distance"], [2, 1, 0.5, 0, 0], atol=1e-6)
    # median 0.5; |d - 0.5| = 1.5, 0.5, 0, 0.5, 0.5, MAD 0.5; scale 1.4826 * 0.5 = 0.7413
    np.testing.assert_allclose(table["z"], np.array([1.5, 0.5, 0, -0.5, -0.5]) / 0.7413,
                               atol=1e-5)
    # p = (1 + #{other genes with d' >= d}) / 5; the tie a, b counts against both
    np.testing.assert_allclose(table["p_value"], [1 / 5, 2 / 5, 3 / 5, 5 / 5, 5 / 5])
    assert list(table["rank"]) == [1, 2, 3, 4, 5]
    assert table.loc["a", "n_control"] == 2 and table.loc["a", "n_case"] == 1


def test_condition_by_column_or_by_mapping() -> None:
    emb = tiny()
    mapping = {"c1": "control", "c2": "control", "k1": "case"}
    by_column = differential_genes(emb)
    pd.testing.assert_frame_equal(by_column, differential_genes(emb, condition=mapping))
    renamed = differential_genes(emb, condition={"c1": "wt", "c2": "wt", "k1": "ko"},
                                 case="ko", control="wt")
    pd.testing.assert_frame_equal(by_column, renamed)
    with pytest.raises(KeyError, match="condition="):
        differential_genes(emb, condition="disease")
    with pytest.raises(ValueError, match="no rows labelled 'case'"):
        differential_genes(emb, condition={"c1": "control"})


def coexpression_profiles(coll: GraphCollection) -> ad.AnnData:
    """A model-free embedding aligned across datasets: a gene's row is the correlation of
    its node features with those of each gene present in every dataset."""
    shared = sorted(set.intersection(*(set(g.genes) for g in coll)))
    blocks = []
    for g in coll:
        f = g.graph.ndata["feat"].numpy().astype(np.float64)
        f = (f - f.mean(axis=1, keepdims=True)) / f.std(axis=1, keepdims=True)
        blocks.append(f @ f[[g.genes.index(h) for h in shared]].T / f.shape[1])
    return ad.AnnData(np.concatenate(blocks).astype(np.float32), obs=embedding_frame(coll))


@pytest.fixture(scope="module")
def case_control():
    sim, rewired = simulate_case_control(n_control=2, n_case=2, n_rewired=20, seed=0)
    condition = {a.uns["dataset"]: a.uns["condition"] for a in sim.adatas}
    return sim, rewired, condition, build_collection(sim.adatas, n_components=32)


def rewired_auroc(emb: ad.AnnData, rewired: pd.Series, condition: dict,
                  keep: pd.Index | None = None) -> float:
    """AUROC of the distance for rewired against other common genes (those in ``keep``)."""
    table = differential_genes(emb, condition=condition)
    if keep is not None:
        table = table[table["gene"].isin(keep)]
    return roc_auc_score(table["gene"].isin(rewired.index), table["distance"])


def test_simulated_rewiring_is_planted(case_control) -> None:
    sim, rewired, condition, _ = case_control
    assert list(condition.values()) == ["control", "control", "case", "case"]
    assert len(rewired) == 20 and (rewired.to_numpy() != sim.module_of(rewired.index)).all()
    again, rewired_again = simulate_case_control(seed=0)
    pd.testing.assert_series_equal(rewired, rewired_again)
    assert all((a.X != b.X).nnz == 0 for a, b in zip(sim.adatas, again.adatas))
    # Same universe as simulate_collection's for the same seed and sizes.
    assert sim.modules.equals(simulate_collection(n_datasets=4, seed=0).modules)


def test_planted_rewired_genes_rank_on_top(case_control) -> None:
    sim, rewired, condition, coll = case_control
    module_genes = sim.modules.index[sim.modules >= 0]
    # Model-free check that the data carry the signal (measured 0.971; 1.0 among module genes).
    profiles = coexpression_profiles(coll)
    assert rewired_auroc(profiles, rewired, condition) > 0.9
    model = MuSeGNN(coll, seed=0)
    fit(model, coll, epochs=60, seed=0)
    emb = model.embed(coll)
    # Measured (simulation seed 0, 60 epochs): 0.861 over all common genes (0.83 at 40
    # epochs, 0.89 at 80, 0.94 at 150; simulation seeds 1, 2: 0.904, 0.918). Background
    # genes, which co-vary with nothing, drift between conditions too; among module genes
    # it is 0.992. Per-dataset PCA: 0.435, chance, since its axes differ between datasets;
    # not asserted.
    assert rewired_auroc(emb, rewired, condition) > 0.75
    assert rewired_auroc(emb, rewired, condition, keep=module_genes) > 0.95


def test_plot_differential_writes_png(tmp_path) -> None:
    emb = tiny()
    table = differential_genes(emb)
    path = plot_differential(emb, table, tmp_path / "umap.png", top=2)  # computes a UMAP
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    emb.obsm["X_umap"] = emb.X.copy()
    assert plot_differential(emb, table, tmp_path / "given.png").exists()
