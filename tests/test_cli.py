"""The command line answers as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dglgene

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
