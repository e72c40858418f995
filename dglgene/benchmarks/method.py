"""A benchmark's method table: one :class:`Method` record per method, with named fields.

>>> table = method_table(Method("PCA", "per-dataset PCA, no training"),
...                      Method("no GNN", "the transformer view alone", settings={"gnn": None},
...                             uses_encoder=True))
>>> list(table), table["no GNN"].settings
(['PCA', 'no GNN'], {'gnn': None})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Method", "method_table"]


@dataclass(frozen=True)
class Method:
    """One method a benchmark compares.

    Attributes
    ----------
    name
        Its row in the tables.
    description
        What it is, in a line.
    reference
        The paper it comes from (empty: this package's own variant).
    make
        Gene embeddings: ``make(collection, seed)``, the model to train (None: nothing
        to train).
    settings
        GRN: changes to :class:`~dglgene.grn.settings.GRNSettings` that make this variant.
    uses_encoder
        GRN: whether it reads the pre-trained transformer's gene representation.
    """

    name: str
    description: str
    reference: str = ""
    make: Callable[..., Any] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    uses_encoder: bool = False


def method_table(*methods: Method) -> dict[str, Method]:
    """Name -> method, in the order given."""
    return {m.name: m for m in methods}

