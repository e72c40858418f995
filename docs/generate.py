"""Pages that ``make docs`` generates before Sphinx reads the sources.

- ``api/<subpackage>.rst``: one API page per subpackage, an autosummary of its ``__all__``
  (so the reference follows what each subpackage exports);
- ``benchmarks/_generated/*.md``: benchmark tables computed from the result files under
  ``docs/data/`` (copies of what the benchmark commands wrote), by ``bench/report.py``.

Run by ``docs/conf.py`` at every build; ``python docs/generate.py`` runs it alone.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
SUBPACKAGES = ("data", "datasets", "models", "nn", "losses", "train", "eval", "grn",
               "benchmarks", "ops")


def api_page(name: str) -> str:
    """The reST of one subpackage's API page: its docstring, then its exported names."""
    module = importlib.import_module(f"dglgene.{name}")
    full = f"dglgene.{name}"
    lines = [full, "=" * len(full), "", f".. automodule:: {full}", "   :no-members:", "",
             f".. currentmodule:: {full}", "", ".. autosummary::", "   :toctree: generated",
             "   :nosignatures:", ""]
    lines += [f"   {item}" for item in sorted(module.__all__, key=str.lower)]
    return "\n".join(lines) + "\n"


def documented_names() -> dict[str, list[str]]:
    """Each subpackage's documented names (what its API page lists)."""
    return {name: sorted(importlib.import_module(f"dglgene.{name}").__all__, key=str.lower)
            for name in SUBPACKAGES}


def write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def generate() -> None:
    for name in SUBPACKAGES:
        write_if_changed(DOCS / "api" / f"{name}.rst", api_page(name))
    sys.path.insert(0, str(ROOT / "bench"))
    import report

    for page, text in report.docs_tables(DOCS / "data").items():
        write_if_changed(DOCS / "benchmarks" / "_generated" / f"{page}.md", text)


if __name__ == "__main__":
    generate()
