"""pytest setup for the benchmark suite (``pytest bench``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ is not a package; its modules import each other by plain name under any import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_configure(config: pytest.Config) -> None:
    # pytest-benchmark writes --benchmark-json without creating the folder (bench/results/).
    json_path = config.getoption("benchmark_json", None)
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
