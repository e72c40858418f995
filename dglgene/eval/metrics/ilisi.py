"""iLISI: scib's integration LISI of the dataset labels, scaled to [0, 1]."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dglgene.eval.metrics.inputs import _as_embedding, _labels
from dglgene.eval.metrics.neighbours import lisi


def ilisi(emb: ArrayLike, datasets: ArrayLike, perplexity: float = 30.0) -> float:
    r"""scib's iLISI: median LISI of the dataset labels, scaled to [0, 1].

    .. math:: \mathrm{iLISI} = \frac{\operatorname{median}_i \mathrm{LISI}_i - 1}{B - 1}

    with :func:`lisi` (perplexity 30, 90 neighbours) and :math:`B` the number of datasets
    among the rows given: 0 when every neighbourhood holds one dataset, 1 when all
    :math:`B` are evenly mixed (scib ``ilisi_graph(..., scale=True)``; the median as scib
    takes it). Reference (``calculate_iLISI``): ``scib.metrics.ilisi_graph(common rows,
    batch_key='tissue', type_='embed')``, so pass the common rows (see
    :func:`common_gene_mask`); :func:`embedding_metrics` does.

    >>> round(ilisi(np.eye(4), ["A", "A", "B", "B"], perplexity=1), 12)  # LISI 1.8 for all
    0.8
    """
    x = _as_embedding(emb)
    names, _ = _labels(datasets, len(x), "datasets")
    if len(names) < 2:
        raise ValueError(f"need rows from at least 2 datasets, got {len(names)}")
    return float((np.nanmedian(lisi(x, datasets, perplexity)) - 1.0) / (len(names) - 1))
