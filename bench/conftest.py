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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    """Each reference training step's median over dglgene's, from this run."""
    session = getattr(config, "_benchmarksession", None)
    medians = {b.extra_info["implementation"]: b.stats.median
               for b in getattr(session, "benchmarks", []) if b.group == "step"}
    if "dglgene" not in medians:
        return
    terminalreporter.section("training step: reference / dglgene (medians, this run)")
    for name, median in medians.items():
        terminalreporter.write_line(f"{name}: {median:.3f} s, "
                                    f"{median / medians['dglgene']:.1f}x dglgene's")
