"""dglgene: a DGL-based engine with a C++ core for learning gene representations."""

import os

# DGL asks for a backend on first import and writes ~/.dgl otherwise.
os.environ.setdefault("DGLBACKEND", "pytorch")

__version__ = "0.1.0"

from dglgene import ops

__all__ = ["__version__", "ops"]
