"""Random gene graphs without cells: workloads for scale tests and benchmarks.

Graph ``k`` holds genes ``g{k * shift}`` to ``g{k * shift + n_genes - 1}`` of one
vocabulary (``shift = round(n_genes * (1 - shared))``, so neighbouring graphs share a
fraction ``shared`` of their genes), ``edges_per_gene`` uniformly drawn edges per gene made
undirected, and Gaussian node features. Nothing is planted: they measure time and memory,
not quality.

>>> coll = random_gene_graphs(3, 100, shared=0.5, seed=0)
>>> [g.n_genes for g in coll], coll[0].genes[50] == coll[1].genes[0]
([100, 100, 100], True)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dglgene.data import GeneGraph, GraphCollection
from dglgene.errors import require_at_least

__all__ = ["random_gene_graphs"]


def random_gene_graphs(n_graphs: int, n_genes: int, shared: float = 0.5,
                       edges_per_gene: int = 5, n_feats: int = 16, seed: int = 0
                       ) -> GraphCollection:
    """``n_graphs`` random gene graphs of ``n_genes`` genes each (module docstring)."""
    require_at_least("n_graphs", n_graphs)
    require_at_least("n_genes", n_genes, 2)
    rng = np.random.default_rng(seed)
    shift = round(n_genes * (1 - shared))
    graphs = []
    for k in range(n_graphs):
        src, dst = rng.integers(n_genes, size=(2, edges_per_gene * n_genes))
        a = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n_genes, n_genes)).tocsr()
        a = ((a + a.T) > 0).astype(np.float32)
        genes = [f"g{k * shift + i}" for i in range(n_genes)]
        graphs.append(GeneGraph.from_adjacency(a, rng.normal(size=(n_genes, n_feats)), genes,
                                               dataset=f"random{k}", modality="rna",
                                               tissue="none"))
    return GraphCollection(graphs)
