"""Sphinx configuration of the dglgene documentation (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DGLBACKEND", "pytorch")

import dglgene  # noqa: E402

project = "dglgene"
author = "dglgene authors"
copyright = "2026, dglgene authors"
release = version = dglgene.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "data", "benchmarks/_generated", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The API pages list each subpackage's __all__ (one page per subpackage, one per name).
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc renders the documented types
# Class pages list their methods through autosummary's class template, not numpydoc's
# member tables (which would need a stub page per inherited torch.nn.Module method).
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()

html_theme = "furo"
html_title = f"dglgene {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]

# API pages from each subpackage's __all__ and benchmark tables from docs/data/.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402

generate.generate()
