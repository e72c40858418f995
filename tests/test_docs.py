"""The documentation: its words, and every name its API reference lists imports."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
PAGES = [p for p in PAGES if "_build" not in p.parts]

#: Words about how the software was made, not what it does; "#12"-style issue references.
FORBIDDEN = [re.compile(r"\bsessions?\b", re.IGNORECASE),
             re.compile(r"\bissues? #?\d", re.IGNORECASE),
             re.compile(r"(?<![\w&/])#\d+\b")]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_pages_describe_the_software(page: Path) -> None:
    text = page.read_text()
    for pattern in FORBIDDEN:
        found = pattern.search(text)
        assert found is None, f"{page.relative_to(ROOT)}: {found.group(0)!r}"


def cells(row: str) -> int:
    """The cells of a Markdown table row (an escaped ``\\|`` is text, not a border)."""
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_table_row_has_the_cells_of_its_header(page: Path) -> None:
    """A bare "|" inside a cell ("Pearson |r|") splits it and shifts the row."""
    header = None
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if not line.startswith("|"):
            header = None
        elif header is None:
            header = cells(line)
        else:
            assert cells(line) == header, f"{page.relative_to(ROOT)}:{number}: {line}"


def api_subpackages() -> list[str]:
    """The subpackages the API reference's index lists, one page each."""
    index = (DOCS / "api" / "index.md").read_text()
    toctree = re.search(r"```\{toctree\}\n(.*?)```", index, flags=re.DOTALL).group(1)
    return [line.strip() for line in toctree.splitlines()
            if line.strip() and not line.startswith(":")]


def test_api_reference_lists_every_subpackage() -> None:
    sys.path.insert(0, str(DOCS))
    import generate

    assert api_subpackages() == list(generate.SUBPACKAGES)


@pytest.mark.parametrize("subpackage", api_subpackages())
def test_every_documented_name_imports_in_a_fresh_interpreter(subpackage: str) -> None:
    sys.path.insert(0, str(DOCS))
    import generate

    page = generate.api_page(subpackage)
    names = [line.strip() for line in page.split(".. autosummary::")[1].splitlines()
             if line.strip() and not line.strip().startswith(":")]
    assert names, f"the {subpackage} page lists no names"
    code = f"from dglgene.{subpackage} import {', '.join(names)}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
