r"""GO-term prediction: do a gene's nearest genes in the embedding predict its GO terms?

For a GO term :math:`t` the label of a gene is :math:`[g \in t]` (embedded genes without
the term are negatives). Every embedded gene gets its out-of-fold kNN score
:math:`s_1(g)`, the fraction of its ``k`` nearest training genes that carry the term
(:mod:`dglgene.eval.gene_knn`), and the term is scored by the AUROC of these scores pooled
over all folds, with :math:`P_t` the term's embedded genes and :math:`N_t` the others:

.. math::
    \mathrm{AUROC}_t = \frac{1}{|P_t| \, |N_t|} \sum_{g \in P_t} \sum_{h \in N_t}
        \Big( [s_1(g) > s_1(h)] + \tfrac{1}{2} [s_1(g) = s_1(h)] \Big)

:func:`go_term_prediction` gives one AUROC per term; :func:`summarize_go_prediction` the
median over the terms of each ontology, for several methods and the floors (a Gaussian
embedding; co-expression degree, scored as the AUROC of the degree itself), all on
identical genes, terms and folds.

>>> import numpy as np, pandas as pd
>>> angle = np.radians([0, 2, 4, 6, 90, 92, 94, 96])  # two tight groups on a circle
>>> unified = pd.DataFrame({"x": np.cos(angle), "y": np.sin(angle)},
...                        index=[f"g{i}" for i in range(8)])
>>> terms = {"first four": ["g0", "g1", "g2", "g3"]}
>>> go_term_prediction(unified, terms, min_genes=2, k=1, n_folds=2)
         term  n_genes  auroc
0  first four        4    1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dglgene.datasets.go import GO_ONTOLOGIES, go_gene_sets
from dglgene.eval.gene_knn import (
    K_NEIGHBOURS,
    _aligned_degree,
    _as_unified,
    _auroc,
    _check_knn,
    _folds,
    _mid_ranks,
    _Neighbours,
    random_embedding,
)

__all__ = ["go_term_prediction", "summarize_go_prediction"]


def _term_members(gene_sets: Mapping[str, Sequence[str]], genes: pd.Index, min_genes: int,
                  n_folds: int) -> list[tuple[str, np.ndarray]]:
    """The terms kept, with their genes as a bool mask over ``genes``."""
    index = {gene: i for i, gene in enumerate(genes)}
    terms = []
    for term, members in gene_sets.items():
        mask = np.zeros(len(genes), dtype=bool)
        mask[[index[g] for g in members if g in index]] = True
        if mask.sum() >= max(min_genes, n_folds) and (~mask).sum() >= n_folds:
            terms.append((str(term), mask))
    if not terms:
        raise ValueError(f"no gene set has {max(min_genes, n_folds)} or more of the "
                         f"{len(genes)} embedded genes (and {n_folds} genes outside it); "
                         "check that both use the same gene naming (e.g. HGNC symbols)")
    return terms


class _GOTask:
    """Terms and their folds over a set of genes: what every method is scored on."""

    def __init__(self, genes: pd.Index, gene_sets: Mapping[str, Sequence[str]], *,
                 min_genes: int, k: int, n_folds: int, seed: int) -> None:
        _check_knn(len(genes), k, n_folds)
        self.genes, self.k, self.n_folds = genes, k, n_folds
        self.terms = _term_members(gene_sets, genes, min_genes, n_folds)
        # folds are the costly part of a term (sklearn's checks): made once, for all methods
        small = np.min_scalar_type(n_folds)
        self.folds = [_folds(y, n_folds, seed).astype(small) for _, y in self.terms]

    def aurocs(self, unified: pd.DataFrame) -> list[float]:
        neighbours = _Neighbours(unified.loc[self.genes].to_numpy(dtype=np.float64),
                                 self.k, self.n_folds)
        return [_auroc(y, _mid_ranks(neighbours.votes(fold, y[None, :], self.k)[0]))
                for (_, y), fold in zip(self.terms, self.folds)]

    def degree_aurocs(self, degree: pd.Series) -> list[float]:
        ranks = _mid_ranks(_aligned_degree(degree, self.genes))
        return [_auroc(y, ranks) for _, y in self.terms]


def go_term_prediction(unified: pd.DataFrame, gene_sets: Mapping[str, Sequence[str]], *,
                       min_genes: int = 10, k: int = K_NEIGHBOURS, n_folds: int = 5,
                       seed: int = 0, degree: pd.Series | None = None) -> pd.DataFrame:
    """Per term: ``term``, ``n_genes`` (its embedded genes) and the kNN ``auroc``.

    Terms are those with ``>= min_genes`` embedded genes (and at least ``n_folds`` genes
    in and out of the term, for the stratified split). With ``degree`` (gene -> degree,
    e.g. :func:`coexpression_degree`) a ``degree_auroc`` column gives the floor: the AUROC
    of the raw degree over the same genes (nothing is trained, so every gene is out of
    fold). The BP terms over 5,000 genes take about 15 s on one core, half of it the
    stratified splits, which :func:`summarize_go_prediction` shares between methods.
    """
    unified = _as_unified(unified)
    task = _GOTask(unified.index, gene_sets, min_genes=min_genes, k=k, n_folds=n_folds,
                   seed=seed)
    result = pd.DataFrame({"term": [term for term, _ in task.terms],
                           "n_genes": [int(y.sum()) for _, y in task.terms],
                           "auroc": task.aurocs(unified)})
    if degree is not None:
        result["degree_auroc"] = task.degree_aurocs(degree)
    return result


def summarize_go_prediction(methods: Mapping[str, pd.DataFrame],
                            ontologies: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
                            *, degree: pd.Series | None = None, with_random: bool = True,
                            min_genes: int = 10, k: int = K_NEIGHBOURS, n_folds: int = 5,
                            seed: int = 0) -> pd.DataFrame:
    """Median GO-term AUROC: one row per method (plus ``random``, a Gaussian embedding
    seeded by ``seed``, and ``degree`` when given), one column per ontology.

    ``methods`` maps names to unified embeddings of the same genes; ``ontologies`` maps
    column names to gene sets (default: the vendored GO sets as ``BP``, ``MF``, ``CC``).
    All rows use the same genes, terms and folds. ``attrs["n_terms"]`` counts the terms
    of each ontology and ``attrs["n_genes"]`` the genes. Read the ``random`` row as the
    chance level: a term with few genes leaves most scores at 0, so per-term AUROCs of a
    random embedding are skewed and their median sits a little below 0.5 (0.49 for the BP
    terms over 5,000 genes) while their mean stays at 0.5.

    >>> import numpy as np, pandas as pd
    >>> genes = [f"g{i}" for i in range(40)]
    >>> planted = pd.DataFrame(np.repeat(np.eye(4), 10, axis=0) + 0.01, index=genes)
    >>> sets = {"T": {f"module {m}": genes[10 * m:10 * m + 10] for m in range(4)}}
    >>> table = summarize_go_prediction({"planted": planted}, sets)
    >>> list(table.index), float(table.loc["planted", "T"]), table.attrs["n_terms"]
    (['planted', 'random'], 1.0, {'T': 4})
    """
    if not methods:
        raise ValueError("give at least one method: {name: unified embedding}")
    reserved = {"random"} if with_random else set()
    reserved |= {"degree"} if degree is not None else set()
    if reserved & set(methods):
        raise ValueError(f"method names {sorted(reserved & set(methods))} are reserved for "
                         "the floors; rename those methods")
    embeddings = {name: _as_unified(unified) for name, unified in methods.items()}
    first_name, first = next(iter(embeddings.items()))
    for name, unified in embeddings.items():
        if not unified.index.equals(first.index):
            raise ValueError(f"{name!r} and {first_name!r} embed different genes; restrict "
                             "every method to the same genes so the folds are the same")
    if with_random:
        embeddings["random"] = random_embedding(first, seed=seed)
    if ontologies is None:
        ontologies = {name.upper(): go_gene_sets(name) for name in GO_ONTOLOGIES}
    table = pd.DataFrame(index=[*embeddings, *(["degree"] if degree is not None else [])],
                         columns=list(ontologies), dtype=np.float64)
    n_terms = {}
    for ontology, gene_sets in ontologies.items():
        task = _GOTask(first.index, gene_sets, min_genes=min_genes, k=k, n_folds=n_folds,
                       seed=seed)
        n_terms[ontology] = len(task.terms)
        for name, unified in embeddings.items():
            table.loc[name, ontology] = np.median(task.aurocs(unified))
        if degree is not None:
            table.loc["degree", ontology] = np.median(task.degree_aurocs(degree))
    table.attrs.update(n_terms=n_terms, n_genes=len(first))
    return table
