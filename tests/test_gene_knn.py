"""Gene tables for the kNN scores: unified embeddings and co-expression degree."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from dglgene.data import GeneGraph, GraphCollection
from dglgene.eval.gene_knn import coexpression_degree, unified_embedding
from dglgene.models.graph_model import embedding_frame


def test_unified_embedding_averages_a_genes_rows_over_datasets() -> None:
    emb = ad.AnnData(np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 0.0], [7.0, 1.0]], np.float32),
                     obs=pd.DataFrame({"gene": ["g2", "g1", "g2", "g3"],
                                       "dataset": ["A", "A", "B", "B"]},
                                      index=["0", "1", "2", "3"]))
    unified = unified_embedding(emb)
    assert unified.index.tolist() == ["g1", "g2", "g3"]
    # g2 is in A (1, 2) and B (5, 0): mean (3, 1); g1 and g3 have one row each
    np.testing.assert_array_equal(unified.to_numpy(), [[3.0, 6.0], [3.0, 1.0], [7.0, 1.0]])


def toy_graph(name: str, genes: list[str], edges: list[tuple[int, int]]) -> GeneGraph:
    n = len(genes)
    rows = [i for i, j in edges] + [j for i, j in edges] + list(range(n))  # + self-loops
    cols = [j for i, j in edges] + [i for i, j in edges] + list(range(n))
    adjacency = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return GeneGraph.from_adjacency(adjacency, np.zeros((n, 2)), genes, dataset=name,
                                    modality="rna", tissue="t")


def test_coexpression_degree_skips_self_loops_and_averages_datasets() -> None:
    # A: X-Y, X-Z (X has 2 partners, Y and Z 1); B: X-W, W-Y (X 1, W 2, Y 1)
    coll = GraphCollection([toy_graph("A", ["X", "Y", "Z"], [(0, 1), (0, 2)]),
                            toy_graph("B", ["X", "W", "Y"], [(0, 1), (1, 2)])])
    degree = coexpression_degree(coll)
    assert degree.to_dict() == {"W": 2.0, "X": 1.5, "Y": 1.0, "Z": 1.0}
    # the same degrees from an embedding of that collection (its obs carries them)
    obs = embedding_frame(coll)
    emb = ad.AnnData(np.zeros((len(obs), 1), np.float32), obs=obs)
    assert coexpression_degree(emb).to_dict() == degree.to_dict()
    with pytest.raises(ValueError, match=r"no obs\['degree'\] column"):
        coexpression_degree(ad.AnnData(emb.X, obs=obs.drop(columns="degree")))
