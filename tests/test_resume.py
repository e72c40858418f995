"""Resume: `dglgene grn` and `dglgene pretrain` (fit_links, pretrain_scbert) killed after a
checkpoint continue to exactly the result of an uninterrupted run on CPU; a damaged,
foreign or other run's checkpoint is refused with one line.

The uninterrupted runs go through ``dglgene.cli.main`` in this process (the subprocesses
inherit its environment, so both train on the same number of threads)."""

from __future__ import annotations

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
from killed_runs import killed_after, same_threads

from dglgene.cli import main
from dglgene.data.beeline import read_beeline, write_beeline
from dglgene.datasets import simulate_sergio_grn
from dglgene.grn.methods import train_model
from dglgene.grn.pipeline import pretrain_checkpoint_path
from dglgene.grn.settings import GRNSettings
from dglgene.grn.splits import make_splits, transductive_split, write_genelink_splits
from dglgene.models import load
from dglgene.nn.performer import checkpoint_genes, load_scbert_checkpoint
from dglgene.train.checkpoint import FIT_LINKS, PRETRAIN
from dglgene.train.fit_links import score_pairs
from dglgene.train.pretrain import pretrain_scbert

TINY = dict(dim=8, depth=1, heads=2, dim_head=4)
RESTART = "start without --resume"


@pytest.fixture(scope="module")
def grn_data(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny BEELINE folder and a split of it whose test pairs have no labels (so that a
    run writes no baselines: GENIE3 alone would take seconds)."""
    folder = tmp_path_factory.mktemp("grn")
    write_beeline(simulate_sergio_grn(n_tfs=8, n_targets=40, n_cells=90, seed=1),
                  folder / "sergio")
    splits = transductive_split(read_beeline(folder / "sergio"), seed=0)
    splits["test"] = splits["test"].drop(columns="label")
    write_genelink_splits(splits, folder / "splits")
    return folder / "sergio", folder / "splits"


def counts(seed: int, cells: int = 50, genes: int = 30) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    mu = rng.lognormal(0.5, 0.5, genes)[None] * rng.choice([1.0, 6.0], (cells, genes))
    adata = ad.AnnData(sp.csr_matrix(rng.poisson(mu).astype(np.float32)))
    adata.var_names = [f"gene{i}" for i in range(genes)]
    return adata


@pytest.fixture(scope="module")
def h5ads(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("cells")
    for seed in (0, 1):
        counts(seed).write_h5ad(folder / f"d{seed}.h5ad")
    return [str(folder / f"d{seed}.h5ad") for seed in (0, 1)]


def dglgene(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dglgene", *map(str, args)],
                          capture_output=True, text=True, timeout=600, env=same_threads())


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    x, y = a.state_dict(), b.state_dict()
    return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)


def assert_same_grn_outputs(a: Path, b: Path) -> None:
    for name in ("predictions.csv", "training_history.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert same_weights(load(a / "model"), load(b / "model"))


def assert_refused(result: subprocess.CompletedProcess, out: Path, checkpoint: Path,
                   message: str | None) -> None:
    """Exit 2, one line, nothing written; ``message`` None: the one for a truncated file."""
    assert result.returncode == 2 and not out.exists()
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    if message is None:  # torch's reason in the middle
        assert lines[0].startswith(f"dglgene: error: {checkpoint}: not a readable checkpoint (")
        assert lines[0].endswith(f"); delete it or {RESTART}")
    else:
        assert lines[0] == f"dglgene: error: {checkpoint}: {message}"


def one_line(capsys, code: int) -> str:
    assert code == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    return lines[0]


# ---------------------------------------------------------------------------- dglgene grn


def test_killed_grn_resumes_to_the_uninterrupted_result(grn_data, tmp_path) -> None:
    """SIGKILL `dglgene grn` after its first training checkpoint, resume: same outputs."""
    data_dir, split_dir = grn_data
    args = ["grn", data_dir, "--split-dir", split_dir, "--encoder", "none", "--epochs", 100]
    checkpoint, killed, straight = tmp_path / "train.pt", tmp_path / "killed", tmp_path / "s"
    state = killed_after(checkpoint, *args, "--out", killed, "--train-checkpoint", checkpoint)
    assert not killed.exists() and not pretrain_checkpoint_path(checkpoint).exists()
    resumed = dglgene(*args, "--out", killed, "--train-checkpoint", checkpoint, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert main(list(map(str, [*args, "--out", straight]))) == 0
    history = pd.read_csv(straight / "training_history.csv")
    assert state["epoch"] < history["epoch"].max()  # it was killed while training
    assert_same_grn_outputs(killed, straight)


def test_grn_killed_while_pretraining_its_encoder_resumes_that(grn_data, tmp_path) -> None:
    """Without an scBERT checkpoint the encoder is pre-trained on the cells first; a run
    killed then continues the pre-training from FILE.pretrain."""
    data_dir, split_dir = grn_data
    args = ["grn", data_dir, "--split-dir", split_dir, "--epochs", 5]
    checkpoint, killed, straight = tmp_path / "train.pt", tmp_path / "killed", tmp_path / "s"
    encoder = pretrain_checkpoint_path(checkpoint)
    state = killed_after(encoder, *args, "--out", killed, "--train-checkpoint", checkpoint)
    epochs = GRNSettings().pretrain_epochs
    assert state["epoch"] < epochs and not checkpoint.exists() and not killed.exists()
    resumed = dglgene(*args, "--out", killed, "--train-checkpoint", checkpoint, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert torch.load(encoder)["epoch"] == epochs and checkpoint.exists()
    assert main(list(map(str, [*args, "--out", straight]))) == 0
    assert_same_grn_outputs(killed, straight)


def test_fit_links_resumed_from_epoch_k_equals_one_run(grn_data, tmp_path) -> None:
    """Early stopping continues where it was: best weights, patience, history, optimiser,
    random states (the GAT and the head use dropout)."""
    data_dir, split_dir = grn_data
    data = read_beeline(data_dir)
    splits = make_splits(data, split_dir=split_dir)
    full, graph, history = train_model(data, splits, None, GRNSettings(epochs=60), seed=2)
    assert history.attrs["best_epoch"] < history["epoch"].max() < 60  # it stopped early
    checkpoint = tmp_path / "train.pt"
    train_model(data, splits, None, GRNSettings(epochs=3), seed=2, checkpoint=checkpoint)
    state = torch.load(checkpoint)
    assert state["format"] == FIT_LINKS.format and state["epoch"] == 3
    assert {"model", "best_model", "best_epoch", "best", "optimizer", "history", "stopped",
            "numpy_rng", "torch_rng", "run"} <= set(state)
    torch.manual_seed(123)  # the resumed run must not depend on the state around it
    again, _, resumed = train_model(data, splits, None, GRNSettings(epochs=60), seed=2,
                                    checkpoint=checkpoint, resume=True)
    assert resumed.equals(history) and resumed.attrs == history.attrs
    assert same_weights(full, again)
    test = splits["test"]
    assert np.array_equal(score_pairs(full, graph, test), score_pairs(again, graph, test))
    # A finished (early-stopped) run resumes to itself, with no more training.
    assert torch.load(checkpoint)["stopped"]
    _, _, finished = train_model(data, splits, None, GRNSettings(epochs=60), seed=2,
                                 checkpoint=checkpoint, resume=True)
    assert finished.equals(history)


def test_fit_links_refuses_another_runs_checkpoint(grn_data, tmp_path) -> None:
    data_dir, split_dir = grn_data
    data = read_beeline(data_dir)
    splits = make_splits(data, split_dir=split_dir)
    checkpoint = tmp_path / "train.pt"
    train_model(data, splits, None, GRNSettings(epochs=1), seed=0, checkpoint=checkpoint)
    fix = f"use the same data and options, or {RESTART}"
    cases = [(dict(seed=1), f"seed 0, not 1); {fix}"),
             (dict(settings=GRNSettings(epochs=1, patience=5)), f"patience 20, not 5); {fix}"),
             (dict(splits=make_splits(data, seed=4)), f"other data); {fix}")]
    for change, message in cases:
        given = {"data": data, "splits": splits, "source": None,
                 "settings": GRNSettings(epochs=1), "seed": 0, **change}
        with pytest.raises(ValueError) as error:
            train_model(**given, checkpoint=checkpoint, resume=True)
        assert str(error.value) == f"{checkpoint}: written for another run ({message}"


@pytest.mark.parametrize("damage, message", [
    (lambda path: path.write_bytes(path.read_bytes()[:1000]), None),
    (lambda path: torch.save({"weights": 1}, path),
     "not a dglgene GRN training checkpoint; give one that `dglgene grn --train-checkpoint` "
     "or `fit_links(checkpoint=...)` wrote"),
])
def test_grn_damaged_or_foreign_checkpoint_one_line(grn_data, tmp_path, damage, message) -> None:
    data_dir, split_dir = grn_data
    data = read_beeline(data_dir)
    checkpoint, out = tmp_path / "train.pt", tmp_path / "out"
    train_model(data, make_splits(data, split_dir=split_dir), None, GRNSettings(epochs=1),
                checkpoint=checkpoint)
    damage(checkpoint)
    result = dglgene("grn", data_dir, "--split-dir", split_dir, "--encoder", "none", "--out",
                     out, "--train-checkpoint", checkpoint, "--resume")
    assert_refused(result, out, checkpoint, message)


def test_grn_refuses_other_checkpoints_through_the_cli(grn_data, h5ads, tmp_path,
                                                      capsys) -> None:
    data_dir, split_dir = grn_data
    args = ["grn", str(data_dir), "--split-dir", str(split_dir), "--encoder", "none",
            "--epochs", "1", "--out", str(tmp_path / "out")]
    assert one_line(capsys, main([*args, "--resume"])) == (
        "dglgene: error: --resume needs --train-checkpoint FILE (the checkpoint to continue "
        "from)")
    scbert = tmp_path / "pretrain.pt"
    pretrain_scbert(ad.read_h5ad(h5ads[0]), epochs=1, config=TINY, checkpoint=scbert)
    assert one_line(capsys, main([*args, "--train-checkpoint", str(scbert), "--resume"])) == (
        f"dglgene: error: {scbert}: a dglgene pre-training checkpoint, not a GRN training "
        "checkpoint; give one that `dglgene grn --train-checkpoint` or "
        "`fit_links(checkpoint=...)` wrote")
    checkpoint = tmp_path / "train.pt"
    assert main([*args, "--train-checkpoint", str(checkpoint)]) == 0
    capsys.readouterr()
    code = main([*args[:-2], "--out", str(tmp_path / "other"), "--seed", "1",
                 "--train-checkpoint", str(checkpoint), "--resume"])
    assert one_line(capsys, code) == (
        f"dglgene: error: {checkpoint}: written for another run (seed 0, not 1); use the "
        f"same data and options, or {RESTART}")
    code = main([*args[:-2], "--out", str(tmp_path / "other"), "--gnn", "gcn",
                 "--train-checkpoint", str(checkpoint), "--resume"])
    assert one_line(capsys, code).startswith(
        f"dglgene: error: {checkpoint}: written for another model (")
    assert not (tmp_path / "other").exists()


# ---------------------------------------------------------------------------- dglgene pretrain


def test_killed_pretrain_resumes_to_the_uninterrupted_result(h5ads, tmp_path) -> None:
    """SIGKILL `dglgene pretrain` after its first checkpoint, resume: the same weights and
    history (but the seconds)."""
    args = ["pretrain", *h5ads, "--epochs", 20, "--n-genes", 20]
    checkpoint, killed, straight = tmp_path / "run.pt", tmp_path / "killed", tmp_path / "s"
    state = killed_after(checkpoint, *args, "--out", killed, "--checkpoint", checkpoint)
    assert 1 <= state["epoch"] < 20 and not killed.exists()
    resumed = dglgene(*args, "--out", killed, "--checkpoint", checkpoint, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert main(list(map(str, [*args, "--out", straight]))) == 0
    a, b = killed / "scbert_pretrain.pth", straight / "scbert_pretrain.pth"
    assert same_weights(load_scbert_checkpoint(a), load_scbert_checkpoint(b))
    assert checkpoint_genes(a) == checkpoint_genes(b)
    history = [pd.read_csv(p / "pretrain_history.csv").drop(columns="seconds")
               for p in (killed, straight)]
    assert len(history[0]) == 20 and history[0].equals(history[1])


def test_pretrain_resumed_from_epoch_k_equals_one_run(tmp_path) -> None:
    """With dropout too: torch's random state is seeded, saved and restored (and the
    caller's left alone)."""
    adata, config = counts(3, cells=60, genes=16), {**TINY, "ff_dropout": 0.2}
    before = torch.get_rng_state()
    full = pretrain_scbert(adata, epochs=4, seed=1, n_genes=None, config=config)
    assert torch.equal(torch.get_rng_state(), before)
    checkpoint = tmp_path / "run.pt"
    pretrain_scbert(adata, epochs=2, seed=1, n_genes=None, config=config,
                    checkpoint=checkpoint)
    state = torch.load(checkpoint)
    assert state["format"] == PRETRAIN.format and state["epoch"] == 2
    assert {"model", "optimizer", "history", "generator", "torch_rng", "run"} <= set(state)
    torch.manual_seed(123)
    again = pretrain_scbert(adata, epochs=4, seed=1, n_genes=None, config=config,
                            checkpoint=checkpoint, resume=True)
    columns = [c for c in full.history.columns if c != "seconds"]
    assert again.history[columns].equals(full.history[columns])
    assert again.history.attrs == full.history.attrs and again.genes == full.genes
    assert same_weights(again.model, full.model)
    with pytest.raises(ValueError) as error:
        pretrain_scbert(counts(4, cells=60, genes=16), epochs=4, seed=1, n_genes=None,
                        config=config, checkpoint=checkpoint, resume=True)
    assert str(error.value) == (f"{checkpoint}: written for another run (other data); use the "
                                f"same data and options, or {RESTART}")


@pytest.mark.parametrize("damage, message", [
    (lambda path: path.write_bytes(path.read_bytes()[:1000]), None),
    (lambda path: torch.save({"weights": 1}, path),
     "not a dglgene pre-training checkpoint; give one that `dglgene pretrain --checkpoint` or "
     "`pretrain_scbert(checkpoint=...)` wrote"),
])
def test_pretrain_damaged_or_foreign_checkpoint_one_line(h5ads, tmp_path, damage,
                                                         message) -> None:
    checkpoint, out = tmp_path / "run.pt", tmp_path / "out"
    pretrain_scbert(ad.read_h5ad(h5ads[0]), epochs=1, config=TINY, checkpoint=checkpoint)
    damage(checkpoint)
    result = dglgene("pretrain", *h5ads, "--out", out, "--checkpoint", checkpoint, "--resume")
    assert_refused(result, out, checkpoint, message)


def test_pretrain_refuses_other_checkpoints_through_the_cli(grn_data, h5ads, tmp_path,
                                                           capsys) -> None:
    args = ["pretrain", *h5ads, "--epochs", "1", "--out", str(tmp_path / "out")]
    assert one_line(capsys, main([*args, "--resume"])) == (
        "dglgene: error: --resume needs --checkpoint FILE (the checkpoint to continue from)")
    data_dir, split_dir = grn_data
    data = read_beeline(data_dir)
    grn = tmp_path / "train.pt"
    train_model(data, make_splits(data, split_dir=split_dir), None, GRNSettings(epochs=1),
                checkpoint=grn)
    assert one_line(capsys, main([*args, "--checkpoint", str(grn), "--resume"])) == (
        f"dglgene: error: {grn}: a dglgene GRN training checkpoint, not a pre-training "
        "checkpoint; give one that `dglgene pretrain --checkpoint` or "
        "`pretrain_scbert(checkpoint=...)` wrote")
    old = tmp_path / "old.pt"
    pretrain_scbert([ad.read_h5ad(p) for p in h5ads], epochs=1, config=TINY, checkpoint=old)
    torch.save({**torch.load(old), "version": 99}, old)
    assert one_line(capsys, main([*args, "--checkpoint", str(old), "--resume"])) == (
        f"dglgene: error: {old}: checkpoint format version 99, but this dglgene reads "
        "version 1; start afresh")
    tiny = tmp_path / "tiny.pt"  # the command trains the default (larger) configuration
    pretrain_scbert([ad.read_h5ad(p) for p in h5ads], epochs=1, config=TINY, checkpoint=tiny)
    assert one_line(capsys, main([*args, "--checkpoint", str(tiny), "--resume"])).startswith(
        f"dglgene: error: {tiny}: written for another run (config {{")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_resume_on_cuda_equals_one_run(grn_data, tmp_path) -> None:
    """Both loops keep the CUDA random state too (dropout draws from it there)."""
    data_dir, split_dir = grn_data
    data = read_beeline(data_dir)
    splits = make_splits(data, split_dir=split_dir)
    settings = GRNSettings(epochs=30, patience=30)
    _, _, full = train_model(data, splits, None, settings, device="cuda")
    train_model(data, splits, None, GRNSettings(epochs=3, patience=30), device="cuda",
                checkpoint=tmp_path / "train.pt")
    assert "cuda_rng" in torch.load(tmp_path / "train.pt", map_location="cpu")
    _, _, again = train_model(data, splits, None, settings, device="cuda",
                              checkpoint=tmp_path / "train.pt", resume=True)
    np.testing.assert_allclose(again["val_loss"], full["val_loss"], rtol=1e-4)
    adata, config = counts(3, cells=60, genes=16), {**TINY, "ff_dropout": 0.2}
    full = pretrain_scbert(adata, epochs=4, n_genes=None, config=config, device="cuda").history
    pretrain_scbert(adata, epochs=2, n_genes=None, config=config, device="cuda",
                    checkpoint=tmp_path / "run.pt")
    again = pretrain_scbert(adata, epochs=4, n_genes=None, config=config, device="cuda",
                            checkpoint=tmp_path / "run.pt", resume=True).history
    np.testing.assert_allclose(again["train_loss"], full["train_loss"], rtol=1e-4)
