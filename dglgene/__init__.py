"""dglgene: a DGL-based engine with a C++ core for learning gene representations."""

__version__ = "0.1.0"

from dglgene import ops

__all__ = ["__version__", "ops"]
