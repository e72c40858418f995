"""Common-gene ratio: how few clusters each gene's rows spread over."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dglgene.eval.metrics.inputs import _rows
from dglgene.eval.metrics.neighbours import _clusters


def common_gene_ratio(emb: ArrayLike, genes: ArrayLike, datasets: ArrayLike, k: int = 15, *,
                      clusters: ArrayLike | None = None, resolution: float = 1.0,
                      seed: int = 0) -> float:
    r"""Common-gene ratio: how often a gene's rows from different datasets share a cluster.

    Reference (``calculate_common_gene_propertion``), over *all* :math:`N` rows and the
    Leiden clusters :math:`C`:

    .. math:: \mathrm{CGR} = \sum_C \frac{|C|}{N}\Big(1 - \frac{|\mathrm{genes}(C)|}{|C|}\Big)
              = 1 - \frac{1}{N}\sum_C |\mathrm{genes}(C)|,

    :math:`|\mathrm{genes}(C)|` = distinct gene names in :math:`C`. 0 when no cluster holds
    two rows of one gene (e.g. datasets in separate clusters); its maximum,
    :math:`1 - G/N` with :math:`G` distinct genes, when every gene's rows share a cluster —
    not 1: with every gene in all of :math:`D` datasets the maximum is :math:`1 - 1/D`.

    >>> float(common_gene_ratio([[0.0], [1.0], [0.0], [1.0]], ["a", "b", "a", "b"],
    ...                         [1, 1, 2, 2], clusters=[0, 1, 0, 2]))   # 1 - (1 + 1 + 1)/4
    0.25
    """
    r = _rows(emb, genes, datasets)
    cl = _clusters(clusters, r.emb, k, resolution, seed)
    distinct = len(np.unique(cl * len(r.gene_names) + r.gene_codes))  # sum_C |genes(C)|
    return float(1.0 - distinct / len(r.emb))
