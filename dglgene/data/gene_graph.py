"""GeneGraph: one dataset's gene co-expression graph with its genes and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dgl
import numpy as np
import scipy.sparse as sp
import torch


@dataclass
class GeneGraph:
    """Nodes are genes (``genes`` in node order), edges co-expression.

    ``graph.ndata["feat"]`` holds the node features; ``info`` records how the graph was
    built (method, thresholds, cells, density, seconds).

    >>> import numpy as np, scipy.sparse as sp
    >>> g = GeneGraph.from_adjacency(sp.identity(2, format="csr"), np.zeros((2, 3)),
    ...                              ["A", "B"], dataset="toy", modality="rna", tissue="blood")
    >>> g.graph.num_nodes(), g.graph.ndata["feat"].shape[1], g.n_edges
    (2, 3, 0)
    """

    graph: dgl.DGLGraph
    genes: list[str]
    dataset: str
    modality: str
    tissue: str
    species: str = "human"
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.genes) != self.graph.num_nodes():
            raise ValueError(f"{self.dataset}: {len(self.genes)} gene names for "
                             f"{self.graph.num_nodes()} nodes; give one name per node")
        if len(set(self.genes)) != len(self.genes):
            raise ValueError(f"{self.dataset}: duplicate gene names; make them unique")

    @classmethod
    def from_adjacency(cls, adjacency: sp.spmatrix, features: np.ndarray, genes: list[str],
                       **meta: Any) -> GeneGraph:
        """Build from a (symmetric) scipy adjacency and a genes x d feature matrix."""
        coo = sp.coo_matrix(adjacency)
        graph = dgl.graph((torch.from_numpy(coo.row.astype(np.int64)),
                           torch.from_numpy(coo.col.astype(np.int64))),
                          num_nodes=adjacency.shape[0])
        graph.ndata["feat"] = torch.as_tensor(np.asarray(features, dtype=np.float32))
        return cls(graph=graph, genes=list(genes), **meta)

    @property
    def n_genes(self) -> int:
        return self.graph.num_nodes()

    @property
    def n_edges(self) -> int:
        """Undirected co-expression edges, self-loops not counted."""
        src, dst = self.graph.edges()
        return int((src < dst).sum())

    @property
    def density(self) -> float:
        n = self.n_genes
        return 2 * self.n_edges / (n * (n - 1)) if n > 1 else 0.0

    def csr(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indptr, indices)`` int64 arrays of the out-neighbours: the kernels' input."""
        indptr, indices, _ = self.graph.adj_tensors("csr")
        return indptr.numpy().astype(np.int64), indices.numpy().astype(np.int64)

    def adjacency(self) -> sp.csr_matrix:
        indptr, indices = self.csr()
        n = self.n_genes
        return sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(n, n))

    def degree(self) -> np.ndarray:
        """Each gene's number of co-expression partners, its self-loop not counted."""
        adjacency = self.adjacency()
        return np.diff(adjacency.indptr) - (adjacency.diagonal() != 0)
