"""The demo runs end to end on built-in data and writes what it promises."""

from __future__ import annotations

import json

import anndata as ad
import pandas as pd
import pytest

from dglgene.data import GraphCollection
from dglgene.demo import run_demo


def test_demo_writes_everything_it_promises(tmp_path, capsys) -> None:
    table = run_demo(tmp_path / "demo", epochs=2)  # the plumbing, not the quality
    printed = capsys.readouterr().out
    assert "shared genes between datasets" in printed and "| MuSe-GNN |" in printed
    out = tmp_path / "demo"
    for picture in ("pair_overlaps.png", "umap.png", "training.png", "enrichment.png",
                    "function.png"):
        assert (out / picture).read_bytes()[:4] == b"\x89PNG"
    assert "GO-BP term prediction" in printed
    for floor in ("neighbour voting", "degree + datasets + expression", "random", "PCA"):
        assert f"| {floor} |" in printed
    enrichment = pd.read_csv(out / "enrichment.csv")
    assert list(enrichment.columns) == ["Cluster", "Term", "Overlap", "P-value",
                                        "Adjusted P-value", "Genes"]
    assert enrichment["Adjusted P-value"].between(0, 1).all()
    assert (enrichment["Adjusted P-value"] >= enrichment["P-value"] - 1e-12).all()
    function = pd.read_csv(out / "function.csv")
    assert set(function["split"]) == {"test"}  # the demo reports test terms only
    assert set(function["view"]) == {"unified", "own", "transfer"}
    assert {"MuSe-GNN", "PCA", "neighbour voting"} <= set(function["method"])
    assert function["auroc"].between(0, 1).all()
    assert set(table.index) == {"PCA", "MuSe-GNN", "GAE", "VGAE"}
    assert table["avg_score"].between(0, 1).all()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["MuSe-GNN"]["edge_auc"] == pytest.approx(table.loc["MuSe-GNN", "edge_auc"])
    emb = ad.read_h5ad(out / "gene_embeddings.h5ad")
    assert {"cluster", "dataset", "gene"} <= set(emb.obs.columns) and "X_umap" in emb.obsm
    loaded = GraphCollection.load(out / "graphs")
    assert emb.n_obs == sum(g.n_genes for g in loaded)
    assert [g.dataset for g in loaded] == ["kang_control", "kang_stimulated", "pbmc3k",
                                           "celltypist_immune", "pbmc68k"]


def test_grn_demo_writes_its_run_and_a_full_benchmark_table(tmp_path, capsys) -> None:
    from dglgene.benchmarks import GRN_METHODS as METHODS
    from dglgene.demo import DEMO_SPLITS, run_grn_demo
    from dglgene.grn import BASELINES, GRNSettings
    from dglgene.nn.performer import checkpoint_genes, load_scbert_checkpoint

    per_seed = run_grn_demo(tmp_path, seeds=(0,), settings=GRNSettings(epochs=2,
                                                                          pretrain_epochs=1))
    printed = capsys.readouterr().out
    assert "| SERGIO | transductive | scTransNet |" in printed
    assert "| SERGIO | held-out-tf | per-TF prior |" in printed
    expected = {(s, m) for s in DEMO_SPLITS for m in [*METHODS, *BASELINES]}
    assert set(zip(per_seed["split"], per_seed["method"])) == expected
    assert per_seed["auroc"].between(0, 1).all()
    genes = checkpoint_genes(tmp_path / "scbert_sergio.pth")
    assert load_scbert_checkpoint(tmp_path / "scbert_sergio.pth").max_seq_len == len(genes) + 1
    for name in ("predictions.csv", "metrics.json", "pr_curves.png", "training.png"):
        assert (tmp_path / "grn" / name).is_file()
    assert (tmp_path / "grn_benchmark.csv").is_file()


def test_top_terms_lists_only_terms_that_pass_the_fdr_and_shows_the_dataset_mix() -> None:
    from dglgene.demo import top_terms

    obs = pd.DataFrame({"cluster": ["0"] * 4 + ["1"] * 2,
                        "dataset": ["a", "a", "a", "b", "b", "b"]})
    emb = ad.AnnData(obs=obs.set_axis([str(i) for i in range(6)]))
    enrichment = pd.DataFrame({"Cluster": ["0", "1"], "Term": ["kept", "not significant"],
                               "Overlap": ["3/20", "2/30"], "P-value": [1e-6, 0.01],
                               "Adjusted P-value": [1e-4, 0.3], "Genes": ["x", "y"]})
    table = top_terms(enrichment, emb).set_index("cluster")
    assert table.loc["0", "term"] == "kept" and table.loc["0", "largest"] == "a 75%"
    assert table.loc["1", "term"] == "-" and table.loc["1", "largest"] == "b 100%"
