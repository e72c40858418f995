"""The README's and the documentation's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PAGES = [p for p in PAGES if "_build" not in p.parts and "_generated" not in p.parts]
BLOCKS = [(page, code) for page in PAGES
          for code in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL)]


def test_readme_has_examples() -> None:
    assert sum(page.name == "README.md" for page, _ in BLOCKS) >= 3


@pytest.mark.parametrize(("page", "code"), BLOCKS,
                         ids=[f"{page.relative_to(ROOT)}-{k}" for k, (page, _) in
                              enumerate(BLOCKS)])
def test_example_runs(page: Path, code: str, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # examples write under out/
    exec(compile(code, str(page), "exec"), {})
    assert capsys.readouterr().out.strip()  # every example prints its result
