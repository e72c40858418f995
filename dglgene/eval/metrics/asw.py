"""Common-gene ASW: scib's batch silhouette of the common genes' rows."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import silhouette_samples

from dglgene.eval.metrics.inputs import _rows
from dglgene.eval.metrics.neighbours import _clusters


def common_gene_asw(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike, *,
                    clusters: ArrayLike | None = None, k: int = 15, resolution: float = 1.0,
                    seed: int = 0, min_datasets: int = 2) -> float:
    r"""scib's batch ASW over the common-gene rows: batch = dataset, groups = clusters.

    Reference (``calculate_common_asw``): ``scib.metrics.silhouette_batch(common rows,
    batch_key='tissue', group_key='leiden')``, Leiden clusters computed on all rows. With
    :math:`s(i)` the silhouette of row :math:`i`'s *dataset* label among the common rows
    of its cluster :math:`C` (Euclidean),

    .. math:: \mathrm{ASW} = \frac{1}{|\mathcal C|}\sum_{C\in\mathcal C}
              \frac{1}{|C|}\sum_{i\in C} \big(1 - |s(i)|\big),

    where, as in scib, :math:`\mathcal C` leaves out clusters whose common rows come from
    one dataset only, or each from a different dataset (silhouette undefined). 1: datasets
    mixed within clusters; 0: separated. scib returns NaN when that leaves nothing; here the
    left-out clusters are then scored instead — one dataset: 0 (no mixing), all datasets
    distinct: 1 (singleton silhouettes are 0, Rousseeuw's convention) — and averaged, so
    the score is defined everywhere and equals scib's wherever scib's is.

    >>> emb = np.array([[0.0], [2.0], [1.0], [3.0], [100.0]])
    >>> asw = common_gene_asw(emb, ["g1", "g2", "g1", "g2", "g3"], ["A", "A", "B", "B", "A"],
    ...                       clusters=[0, 0, 0, 0, 0])
    >>> float(asw)   # silhouettes 0, -1/2, -1/2, 0; g3 is not common
    0.75
    """
    r = _rows(emb, genes, datasets, min_datasets=min_datasets)
    cl = _clusters(clusters, r.emb, k, resolution, seed)
    x, ds, cl = r.emb[r.common], r.ds_codes[r.common], cl[r.common]
    scores, fallback = [], []
    for c in np.unique(cl):
        idx = np.flatnonzero(cl == c)
        n_ds = len(np.unique(ds[idx]))
        if n_ds == 1:
            fallback.append(0.0)
        elif n_ds == len(idx):
            fallback.append(1.0)
        else:
            scores.append(np.mean(1.0 - np.abs(silhouette_samples(x[idx], ds[idx]))))
    return float(np.mean(scores if scores else fallback))
