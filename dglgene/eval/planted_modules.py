r"""Integration against a planted answer: do a gene's nearest genes from *other* datasets
share its module, and is the gene itself among them?

For row :math:`r` (gene :math:`g` of dataset :math:`d`) let :math:`N_k(r)` be its ``k``
nearest rows (Euclidean) among the rows of all datasets other than :math:`d`. Then

.. math::
    \mathrm{purity} = \operatorname{mean}_{r:\,m(g_r) \ge 0}
        \frac{|\{s \in N_k(r) : m(g_s) = m(g_r)\}|}{k},
    \qquad
    \mathrm{hit} = \operatorname{mean}_{r:\,g_r \text{ in} \ge 2 \text{ datasets}}
        [\exists s \in N_k(r) : g_s = g_r]

with :math:`m(g)` the planted module (-1 for background genes, which purity skips). A
method that leaves each dataset on an island of its own still finds *some* nearest
rows elsewhere, but they are arbitrary: purity falls to the module share and hit to ~0.

>>> import numpy as np
>>> emb = np.array([[0.0], [5.0], [0.1], [5.1]])
>>> genes, datasets = ["a", "b", "a", "b"], ["A", "A", "B", "B"]
>>> modules = {"a": 0, "b": 1}
>>> planted_module_scores(emb, genes, datasets, modules, k=1)
{'module_purity': 1.0, 'same_gene_hit_rate': 1.0}
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.neighbors import NearestNeighbors


def cross_dataset_neighbours(emb: ArrayLike, datasets: ArrayLike, k: int) -> np.ndarray:
    """Row indices of each row's ``k`` nearest rows from other datasets (``n x k``)."""
    x = np.asarray(emb, dtype=np.float64)
    datasets = np.asarray(datasets)
    out = np.empty((len(x), k), dtype=np.int64)
    for d in np.unique(datasets):
        inside = datasets == d
        others = np.flatnonzero(~inside)
        if len(others) < k:
            raise ValueError(f"fewer than k={k} rows outside dataset {d!r}; lower k")
        idx = NearestNeighbors(n_neighbors=k).fit(x[others]).kneighbors(
            x[inside], return_distance=False)
        out[inside] = others[idx]
    return out


def same_gene_hit_rate(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike, k: int = 10,
                       neighbours: np.ndarray | None = None) -> float:
    """Share of the common genes' rows that find a row of the same gene among their ``k``
    nearest rows from other datasets (needs no planted answer: real data too)."""
    genes = np.asarray(genes).astype(str)
    nbr = cross_dataset_neighbours(emb, datasets, k) if neighbours is None else neighbours
    n_datasets = pd.Series(np.asarray(datasets)).groupby(genes).nunique()
    common = n_datasets.reindex(genes).to_numpy() >= 2
    return float((genes[nbr] == genes[:, None]).any(axis=1)[common].mean())


def planted_module_scores(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike,
                          modules: Mapping[str, int] | pd.Series, k: int = 10
                          ) -> dict[str, float]:
    """Cross-dataset module purity and same-gene hit rate of the ``k`` nearest rows."""
    genes = np.asarray(genes).astype(str)
    module = pd.Series(modules).reindex(genes).fillna(-1).to_numpy(dtype=np.int64)
    nbr = cross_dataset_neighbours(emb, datasets, k)
    in_module = module >= 0
    purity = (module[nbr] == module[:, None])[in_module].mean()
    return {"module_purity": float(purity),
            "same_gene_hit_rate": same_gene_hit_rate(emb, genes, datasets, k, nbr)}
