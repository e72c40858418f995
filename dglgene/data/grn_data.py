"""One GRN dataset: expression plus a known regulatory network over the same genes.

:class:`GRNData` is what the BEELINE/GENELink reader (:mod:`dglgene.data.beeline`), the
built-in benchmarks (:mod:`dglgene.datasets`) and the splits (:mod:`dglgene.grn.splits`)
share.

>>> import pandas as pd
>>> expr = pd.DataFrame([[1.0, 2.0], [0.5, 0.0], [3.0, 1.0]], index=["A", "B", "C"],
...                     columns=["c1", "c2"])
>>> grn = GRNData(expr, pd.DataFrame({"tf": ["A"], "target": ["C"]}), tfs=["A"],
...               targets=["A", "B", "C"], name="toy")
>>> grn.gene_index["C"], grn.edge_index()
(2, (array([0]), array([2])))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dglgene.errors import DglgeneInputError

__all__ = ["GRNData"]


def _few(names: Iterable[object], n: int = 5) -> str:
    names = [str(x) for x in names]
    return ", ".join(names[:n]) + (", ..." if len(names) > n else "")


@dataclass(eq=False)
class GRNData:
    """Expression plus a known regulatory network over the same genes.

    Row ``i`` of ``expression`` is gene index ``i`` everywhere (splits, Label.csv). The
    inputs are checked on construction; a bad one raises :class:`DglgeneInputError`.

    Parameters
    ----------
    expression
        Genes x cells: numbers, unique gene names as the index, no NaN or inf.
    network
        The known edges: columns ``tf`` and ``target`` (gene names), an optional
        ``score``.
    tfs
        The TF list (TF.csv).
    targets
        The candidate targets (Target.csv).
    name
        The dataset's name, used in messages and reports.
    """

    expression: pd.DataFrame
    network: pd.DataFrame
    tfs: list[str]
    targets: list[str]
    name: str = "grn"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        expr = self.expression
        if not isinstance(expr, pd.DataFrame) or expr.shape[0] == 0 or expr.shape[1] == 0:
            raise DglgeneInputError(f"GRNData {self.name!r}: expression must be a non-empty "
                                    "genes x cells DataFrame")
        if not all(isinstance(g, str) for g in expr.index):
            expr = self.expression = expr.set_axis(expr.index.astype(str), axis=0)
        dup = expr.index[expr.index.duplicated()].unique()
        if len(dup):
            raise DglgeneInputError(f"GRNData {self.name!r}: {len(dup)} duplicate gene names in "
                                    f"the expression ({_few(dup)}); merge or rename them")
        values = expr.to_numpy()
        if not np.issubdtype(values.dtype, np.number):
            raise DglgeneInputError(f"GRNData {self.name!r}: expression has non-numeric values; "
                                    "give genes x cells numbers with gene names as the index")
        if not np.isfinite(values).all():
            raise DglgeneInputError(f"GRNData {self.name!r}: expression has "
                                    f"{int((~np.isfinite(values)).sum())} NaN/inf values; "
                                    "impute or drop them")
        missing = {"tf", "target"} - set(self.network.columns)
        if missing:
            raise DglgeneInputError(f"GRNData {self.name!r}: network lacks columns "
                                    f"{sorted(missing)}; it needs columns tf, target (gene names)")
        self._index = {g: i for i, g in enumerate(expr.index)}
        self.tfs = [str(t) for t in self.tfs]
        self.targets = [str(t) for t in self.targets]
        for what, genes in (("network TFs", self.network["tf"]),
                            ("network targets", self.network["target"]),
                            ("tfs", self.tfs), ("targets", self.targets)):
            unknown = sorted(set(map(str, genes)) - self._index.keys())
            if unknown:
                raise DglgeneInputError(f"GRNData {self.name!r}: {len(unknown)} {what} are not "
                                        f"rows of the expression ({_few(unknown)}); drop them "
                                        "first")

    @property
    def gene_index(self) -> dict[str, int]:
        """Gene name -> row index of ``expression``."""
        return dict(self._index)

    @property
    def genes(self) -> list[str]:
        return list(self.expression.index)

    @property
    def n_genes(self) -> int:
        return self.expression.shape[0]

    @property
    def n_cells(self) -> int:
        return self.expression.shape[1]

    def indices(self, genes: Iterable[object]) -> np.ndarray:
        """Row indices of gene names.

        Parameters
        ----------
        genes
            Gene names, rows of ``expression`` (names from the network, ``tfs`` and
            ``targets`` are: they were checked).

        Returns
        -------
        numpy.ndarray
            int64 row indices, in the order of ``genes``.
        """
        return np.array([self._index[str(g)] for g in genes], dtype=np.int64)

    def edge_index(self) -> tuple[np.ndarray, np.ndarray]:
        """The known edges as expression rows.

        Returns
        -------
        tuple of numpy.ndarray
            The TF rows and the target rows (int64), one entry per edge of ``network``.
        """
        return self.indices(self.network["tf"]), self.indices(self.network["target"])

    def copy(self) -> GRNData:
        return GRNData(self.expression.copy(), self.network.copy(), list(self.tfs),
                       list(self.targets), self.name)

