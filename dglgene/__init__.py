"""dglgene: a DGL-based engine with a C++ core for learning gene representations.

Subpackages load on first use (``dg.data``, ``dg.models``, ...), so ``import dglgene``
and the command line start fast.
"""

import importlib
import os

# DGL asks for a backend on first import and writes ~/.dgl otherwise.
os.environ.setdefault("DGLBACKEND", "pytorch")
# numba's OpenMP layer (UMAP, behind the Leiden clusters and the plots) shares torch's
# libgomp and sets its thread count to all cores, after which torch trains on all cores
# whatever OMP_NUM_THREADS says (1 -> 2 here; 7x slower epochs beside another job).
# numba's own thread pool leaves torch's setting alone.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

__version__ = "0.1.0"

SUBPACKAGES = ("benchmarks", "cli", "data", "datasets", "eval", "grn", "losses", "models", "nn",
               "ops", "train")
__all__ = ["__version__", *SUBPACKAGES]


def __getattr__(name: str) -> object:
    if name in SUBPACKAGES:
        return importlib.import_module(f"dglgene.{name}")
    raise AttributeError(f"module 'dglgene' has no attribute {name!r}")
