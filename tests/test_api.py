"""The public API: every exported name resolves, each has one home, no module forwards to
another, and the layers import only downwards."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

import dglgene

MODULES = [info.name for info in pkgutil.walk_packages(dglgene.__path__, "dglgene.")
           if not info.name.endswith(".__main__")]


def run_fresh(code: str) -> None:
    """Run ``code`` in a new interpreter, so that nothing this process imported helps it."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr


def subpackage(name: str) -> ModuleType:
    return importlib.import_module(f"dglgene.{name}")


def test_subpackages_lists_every_subpackage() -> None:
    found = {info.name for info in pkgutil.iter_modules(dglgene.__path__) if info.ispkg}
    assert set(dglgene.SUBPACKAGES) == found


def documented() -> set[str]:
    """The subpackages the API reference lists (tests/test_docs.py imports their names)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
    import generate

    return set(generate.SUBPACKAGES)


@pytest.mark.parametrize("name", sorted(set(dglgene.SUBPACKAGES) - documented()))
def test_every_exported_name_resolves_on_a_fresh_import(name: str) -> None:
    # Each subpackage first in its own interpreter: an import cycle shows up only when
    # its first module is the one imported first. The documented subpackages are checked
    # the same way from their API pages (tests/test_docs.py).
    run_fresh(f"import dglgene as dg\n"
              f"package = dg.{name}\n"
              f"missing = [n for n in package.__all__ if not hasattr(package, n)]\n"
              f"assert not missing, missing")


def test_grn_names_resolve_on_a_fresh_import() -> None:
    run_fresh("import dglgene as dg; dg.grn.to_decoupler")


def test_datasets_do_not_import_grn() -> None:
    run_fresh("import sys, dglgene.datasets\n"
              "assert 'dglgene.grn' not in sys.modules, 'dglgene.datasets imports dglgene.grn'")


@pytest.mark.parametrize("name", MODULES)
def test_no_module_forwards_names(name: str) -> None:
    module = importlib.import_module(name)
    assert name == "dglgene" or "__getattr__" not in vars(module), \
        f"{name} resolves names lazily (a module-level __getattr__)"
    assert "moved" not in (module.__doc__ or "").lower(), f"{name}'s docstring says it moved"
    if hasattr(module, "__path__"):  # a package's __init__ gathers its modules' names
        return
    for export in getattr(module, "__all__", []):
        obj = getattr(module, export)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__ == name, f"{name} re-exports {export} from {obj.__module__}"


def test_each_public_name_has_one_home() -> None:
    exporters: dict[str, list[str]] = defaultdict(list)
    for name in dglgene.SUBPACKAGES:
        package = subpackage(name)
        for export in package.__all__:
            exporters[export].append(name)
            obj = getattr(package, export)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert f"{obj.__module__}.".startswith(f"dglgene.{name}."), \
                    f"dglgene.{name} exports {export}, defined in {obj.__module__}"
    shared = {export: names for export, names in exporters.items() if len(names) > 1}
    assert not shared, f"names exported by more than one subpackage: {shared}"
