"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{k}" for k in range(len(BLOCKS))])
def test_readme_example_runs(code: str, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # examples write under out/
    exec(compile(code, str(README), "exec"), {})
    assert capsys.readouterr().out.strip()  # every example prints its result
