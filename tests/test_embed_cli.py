"""`dglgene embed`: outputs on success; one-line errors and nothing written on bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from error_lines import error_lines
from killed_runs import killed_after

from dglgene.datasets import simulate_collection
from dglgene.eval.metrics import METRICS


@pytest.fixture(scope="module")
def h5ads(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("inputs")
    sim = simulate_collection(n_datasets=2, n_modules=4, genes_per_module=15, n_background=60,
                              cells=(150, 160), seed=2)
    paths = []
    for adata in sim.adatas:
        path = folder / f"{adata.uns['dataset']}.h5ad"
        adata.write_h5ad(path)
        paths.append(str(path))
    return paths


def embed(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dglgene", "embed", *args],
                          capture_output=True, text=True, timeout=600)


def test_embed_writes_embeddings_metrics_and_plots(h5ads, tmp_path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('[graphs]\nn_components = 8\n[model]\ndim = 8\n[train]\nepochs = 3\n')
    out = tmp_path / "out"
    result = embed(*h5ads, "--out", str(out), "--config", str(config), "--epochs", "2")
    assert result.returncode == 0, result.stderr
    emb = ad.read_h5ad(out / "gene_embeddings.h5ad")
    assert emb.n_vars == 8
    assert {"gene", "dataset", "modality", "tissue", "cluster"} <= set(emb.obs.columns)
    assert emb.obsm["X_umap"].shape == (emb.n_obs, 2)
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == set(METRICS) and all(np.isfinite(list(metrics.values())))
    for picture in ("umap.png", "training.png", "enrichment.png"):
        assert (out / picture).read_bytes()[:4] == b"\x89PNG"
    enrichment = (out / "enrichment.csv").read_text().splitlines()
    assert enrichment[0] == "Cluster,Term,Overlap,P-value,Adjusted P-value,Genes"
    history = (out / "training_history.csv").read_text().splitlines()
    assert len(history) == 1 + 2 * 2  # header + 2 epochs x 2 graphs: --epochs wins
    # made-up gene names (g0001, ...) are no human genes: no gene-function scores, a note
    assert "gene-function scores skipped" in result.stderr
    assert not (out / "function.csv").exists()
    # off a terminal: plain progress lines with elapsed time and ETA, a line per stage
    lines = [line for line in result.stderr.splitlines() if line.startswith("dglgene | ")]
    duration = r"(\d+\.\d s|\d+:\d\d:\d\d)"
    epochs = [line for line in lines if line.startswith("dglgene | MuSe-GNN epochs | ")]
    assert [line.split(" | ")[2] for line in epochs] == ["1/2 (50%)", "2/2 (100%)"]
    assert all(re.fullmatch(rf"dglgene \| MuSe-GNN epochs \| \d/2 \(\d+%\) \| {duration} "
                            rf"elapsed \| ETA {duration}", line) for line in epochs), epochs
    stages = [re.fullmatch(rf"dglgene \| (\w+) done in {duration}", line) for line in lines]
    assert [m.group(1) for m in stages if m] == ["graphs", "overlaps", "training",
                                                "evaluation", "writing"]
    run = json.loads((out / "run.json").read_text())
    # written while writing, so without the writing stage
    assert list(run["seconds"]) == ["graphs", "overlaps", "training", "evaluation"]
    assert set(run["graph_seconds"]) == {"read", "qc", "genes", "values", "coexpression",
                                         "features"}


def test_embed_scores_gene_function_of_human_genes(tmp_path) -> None:
    from dglgene.datasets import go_gene_sets

    sets = go_gene_sets("bp")
    # 120 genes of one large GO term: many smaller terms hold 20 or more of them
    genes = sorted(sets["GO:0030003 cellular cation homeostasis"])[:120]
    sim = simulate_collection(n_datasets=2, n_modules=4, genes_per_module=15, n_background=60,
                              cells=(150, 160), seed=3, gene_names=genes)
    paths = []
    for adata in sim.adatas:
        paths.append(tmp_path / f"{adata.uns['dataset']}.h5ad")
        adata.write_h5ad(paths[-1])
    config = tmp_path / "run.toml"
    config.write_text('[graphs]\nn_components = 8\n[model]\ndim = 8\n')
    out = tmp_path / "out"
    result = embed(*map(str, paths), "--out", str(out), "--config", str(config),
                   "--epochs", "2")
    assert result.returncode == 0, result.stderr
    scores = pd.read_csv(out / "function.csv")
    assert set(scores["split"]) == {"test"} and set(scores["view"]) == {"unified", "own",
                                                                          "transfer"}
    assert {"MuSe-GNN", "PCA", "random", "neighbour voting"} <= set(scores["method"])
    summary = pd.read_csv(out / "function_summary.csv")
    muse = summary[summary["method"] == "MuSe-GNN"]
    assert muse["n_terms"].min() > 0 and muse["p_reference_greater"].isna().all()
    assert (out / "function.png").read_bytes()[:4] == b"\x89PNG"
    assert "GO-BP term prediction" in result.stdout


def test_embed_under_torchrun_splits_the_steps_between_two_ranks(h5ads, tmp_path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('[graphs]\nn_components = 8\n[model]\ndim = 8\n')
    run = ("--config", str(config), "--epochs", "3")
    assert embed(*h5ads, "--out", str(tmp_path / "one"), *run).returncode == 0
    torchrun = Path(sys.executable).with_name("torchrun")
    two = subprocess.run([str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "dglgene",
                          "embed", *h5ads, "--out", str(tmp_path / "two"), *run],
                         capture_output=True, text=True, timeout=600)
    assert two.returncode == 0, two.stderr
    alone, ranked = (json.loads((tmp_path / name / "run.json").read_text())
                     for name in ("one", "two"))
    assert (alone["world_size"], alone["backend"], alone["steps_per_rank"]) == (1, None, [6])
    assert (ranked["world_size"], ranked["backend"]) == (2, "gloo")
    assert ranked["steps_per_rank"] == [3, 3]  # 3 epochs x 2 graphs, one pair per rank a step
    assert two.stdout.count("wrote gene_embeddings.h5ad") == 1  # rank 0 alone reports


def failure(tmp_path: Path, *args: str) -> str:
    out = tmp_path / "out"
    result = embed(*args, "--out", str(out))
    assert result.returncode != 0
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_embed_bad_input(h5ads, tmp_path) -> None:
    assert "at least two datasets" in failure(tmp_path, h5ads[0])
    junk = tmp_path / "junk.h5ad"
    junk.write_text("no")
    assert "not a readable .h5ad" in failure(tmp_path, h5ads[0], str(junk))
    stranger = ad.read_h5ad(h5ads[1])
    stranger.var_names = [f"x_{g}" for g in stranger.var_names]
    stranger.write_h5ad(tmp_path / "stranger.h5ad")
    assert "no gene is shared" in failure(tmp_path, h5ads[0], str(tmp_path / "stranger.h5ad"))
    logs = ad.read_h5ad(h5ads[1])
    del logs.layers["counts"]
    logs.X = sp.csr_matrix(np.log1p(logs.X.toarray()) + 0.5)
    logs.write_h5ad(tmp_path / "logs.h5ad")
    config = tmp_path / "cscore.toml"
    config.write_text('[graphs]\nmethod = "cscore"\n')
    assert "CS-CORE needs raw counts" in failure(tmp_path, h5ads[0], str(tmp_path / "logs.h5ad"),
                                                 "--config", str(config))
    bad = tmp_path / "bad.toml"
    bad.write_text("[train]\nepoch = 3\n")
    assert "unknown key 'epoch'" in failure(tmp_path, *h5ads, "--config", str(bad))


@pytest.mark.parametrize("toml, message", [
    ('[graphs]\nn_hvg = "500"\n', "config [graphs] n_hvg = '500': expected an integer"),
    ('[model]\ndim = "8"\n', "config [model] dim = '8': expected an integer"),
    ("[train]\nepochs = 0\n", "config [train] epochs = 0: expected a positive integer"),
    ("[train]\nlr_encoder = true\n",
     "config [train] lr_encoder = True: expected a finite number"),
    ('[model]\ngroup_by = ["modality", 3]\n',
     "config [model] group_by = ['modality', 3]: expected a string or an array of strings"),
    ('[model]\nlosses = { recon = "x" }\n',
     "config [model] losses = {'recon': 'x'}: expected a table of numbers"),
    ("[graphs]\nn_hvg = 1\n", "config [graphs]: n_hvg must be at least 2, got 1"),
])
def test_config_value_of_the_wrong_type_or_range(h5ads, tmp_path, toml, message) -> None:
    config = tmp_path / "run.toml"
    config.write_text(toml)
    assert failure(tmp_path, *h5ads, "--config", str(config)) == f"dglgene: error: {message}"


def test_unwritable_out_fails_before_any_work(h5ads, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = embed(*h5ads, "--out", str(blocker / "out"))
    assert result.returncode == 2 and result.stdout == ""  # nothing ran: no progress lines
    assert result.stderr.strip() == (
        f"dglgene: error: cannot write '{blocker / 'out'}': '{blocker}' is not a writable "
        "directory (Not a directory); choose another --out")


def test_killed_run_resumes_to_the_uninterrupted_result(h5ads, tmp_path) -> None:
    """SIGKILL `dglgene embed` after its first checkpoint, resume: identical embeddings."""
    checkpoint, killed_out = tmp_path / "run.pt", tmp_path / "killed"
    args = [*h5ads, "--epochs", "40", "--seed", "1"]
    state = killed_after(checkpoint, "embed", *args, "--out", killed_out, "--checkpoint",
                         checkpoint)
    assert not killed_out.exists()
    done_epochs = state["epoch"]
    assert 1 <= done_epochs < 40
    resumed = embed(*args, "--out", str(killed_out), "--checkpoint", str(checkpoint),
                    "--resume")
    assert resumed.returncode == 0, resumed.stderr
    straight = embed(*args, "--out", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr
    a = ad.read_h5ad(killed_out / "gene_embeddings.h5ad")
    b = ad.read_h5ad(tmp_path / "straight" / "gene_embeddings.h5ad")
    np.testing.assert_array_equal(a.X, b.X)


@pytest.mark.parametrize("damage, message", [
    (lambda path: path.write_bytes(path.read_bytes()[:1000]), "not a readable checkpoint"),
    (lambda path: torch.save({"weights": 1}, path), "not a dglgene training checkpoint"),
    (lambda path: torch.save({**torch.load(path), "version": 99}, path),
     "checkpoint format version 99, but this dglgene reads version 1; start afresh"),
])
def test_damaged_checkpoint_is_refused_with_one_line(h5ads, tmp_path, damage, message) -> None:
    checkpoint = tmp_path / "run.pt"
    first = embed(*h5ads, "--epochs", "1", "--out", str(tmp_path / "first"), "--checkpoint",
                  str(checkpoint))
    assert first.returncode == 0, first.stderr
    damage(checkpoint)
    error = failure(tmp_path, *h5ads, "--epochs", "2", "--checkpoint", str(checkpoint),
                    "--resume")
    assert error.startswith(f"dglgene: error: {checkpoint}: ") and message in error


def test_umap_legend_keeps_the_cluster_order(tmp_path, monkeypatch) -> None:
    """Clusters 0..11 are listed 0, 1, 2, ..., 11 (as strings they would sort 0, 1, 10, 11, 2)."""
    import anndata as ad
    import numpy as np
    import pandas as pd

    from dglgene.eval import plots

    emb = ad.AnnData(np.zeros((24, 2), dtype=np.float32))
    clusters = [str(k % 12) for k in range(24)]
    emb.obs["cluster"] = pd.Categorical(clusters, categories=[str(k) for k in range(12)])
    emb.obsm["X_umap"] = np.random.default_rng(0).normal(size=(24, 2))
    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: figures.append(fig))
    plots.plot_umap(emb, tmp_path / "umap.png", columns=("cluster",))
    legend = figures[0].axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [str(k) for k in range(12)]
