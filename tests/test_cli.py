"""The command line answers as documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from error_lines import error_lines

import dglgene
from dglgene.cli import main
from dglgene.data import GraphRecipe
from dglgene.grn.settings import GRNSettings
from dglgene.train import PretrainConfig, TrainConfig

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_version_matches_package() -> None:
    result = run(str(BIN / "dglgene"), "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"dglgene {dglgene.__version__}"


def test_module_help_lists_commands() -> None:
    result = run(sys.executable, "-m", "dglgene", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: dglgene") and "info" in result.stdout


def test_info_reports_the_native_backend() -> None:
    result = run(sys.executable, "-m", "dglgene", "info")
    assert result.returncode == 0
    assert "kernel backends: " in result.stdout and "cpp" in result.stdout


def test_unknown_command_fails_with_usage() -> None:
    result = run(sys.executable, "-m", "dglgene", "no-such-command")
    assert result.returncode != 0 and "invalid choice" in result.stderr


def test_benchmark_and_demo_refuse_zero_epochs_before_any_work(tmp_path) -> None:
    """One line and exit 2 within the test's 120 s: a check after the work would first
    build the demo collection or pre-train an encoder (minutes)."""
    for command in (["bench-embed", "--data", "real"], ["bench-grn", "--data", "mdc"],
                    ["demo", "--out", str(tmp_path / "demo")]):
        result = run(sys.executable, "-m", "dglgene", *command, "--epochs", "0")
        assert result.returncode == 2, (command, result.stderr)
        assert error_lines(result.stderr) == [
            "dglgene: error: " + ("epochs" if command[0] == "bench-grn" else "--epochs")
            + " must be at least 1, got 0"], command
    assert not (tmp_path / "demo").exists()


def test_bench_grn_checks_its_encoder_checkpoint_before_any_work(tmp_path) -> None:
    missing = tmp_path / "none.pth"
    for extra, words in ((["--encoder-checkpoint", str(missing)], "does not exist"),
                         (["--encoder-checkpoint", str(missing), "--encoder-cells", "own"],
                          "not both")):
        result = run(sys.executable, "-m", "dglgene", "bench-grn", "--data", "collectri-pbmc",
                     *extra)
        assert result.returncode == 2, result.stderr
        lines = error_lines(result.stderr)
        assert len(lines) == 1 and words in lines[0], lines


@pytest.mark.parametrize("command, flag, default", [
    ("embed", "--epochs", TrainConfig.epochs), ("graphs", "--n-hvg", GraphRecipe.n_hvg),
    ("graphs", "--p-value", GraphRecipe.p_value), ("grn", "--batch-size", GRNSettings.batch_size),
    ("grn", "--gnn", GRNSettings.gnn), ("pretrain", "--epochs", PretrainConfig.epochs),
    ("pretrain", "--n-genes", PretrainConfig.n_genes)])
def test_help_shows_each_default_from_its_settings_class(capsys, command, flag, default) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert re.search(rf" {flag} .*?\(default: ([^)]*)\)", text).group(1) == str(default)


def test_every_subpackage_loads_on_first_use_in_a_fresh_process() -> None:
    """`dg.grn` and `dg.benchmarks` work right after `import dglgene`, with nothing else
    imported first."""
    result = run(sys.executable, "-c", "import dglgene as dg; print(dg.grn.to_decoupler.__name__, "
                 "dg.benchmarks.compare_grn.__name__, sorted(dg.__all__))")
    assert result.returncode == 0, result.stderr
    names, listed = result.stdout.split(" [")
    assert names == "to_decoupler compare_grn"
    assert {"'benchmarks'", "'grn'"} <= set(listed.rstrip("]\n").split(", "))
