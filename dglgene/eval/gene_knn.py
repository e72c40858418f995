r"""Gene kNN scores: each gene scored by the labels of its nearest genes in an embedding.

The machinery of :mod:`dglgene.eval.label_prediction`, in the spirit of MuSe-GNN's
gene-function analyses (Liu et al., NeurIPS 2023, §4.2 and §4.4): do genes that lie
close in the embedding share a function? An embedding (one row per (dataset, gene)) is
first *unified*, each gene's rows averaged over the datasets that hold it
(:func:`unified_embedding`). For a class label :math:`y` of the genes, the genes are
split by ``StratifiedKFold(n_folds, shuffle=True, random_state=seed)`` on :math:`y`, and a
gene :math:`g` of fold :math:`f` is scored for class :math:`c` by its ``k`` nearest genes
outside fold :math:`f`:

.. math::
    s_c(g) = \frac{1}{k} \sum_{h \in N_k(g)} [y_h = c], \qquad
    d(g, h) = 1 - \frac{z_g \cdot z_h}{\lVert z_g \rVert \, \lVert z_h \rVert}

with :math:`N_k(g)` the ``k`` genes nearest to :math:`g` by the cosine distance :math:`d`
among the training genes. This is ``KNeighborsClassifier(k, metric="cosine")
.predict_proba`` fitted on the other folds (exactly, unless distances tie), computed for
all folds at once from one ranking of each gene's neighbours. Scores are compared by
AUROC from their mid-ranks (Mann-Whitney U, ties counting 1/2).

Floors, always scored on the same genes and folds: a Gaussian embedding
(:func:`random_embedding`) and co-expression degree (:func:`coexpression_degree`: hub
genes carry more annotations).

Design choices. Cosine, not Euclidean: MuSe-GNN's losses compare genes by cosine
similarity, and the norm of a unified row shrinks where datasets disagree, so direction is
what carries function. The plain fraction, not distance weights: it is exactly sklearn's
uniform kNN, and ``k = 10`` (:data:`K_NEIGHBOURS`) is fixed in advance, never tuned on the
test folds. Folds depend only on the set of genes (taken in sorted order), the label and
the seed, so every method embedding the same genes is scored on identical folds.

>>> import anndata as ad, numpy as np, pandas as pd
>>> emb = ad.AnnData(np.array([[1, 2], [3, 6], [5, 0]], dtype=np.float32),
...                  obs=pd.DataFrame({"gene": ["g2", "g1", "g2"]}, index=["a", "b", "c"]))
>>> unified = unified_embedding(emb)  # g2: the mean of (1, 2) and (5, 0)
>>> unified.index.tolist(), unified.to_numpy().tolist()
(['g1', 'g2'], [[3.0, 6.0], [3.0, 1.0]])
"""

from __future__ import annotations

import math

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from dglgene.data import GraphCollection
from dglgene.errors import DglgeneInputError, require_at_least

__all__ = ["K_NEIGHBOURS", "coexpression_degree", "random_embedding", "unified_embedding"]

#: Neighbours per score, fixed before looking at any result.
K_NEIGHBOURS = 10
_CHUNK = 1024  # rows of one block of the distance matrix (memory cap)


# --------------------------------------------------------------------------- gene tables
def unified_embedding(emb: ad.AnnData) -> pd.DataFrame:
    """One row per gene (index ``gene``, sorted): the mean of its rows over datasets."""
    if "gene" not in emb.obs:
        raise DglgeneInputError("the embedding has no obs['gene'] column; give an AnnData with one "
                                "row per (dataset, gene) as `dglgene embed` writes")
    values = pd.DataFrame(np.asarray(emb.X, dtype=np.float64),
                          columns=[str(c) for c in emb.var_names])
    return values.groupby(emb.obs["gene"].astype(str).to_numpy()).mean().rename_axis("gene")


def coexpression_degree(source: GraphCollection | ad.AnnData) -> pd.Series:
    """Each gene's number of co-expression partners (self-loop excluded), averaged over
    the datasets that hold it: from a collection's graphs, or from an embedding's
    ``obs["degree"]`` (which every dglgene embedding carries)."""
    if isinstance(source, ad.AnnData):
        if "degree" not in source.obs:
            raise DglgeneInputError("the embedding has no obs['degree'] column; embed with "
                                    "dglgene, or give the collection instead")
        genes, degree = source.obs["gene"].astype(str).to_numpy(), source.obs["degree"]
    else:
        genes = np.concatenate([graph.genes for graph in source])
        degree = np.concatenate([graph.degree() for graph in source])
    return (pd.Series(np.asarray(degree, np.float64), index=genes).groupby(level=0).mean()
            .rename("degree").rename_axis("gene"))


def random_embedding(unified: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A standard Gaussian embedding of the same genes and shape: the chance floor."""
    values = np.random.default_rng(seed).standard_normal(unified.shape)
    return pd.DataFrame(values, index=unified.index, columns=unified.columns)


def _as_unified(unified: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(unified, pd.DataFrame) or unified.shape[0] == 0 or unified.shape[1] == 0:
        raise DglgeneInputError("give a non-empty genes x dims DataFrame (see unified_embedding)")
    unified = unified.set_axis(unified.index.astype(str)).sort_index()
    if unified.index.has_duplicates:
        raise DglgeneInputError(f"gene {unified.index[unified.index.duplicated()][0]!r} has "
                                "several rows; average them first (unified_embedding)")
    if not np.isfinite(unified.to_numpy(dtype=np.float64)).all():
        raise DglgeneInputError("the embedding has NaN or infinite values; clean it first")
    return unified


def _aligned_degree(degree: pd.Series, genes: pd.Index) -> np.ndarray:
    degree = degree.set_axis(degree.index.astype(str)).dropna()
    missing = genes.difference(degree.index)
    if len(missing):
        raise DglgeneInputError(f"degree is missing for {len(missing)} of the {len(genes)} genes "
                                f"(e.g. {missing[0]!r}); give a degree for every embedded gene")
    return degree.groupby(level=0).first().reindex(genes).to_numpy(dtype=np.float64)


# --------------------------------------------------------------------------- kNN machinery
def _ranking_width(n: int, k: int, n_folds: int) -> int:
    """Neighbours ranked per gene: twice the expected scan for ``k`` training genes plus
    a margin, so that the exact fallback in :meth:`_Neighbours.votes` is rare."""
    return min(n, 2 * math.ceil(k * n_folds / (n_folds - 1)) + 20)


class _Neighbours:
    """Every gene's nearest genes by cosine distance (itself included), nearest first,
    ties by row order, ranked deep enough for ``k`` neighbours outside one of ``n_folds``
    folds. The ranking is computed once and shared by all labels and folds."""

    def __init__(self, values: np.ndarray, k: int, n_folds: int) -> None:
        norms = np.linalg.norm(values, axis=1, keepdims=True)
        self.unit = values / np.where(norms > 0, norms, 1.0)  # a zero row stays zero, as sklearn
        n = len(values)
        width = _ranking_width(n, k, n_folds)
        # order[j] holds the j-th nearest gene of every gene: the scan reads whole rows
        self.order = np.empty((width, n), dtype=np.int64)
        for start in range(0, n, _CHUNK):
            rows = slice(start, min(start + _CHUNK, n))
            distance = self.distances(rows)
            if width < n:
                candidates = np.argpartition(distance, width - 1, axis=1)[:, :width]
            else:
                candidates = np.broadcast_to(np.arange(n), distance.shape)
            nearest = np.lexsort((candidates, np.take_along_axis(distance, candidates, 1)))
            self.order[:, rows] = np.take_along_axis(candidates, nearest, 1).T

    def distances(self, rows: slice | np.ndarray) -> np.ndarray:
        return 1.0 - self.unit[rows] @ self.unit.T

    def votes(self, fold: np.ndarray, members: np.ndarray, k: int) -> np.ndarray:
        """``counts[c, g]``: how many of gene ``g``'s ``k`` nearest genes outside its fold
        are members of class ``c`` (``members`` is a classes x genes bool matrix)."""
        counts = np.zeros(members.shape, dtype=np.int64)
        taken = np.zeros(len(fold), dtype=np.int64)
        for nearest in self.order:
            take = (fold[nearest] != fold) & (taken < k)
            taken += take
            counts += members[:, nearest] & take
            if taken.min() == k:
                break
        short = np.flatnonzero(taken < k)
        if len(short):  # too many fold-mates among the ranked: rank these against all genes
            distance = self.distances(short)
            distance[fold[None, :] == fold[short, None]] = np.inf
            ties = np.broadcast_to(np.arange(len(fold)), distance.shape)
            nearest = np.lexsort((ties, distance))[:, :k]
            counts[:, short] = members[:, nearest].sum(axis=2)
        return counts


def _check_knn(n: int, k: int, n_folds: int) -> None:
    require_at_least("n_folds", n_folds, 2)
    # StratifiedKFold's folds differ in size by at most one gene
    smallest_train = n - math.ceil(n / n_folds)
    if not 1 <= k <= smallest_train:
        raise DglgeneInputError(f"k={k} neighbours, but a training fold has {smallest_train} of "
                                f"the {n} genes; choose k between 1 and {smallest_train}")


def _folds(y: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    fold = np.empty(len(y), dtype=np.int64)
    splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for f, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        fold[test] = f
    return fold


def _auroc(positive: np.ndarray, ranks: np.ndarray) -> float:
    """AUROC from the mid-ranks of the scores (Mann-Whitney U; ties count 1/2)."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _mid_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks, tied scores sharing their mean rank."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - (counts - 1) / 2)[inverse]).astype(np.float64)
