"""`dglgene grn`: outputs on a BEELINE folder; one-line errors and nothing written on bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import torch
from error_lines import error_lines

from dglgene.data.beeline import read_beeline, read_split, write_beeline
from dglgene.datasets import simulate_sergio_grn
from dglgene.errors import DglgeneInputError
from dglgene.grn import to_decoupler
from dglgene.grn.splits import transductive_split, write_genelink_splits
from dglgene.nn.performer import ScBertEncoder, save_scbert_checkpoint
from dglgene.nn.scbert_tokens import read_gene_list


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("grn") / "sergio"
    write_beeline(simulate_sergio_grn(n_tfs=8, n_targets=40, n_cells=90, seed=1), folder)
    return folder


def grn(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dglgene", "grn", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("dglgene: error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_grn_writes_predictions_metrics_and_plots(data_dir, tmp_path) -> None:
    out = tmp_path / "out"
    result = grn(data_dir, "--out", out, "--encoder", "none", "--epochs", "5")
    assert result.returncode == 0, result.stderr
    data = read_beeline(data_dir)
    test = transductive_split(data, seed=0)["test"]  # the default split, made again
    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns) == ["tf", "target", "score", "label"]
    genes = np.asarray(data.genes)
    assert predictions["tf"].tolist() == genes[test["tf"]].tolist()
    assert predictions["target"].tolist() == genes[test["target"]].tolist()
    assert predictions["label"].tolist() == test["label"].tolist()
    assert predictions["score"].between(0, 1).all()
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["methods"]) == {"scTransNet", "per-TF prior", "degree product",
                                       "Pearson |r|", "TF-similarity vote", "GENIE3"}
    assert metrics["methods"]["scTransNet"]["n_pos"] == int(test["label"].sum())
    for png in ("pr_curves.png", "training.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    check_network(out, data, predictions)


def check_network(out: Path, data, predictions: pd.DataFrame) -> None:
    """network.csv: decoupler's columns, every candidate pair once, scored by the run's
    model (the test pairs' weights are their predictions), each TF best first; the API
    gives the same table, and its top k are the first k."""
    network = pd.read_csv(out / "network.csv")
    assert list(network.columns) == ["source", "target", "weight"]
    expected = {(t, g) for t in data.tfs for g in data.targets if t != g}
    assert len(network) == len(expected)
    assert set(zip(network["source"], network["target"])) == expected
    weights = network.set_index(["source", "target"])["weight"]
    scored = predictions.set_index(["tf", "target"])["score"]
    np.testing.assert_allclose(weights.loc[scored.index].to_numpy(), scored.to_numpy(),
                               rtol=1e-6)
    assert network["source"].is_monotonic_increasing
    assert all(group["weight"].is_monotonic_decreasing
               for _, group in network.groupby("source"))
    api = to_decoupler(out / "model")
    pd.testing.assert_frame_equal(api, network, check_exact=False, rtol=1e-6)
    top = to_decoupler(out / "model", top_k=3)
    pd.testing.assert_frame_equal(top, network.groupby("source").head(3).reset_index(drop=True),
                                  check_exact=False, rtol=1e-6)


def test_given_split_without_test_labels_gives_predictions_only(data_dir, tmp_path) -> None:
    splits = transductive_split(read_beeline(data_dir), seed=3)
    splits["test"] = splits["test"].drop(columns="label")
    write_genelink_splits(splits, tmp_path / "splits")
    out = tmp_path / "out"
    result = grn(data_dir, "--out", out, "--split-dir", tmp_path / "splits", "--encoder", "none",
                 "--gnn", "gcn", "--epochs", "3", "--top-k", "2")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["model", "network.csv", "predictions.csv",
                                                     "training.png", "training_history.csv"]
    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns) == ["tf", "target", "score"]
    assert len(predictions) == len(read_split(tmp_path / "splits" / "Test_set.csv"))
    network = pd.read_csv(out / "network.csv")  # --top-k 2: each TF's two best targets
    best = to_decoupler(out / "model").groupby("source").head(2).reset_index(drop=True)
    pd.testing.assert_frame_equal(network, best, check_exact=False, rtol=1e-6)
    assert (network.groupby("source").size() == 2).all()
    assert set(network["source"]) == set(read_beeline(data_dir).tfs)


def test_precomputed_and_checkpoint_encoders(data_dir, tmp_path) -> None:
    genes = read_beeline(data_dir).genes
    emb = ad.AnnData(np.random.default_rng(0).normal(size=(len(genes), 6)).astype(np.float32))
    emb.obs_names = genes[::-1]  # matched by name, not by position
    emb.write_h5ad(tmp_path / "emb.h5ad")
    result = grn(data_dir, "--out", tmp_path / "a", "--encoder",
                 f"precomputed:{tmp_path / 'emb.h5ad'}", "--epochs", "3")
    assert result.returncode == 0, result.stderr
    assert f"{len(genes)}/{len(genes)} genes found" in result.stdout

    torch.manual_seed(0)
    model = ScBertEncoder(dim=8, depth=1, heads=2, dim_head=4, max_seq_len=len(genes) + 1)
    save_scbert_checkpoint(model, tmp_path / "tiny.pth", genes=genes)
    result = grn(data_dir, "--out", tmp_path / "b", "--checkpoint", tmp_path / "tiny.pth",
                 "--epochs", "3", "--pooling", "mean")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b" / "metrics.json").is_file()


def _copy(data_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(data_dir, tmp_path / "copy"))


def test_missing_file(data_dir, tmp_path) -> None:
    broken = _copy(data_dir, tmp_path)
    (broken / "BL--network.csv").unlink()
    result = grn(broken, "--out", tmp_path / "out", "--encoder", "none")
    one_line_error(result, "BL--network.csv")
    assert not (tmp_path / "out").exists()


def test_split_index_out_of_range(data_dir, tmp_path) -> None:
    splits = transductive_split(read_beeline(data_dir), seed=0)
    write_genelink_splits(splits, tmp_path / "splits")
    test = pd.read_csv(tmp_path / "splits" / "Test_set.csv", index_col=0)
    test.loc[0, "Target"] = 10_000
    test.to_csv(tmp_path / "splits" / "Test_set.csv")
    result = grn(data_dir, "--out", tmp_path / "out", "--split-dir", tmp_path / "splits",
                 "--encoder", "none")
    one_line_error(result, "Test_set.csv", "outside")
    assert not (tmp_path / "out").exists()


def test_unknown_gene_in_split(data_dir, tmp_path) -> None:
    data = read_beeline(data_dir)
    write_genelink_splits(transductive_split(data, seed=0), tmp_path / "splits")
    train = pd.read_csv(tmp_path / "splits" / "Train_set.csv", index_col=0)
    train["TF"] = np.asarray(data.genes)[train["TF"]]  # names are accepted too
    train.loc[0, "TF"] = "NOT_A_GENE"
    train.to_csv(tmp_path / "splits" / "Train_set.csv")
    result = grn(data_dir, "--out", tmp_path / "out", "--split-dir", tmp_path / "splits",
                 "--encoder", "none")
    one_line_error(result, "unknown genes", "NOT_A_GENE")
    assert not (tmp_path / "out").exists()


def _fake_tfs(folder: Path) -> None:
    net = pd.read_csv(folder / "BL--network.csv")
    net["Gene1"] = "FAKE_TF"
    net.to_csv(folder / "BL--network.csv", index=False)


def _nan_value(folder: Path) -> None:
    expr = pd.read_csv(folder / "BL--ExpressionData.csv", index_col=0)
    expr.iloc[2, 3] = np.nan
    expr.to_csv(folder / "BL--ExpressionData.csv")


@pytest.mark.parametrize("damage, words", [(_fake_tfs, ("none of its 1 TFs",)),
                                           (_nan_value, ("NaN",))])
def test_bad_data_directory(data_dir, tmp_path, damage, words) -> None:
    broken = _copy(data_dir, tmp_path)
    damage(broken)
    result = grn(broken, "--out", tmp_path / "out", "--encoder", "none")
    one_line_error(result, *words)
    assert not (tmp_path / "out").exists()


def test_bad_encoder_and_checkpoint(data_dir, tmp_path) -> None:
    one_line_error(grn(data_dir, "--out", tmp_path / "o", "--encoder", "bert"), "unknown encoder")
    one_line_error(grn(data_dir, "--out", tmp_path / "o", "--checkpoint", tmp_path / "no.pth"),
                   "does not exist")
    torch.save({"model_state_dict": ScBertEncoder(dim=8, depth=1, heads=2, dim_head=4,
                                                  max_seq_len=10).state_dict()},
               tmp_path / "nogenes.pth")
    one_line_error(grn(data_dir, "--out", tmp_path / "o", "--checkpoint",
                       tmp_path / "nogenes.pth"), "no gene list")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("flag, name", [("--top-k", "top_k"), ("--batch-size", "batch_size")])
def test_counts_below_one_are_refused_before_any_work(data_dir, tmp_path, flag, name) -> None:
    one_line_error(grn(data_dir, "--out", tmp_path / "o", "--encoder", "none", flag, "0"),
                   f"{name} must be at least 1, got 0")
    assert not (tmp_path / "o").exists()


def test_released_scbert_layout_with_a_separate_gene_list(data_dir, tmp_path) -> None:
    """scBERT's released checkpoint: utils.save_ckpt's dict (epoch, model_state_dict of the
    unwrapped PerformerLM, optimizer_state_dict, scheduler_state_dict, losses), no genes; its
    gene order (a larger panel than the data's, in its own order) comes as a text file."""
    genes = read_beeline(data_dir).genes
    panel = [*genes[::-1][:-3], "EXTRA1", "EXTRA2"]  # 3 data genes missing, 2 foreign ones
    torch.manual_seed(0)
    model = ScBertEncoder(dim=8, depth=1, heads=2, dim_head=4, max_seq_len=len(panel) + 1)
    optimizer = torch.optim.Adam(model.parameters())
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 5)
    torch.save({"epoch": 7, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "scheduler_state_dict": scheduler.state_dict(), "losses": 1.25},
               tmp_path / "panglao_pretrain.pth")
    (tmp_path / "gene2vec_genes.txt").write_text("\n".join(panel) + "\n\n")
    run = ("--epochs", "3", "--pooling", "mean")
    one_line_error(grn(data_dir, "--out", tmp_path / "x", "--checkpoint",
                       tmp_path / "panglao_pretrain.pth", *run), "no gene list", "--gene-list")
    listed = grn(data_dir, "--out", tmp_path / "listed", "--checkpoint",
                 tmp_path / "panglao_pretrain.pth", "--gene-list", tmp_path / "gene2vec_genes.txt",
                 *run)
    assert listed.returncode == 0, listed.stderr
    # the same weights with the genes stored inside give the same predictions
    save_scbert_checkpoint(model, tmp_path / "stored.pth", genes=panel)
    stored = grn(data_dir, "--out", tmp_path / "stored", "--checkpoint", tmp_path / "stored.pth",
                 *run)
    assert stored.returncode == 0, stored.stderr
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "listed" / "predictions.csv"),
                                  pd.read_csv(tmp_path / "stored" / "predictions.csv"))
    (tmp_path / "long.txt").write_text("\n".join([*panel, "X1", "X2"]))
    one_line_error(grn(data_dir, "--out", tmp_path / "x", "--checkpoint",
                       tmp_path / "panglao_pretrain.pth", "--gene-list", tmp_path / "long.txt"),
                   "names 49 genes", "48 positions")
    one_line_error(grn(data_dir, "--out", tmp_path / "x", "--gene-list",
                       tmp_path / "gene2vec_genes.txt"), "give the checkpoint too")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("text, words", [
    ("", "is empty"),
    ("\n  \n", "is empty"),
    ("A\nB\nA\n", "names 'A' twice"),
    ("A 0.1 0.2\nB 0.3 0.4\n", "line 1 holds more than one field"),
    ("gene,position\nA,0\n", "line 1 holds more than one field"),
])
def test_bad_gene_lists(tmp_path, text, words) -> None:
    (tmp_path / "genes.txt").write_text(text)
    with pytest.raises(DglgeneInputError, match=words):
        read_gene_list(tmp_path / "genes.txt")


def test_gene_list_reads_positions_in_order(tmp_path) -> None:
    (tmp_path / "genes.txt").write_text("  TP53\nGAPDH\n\nACTB  \n")
    assert read_gene_list(tmp_path / "genes.txt") == ["TP53", "GAPDH", "ACTB"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_gene_list(tmp_path / "none.txt")
