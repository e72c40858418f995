r"""Gene function from gene embeddings: GO-term prediction as the field scores it.

A gene embedding carries function when a classifier on it predicts a gene's GO terms for
genes it has not seen. The protocol follows the gene-embedding benchmarks (Kinalis et al.
2019; the IBM gene benchmark, arXiv 2412.04075) and guards against their known traps:

* **Current genes.** Every embedded symbol is mapped to its current gene
  (:func:`dglgene.datasets.map_symbols`: ``IL8`` -> ``CXCL8``) before anything is scored.
* **Universe.** Only genes with at least one annotation in the ontology; an unannotated
  gene is not a negative example, it is unknown.
* **Terms.** Gene sets with 20 to 200 universe genes; near-duplicates (Jaccard index of
  their universe genes above 0.9) are collapsed into the largest (:func:`collapse_duplicates`).
* **Development and test terms.** Every term of an ontology file is assigned once, by
  :data:`TERM_SPLIT_SEED`, to a development or a test half (:func:`term_split`), whatever
  the collection; defaults are chosen on development terms, results reported on test terms.
* **Scorer.** For term :math:`t` and fold :math:`f` of a stratified ``n_folds`` split of the
  universe genes, an L2 logistic regression with balanced classes
  (:func:`dglgene.eval.logistic.fit_logistic`, scikit-learn's objective) is fitted on the
  rows of the other folds' genes, on standardised embedding columns, and scores the rows of
  fold :math:`f`. ``scorer="knn"`` (unified view only) uses the distance-weighted vote of
  the :math:`k` nearest training genes by cosine distance :math:`d`:
  :math:`s_t(g) = \sum_{h \in N_k(g)} y_{ht} / d(g,h) \,/\, \sum_{h \in N_k(g)} 1/d(g,h)`.
* **Scores per term.** AUROC (ties count 1/2), average precision over the term's prevalence,
  and the AUROC within co-expression-degree deciles (each decile's AUROC, weighted by its
  positives: how much of the score is more than "hub genes carry more terms").

Views of an embedding with one row per (dataset, gene):

* ``"unified"``: one row per gene, its rows averaged over the datasets holding it;
* ``"own"``: each dataset's rows alone (train and test on that dataset's genes); a term's
  score is the mean over datasets holding ``n_folds`` or more of its genes;
* ``"transfer"``: the integration claim. A gene's rows in dataset :math:`d` are scored by a
  classifier trained only on the rows of the *other* datasets, of genes outside the gene's
  fold (the gene's own rows elsewhere never train it). An embedding whose datasets live on
  unrelated axes (per-dataset PCA) cannot transfer.

Floors on the same genes, terms and folds (:func:`function_floors`): a Gaussian embedding;
each row's log co-expression degree (its partners that pass the co-expression test,
before any top-k cut), number of datasets holding the gene and mean log expression, alone
and together; and neighbour voting on the input graphs
(:func:`neighbour_voting`, EGAD's score: the share of a gene's co-expression partners that
carry the term in the training folds).

>>> import numpy as np, pandas as pd
>>> genes = [f"g{i}" for i in range(60)]
>>> sets = {"GO:1 first": genes[:20], "GO:2 copy": genes[:19], "GO:3 second": genes[20:40]}
>>> task = function_task(genes, gene_sets=sets, min_size=10, split_seed=0)
>>> task.terms.index.tolist(), task.terms.loc["GO:1 first", "merged"]
(['GO:1 first', 'GO:3 second'], 'GO:2 copy')
"""

from __future__ import annotations

import functools
import itertools
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
from matplotlib.figure import Figure  # no pyplot: no global backend switch
from scipy.sparse.csgraph import connected_components
from scipy.stats import rankdata, wilcoxon

from dglgene.data import GraphCollection
from dglgene.datasets.genes import human_genes, map_symbols, mapping_rate
from dglgene.datasets.go import GO_ONTOLOGIES, go_gene_sets
from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.eval.logistic import decision_function, fit_logistic
from dglgene.eval.plots import save_figure

__all__ = [
    "COVARIATE_FLOORS",
    "FLOORS",
    "KNN_K",
    "LOGISTIC_C",
    "TERM_SPLIT_LINK",
    "TERM_SPLIT_SEED",
    "VIEWS",
    "FunctionTask",
    "collapse_duplicates",
    "evaluate_gene_function",
    "function_floors",
    "function_scores",
    "function_task",
    "neighbour_voting",
    "plot_function_scores",
    "summarize_function",
    "term_split",
    "unified_degree",
]

#: The seed that splits every ontology's terms into development and test halves, once.
TERM_SPLIT_SEED = 0
#: Terms whose genes overlap by more than this Jaccard index fall in the same half.
TERM_SPLIT_LINK = 0.5
#: The views an embedding is scored in (see the module docstring).
VIEWS = ("unified", "own", "transfer")
#: The floors scored by the logistic scorer on row covariates: their names and columns.
COVARIATE_FLOORS = {"degree": ("log_degree",), "datasets": ("n_datasets",),
                    "expression": ("mean_expression",),
                    "degree + datasets + expression": ("log_degree", "n_datasets",
                                                       "mean_expression")}
#: The floors' names in :func:`function_floors`' output.
FLOORS = ("random", *COVARIATE_FLOORS, "neighbour voting")
#: The logistic scorer's inverse L2 strength (scikit-learn's ``C``) and the kNN scorer's
#: neighbours. C was chosen on the GO-BP development terms of the PBMC collection
#: (``bench/function_settings.py``): of 0.01, 0.1, 1 and 10, 0.01 scored highest for every
#: method (MuSe-GNN, PCA and each covariate floor), so that is the default; of k = 10, 25
#: and 50 neighbours, 50 scored highest (and below the logistic scorer).
LOGISTIC_C = 0.01
KNN_K = 50
#: Term sizes (universe genes) by which results are binned.
SIZE_BINS = (20, 50, 100, 200)
_DEGREE_BINS = 10


# ----------------------------------------------------------------------------- terms
def collapse_duplicates(members: Mapping[str, set], jaccard: float = 0.9
                        ) -> dict[str, list[str]]:
    """Keep one term of each group of near-duplicates: ``{kept: [collapsed, ...]}``.

    Terms are visited largest first (ties by name); a term whose Jaccard index with an
    already kept term exceeds ``jaccard`` joins that term (the first such, in kept order).

    >>> collapse_duplicates({"a": {1, 2, 3, 4}, "b": {1, 2, 3}, "c": {5, 6}}, jaccard=0.7)
    {'a': ['b'], 'c': []}
    """
    kept: dict[str, list[str]] = {}
    for term in sorted(members, key=lambda t: (-len(members[t]), t)):
        genes = members[term]
        for other in kept:
            union = len(genes | members[other])
            if union and len(genes & members[other]) / union > jaccard:
                kept[other].append(term)
                break
        else:
            kept[term] = []
    return kept


def term_split(gene_sets: Mapping[str, Iterable[str]], seed: int = TERM_SPLIT_SEED,
               link: float = TERM_SPLIT_LINK) -> dict[str, str]:
    """``{term: "dev" | "test"}``: terms linked by a Jaccard index of their genes above
    ``link`` (and so on, transitively) form a group; the groups, in an order drawn by
    ``seed``, fill the development half up to half the terms (a group that would overfill
    it is skipped), the rest is the test half.

    Made from the whole gene-set file, not from one collection's terms, so a term keeps
    its half whatever is embedded; and no test term shares more than ``link`` of its
    genes with a development term, so a setting chosen on development terms is not chosen
    on near-copies of the test terms. (A small term inside a much larger one can still
    fall in the other half: GO terms nest.)

    >>> sets = {"t1": "abcd", "t2": "abce", "t3": "wxyz", "t4": "mnop"}
    >>> split = term_split(sets, seed=0)  # t1 and t2 share 3 of 5 genes: one group
    >>> split["t1"] == split["t2"], sorted(split.values())
    (True, ['dev', 'dev', 'test', 'test'])
    """
    names = sorted(gene_sets)
    genes = {g: i for i, g in enumerate(sorted({g for t in names for g in gene_sets[t]}))}
    rows = [t for t, name in enumerate(names) for _ in set(gene_sets[name])]
    cols = [genes[g] for name in names for g in set(gene_sets[name])]
    incidence = sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                              shape=(len(names), len(genes)))
    shared = (incidence @ incidence.T).tocoo()
    size = np.asarray(incidence.sum(1)).ravel()
    jaccard = shared.data / (size[shared.row] + size[shared.col] - shared.data)
    linked = (jaccard > link) & (shared.row != shared.col)
    graph = sp.csr_matrix((np.ones(linked.sum()), (shared.row[linked], shared.col[linked])),
                          shape=(len(names), len(names)))
    _, group = connected_components(graph, directed=False)
    sizes = np.bincount(group)
    half, n_dev, dev = len(names) // 2, 0, set()
    for g in np.random.default_rng(seed).permutation(len(sizes)):
        if n_dev + sizes[g] <= half:  # a group that would overfill it goes to test
            dev.add(int(g))
            n_dev += sizes[g]
    return {name: ("dev" if int(group[t]) in dev else "test") for t, name in enumerate(names)}


@functools.cache
def _go_term_split(ontology: str, seed: int) -> dict[str, str]:
    return term_split(go_gene_sets(ontology), seed)


def _stratified_folds(labels: np.ndarray, n_folds: int, seed: int,
                      terms: Sequence[str]) -> np.ndarray:
    """Genes x terms fold numbers: per term, positives and negatives each dealt round the
    folds in a random order, so every fold holds its share of both. A term's order is
    drawn from ``seed`` and the term's name alone, so its folds do not depend on which
    other terms are scored."""
    n, n_terms = labels.shape
    folds = np.empty((n, n_terms), dtype=np.int8)
    position = np.empty(n, dtype=np.int64)
    for t in range(n_terms):
        rng = np.random.default_rng([seed, zlib.crc32(str(terms[t]).encode())])
        order = rng.permutation(n)
        positive = labels[order, t]
        # rank within class in the random order, dealt round the folds
        position[order[positive]] = np.arange(positive.sum())
        position[order[~positive]] = np.arange((~positive).sum())
        offset = rng.integers(n_folds)
        folds[:, t] = (position + offset) % n_folds
    return folds


@dataclass
class FunctionTask:
    """What every method is scored on: the universe genes, the terms and their folds.

    ``genes``: universe genes (current official symbols, sorted); ``symbols``: each
    embedded symbol's universe index (-1: not in the universe) and how it was mapped;
    ``terms``: per kept term its ``n_genes``, ``split`` and the ``merged`` duplicates;
    ``labels`` and ``folds``: genes x terms.
    """

    ontology: str
    genes: pd.Index
    symbols: pd.DataFrame
    terms: pd.DataFrame
    labels: np.ndarray
    folds: np.ndarray
    n_folds: int

    def gene_index(self, symbols: Sequence[str]) -> np.ndarray:
        """Universe index of each symbol (-1 where it is not in the universe, or is not a
        string)."""
        keys = pd.Index([s if isinstance(s, str) else "" for s in symbols], dtype=object)
        return self.symbols["index"].reindex(keys).fillna(-1).to_numpy(dtype=np.int64)

    def match_rate(self) -> dict[str, float]:
        """How the embedded symbols were mapped (:func:`~dglgene.datasets.mapping_rate`;
        custom gene sets map nothing: just ``n``), and the share that reached the
        universe."""
        rates = ({"n": len(self.symbols)} if self.ontology == "custom"
                 else mapping_rate(self.symbols))
        return {**rates, "in_universe": float((self.symbols["index"] >= 0).mean())}


def function_task(symbols: Iterable[str], ontology: str = "bp", *,
                  gene_sets: Mapping[str, Sequence[str]] | None = None, min_size: int = 20,
                  max_size: int = 200, duplicate_jaccard: float = 0.9, n_folds: int = 5,
                  seed: int = 0, split_seed: int = TERM_SPLIT_SEED,
                  splits: Sequence[str] = ("dev", "test")) -> FunctionTask:
    """The universe, terms, development/test halves and folds for the embedded ``symbols``.

    ``ontology`` names the vendored GO sets (``"bp"``, ``"mf"``, ``"cc"``); the universe is
    then every mapped gene with at least one annotation in that ontology. With
    ``gene_sets`` (symbols as given, no mapping; ``ontology`` is then ``"custom"``), the
    universe is the embedded genes in any set. ``seed`` draws the folds; ``split_seed`` the
    development/test halves (:func:`term_split`); ``splits`` keeps the terms of those
    halves (duplicates are collapsed before, over all terms).
    """
    require_at_least("n_folds", n_folds, 2)
    if not splits or set(splits) - {"dev", "test"}:
        raise DglgeneInputError(f"splits must name 'dev', 'test' or both, got {list(splits)}")
    # a missing name (NaN, None) is no gene: kept out rather than read as the text "nan"
    symbols = pd.Index(pd.unique(pd.Series([s for s in symbols if isinstance(s, str)],
                                           dtype=object)), dtype=object)
    custom = gene_sets is not None
    if not custom:
        if str(ontology).lower() not in GO_ONTOLOGIES:
            raise DglgeneInputError(f"unknown GO ontology {ontology!r}; choose one of "
                                    f"{', '.join(GO_ONTOLOGIES)}")
        ontology = str(ontology).lower()
        mapped = map_symbols(list(symbols))
        table = human_genes()
        annotated = set(table.loc[table[f"go_{ontology}"] == 1, "symbol"])
        gene_sets = go_gene_sets(ontology)
    else:
        ontology = "custom"
        mapped = pd.DataFrame({"official": symbols, "how": "given"}, index=symbols)
        annotated = {g for members in gene_sets.values() for g in members}
    official = mapped["official"].where(mapped["official"].isin(annotated))
    genes = pd.Index(sorted(official.dropna().unique()))
    if len(genes) < 2 * n_folds:
        where = "the gene sets" if custom else f"GO {ontology.upper()}"
        raise DglgeneInputError(f"only {len(genes)} of the {len(symbols)} embedded genes are "
                                f"annotated in {where}; check the gene naming (human HGNC "
                                "symbols or Ensembl ids)")
    position = pd.Series(np.arange(len(genes)), index=genes)
    index = official.map(position).fillna(-1).astype(np.int64)
    symbol_table = pd.DataFrame({"official": mapped["official"], "how": mapped["how"],
                                 "index": index}, index=symbols)
    universe = set(genes)
    members = {str(t): set(g for g in s if g in universe) for t, s in gene_sets.items()}
    members = {t: m for t, m in members.items() if min_size <= len(m) <= max_size}
    if not members:
        raise DglgeneInputError(f"no gene set has {min_size} to {max_size} of the {len(genes)} "
                                "universe genes; embed more genes or lower min_size")
    kept = collapse_duplicates(members, duplicate_jaccard)
    halves = (term_split(gene_sets, split_seed) if custom
              else _go_term_split(ontology, split_seed))
    names = sorted(t for t in kept if halves[t] in splits)
    labels = np.zeros((len(genes), len(names)), dtype=bool)
    for t, term in enumerate(names):
        labels[position[sorted(members[term])].to_numpy(), t] = True
    terms = pd.DataFrame({"n_genes": labels.sum(0), "split": [halves[t] for t in names],
                          "merged": ["; ".join(sorted(kept[t])) for t in names]},
                         index=pd.Index(names, name="term"))
    return FunctionTask(ontology, genes, symbol_table, terms, labels,
                        _stratified_folds(labels, n_folds, seed, names), n_folds)


# ----------------------------------------------------------------------------- rows
@dataclass
class _Rows:
    """An embedding's rows that reach the universe: values, universe gene, dataset."""

    values: np.ndarray
    gene: np.ndarray
    dataset: np.ndarray

    @classmethod
    def of(cls, emb: ad.AnnData, task: FunctionTask) -> _Rows:
        for column in ("gene", "dataset"):
            if column not in emb.obs:
                raise DglgeneInputError(f"the embedding has no obs[{column!r}] column; give an "
                                        "AnnData with one row per (dataset, gene) as `dglgene "
                                        "embed` writes")
        x = emb.X.toarray() if sp.issparse(emb.X) else emb.X
        values = np.asarray(x, dtype=np.float64)
        if not np.isfinite(values).all():
            raise DglgeneInputError("the embedding has NaN or infinite values; clean it first")
        gene = task.gene_index(emb.obs["gene"].to_numpy(dtype=object))
        dataset = emb.obs["dataset"].astype(str).to_numpy()
        keep = gene >= 0
        if not keep.any():
            raise DglgeneInputError("no row of the embedding is a gene of the task's universe; "
                                    "check that obs['gene'] holds the same gene naming")
        # two symbols of one dataset mapped to one gene: the first row stands for it
        frame = pd.DataFrame({"gene": gene, "dataset": dataset})
        keep &= ~frame.duplicated().to_numpy()
        return cls(values[keep], gene[keep], dataset[keep])

    def unified(self) -> _Rows:
        genes, inverse = np.unique(self.gene, return_inverse=True)
        sums = np.zeros((len(genes), self.values.shape[1]))
        np.add.at(sums, inverse, self.values)
        counts = np.bincount(inverse, minlength=len(genes))[:, None]
        return _Rows(sums / counts, genes, np.full(len(genes), "all", dtype=object))


def _standardized(values: np.ndarray) -> np.ndarray:
    """Columns centred and scaled over all rows (no labels are used); constant columns 0."""
    sd = values.std(axis=0)
    return (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


# ----------------------------------------------------------------------------- scorers
def _logistic_scores(rows: _Rows, task: FunctionTask, train_pool: np.ndarray,
                     test_pool: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows x terms out-of-fold log-odds for the rows of ``test_pool`` (NaN elsewhere), on
    the columns standardised over both pools' rows; and per term whether some fold with
    rows to score had training rows of one class only (its model cannot rank them: the
    term is not scored there)."""
    x = np.zeros_like(rows.values)
    pools = train_pool | test_pool
    x[pools] = _standardized(rows.values[pools])
    labels, folds = task.labels[rows.gene], task.folds[rows.gene]
    scores = np.full(labels.shape, np.nan)
    one_class = np.zeros(labels.shape[1], dtype=bool)
    for f in range(task.n_folds):
        held = folds == f
        train = train_pool[:, None] & ~held
        test = test_pool[:, None] & held
        rows_needed = test.any(1)
        if not rows_needed.any():
            continue
        n_pos = (labels & train).sum(0)
        one_class |= test.any(0) & ((n_pos == 0) | (n_pos == train.sum(0)))
        training = train.any(1)
        coef, intercept = fit_logistic(x[training], labels[training], train[training], C=C)
        decision = decision_function(x[rows_needed], coef, intercept)
        scores[rows_needed] = np.where(test[rows_needed], decision, scores[rows_needed])
    return scores, one_class


def _knn_scores(rows: _Rows, task: FunctionTask, k: int) -> np.ndarray:
    """Genes x terms distance-weighted kNN votes of the training genes (cosine), out of fold.

    Holds the dense genes x genes distances and their ranking: about 16 bytes per pair,
    1.6 GB at 10,000 genes."""
    norms = np.linalg.norm(rows.values, axis=1, keepdims=True)
    unit = rows.values / np.where(norms > 0, norms, 1.0)
    distance = np.maximum(1.0 - unit @ unit.T, 1e-6)
    np.fill_diagonal(distance, np.inf)
    order = np.argsort(distance, axis=1, kind="stable")
    labels, folds = task.labels[rows.gene], task.folds[rows.gene]
    n, n_terms = labels.shape
    votes = np.zeros((n, n_terms))
    weights = np.zeros((n, n_terms))
    taken = np.zeros((n, n_terms), dtype=np.int64)
    for j in range(n - 1):
        nearest = order[:, j]
        take = (folds[nearest] != folds) & (taken < k)
        weight = (1.0 / distance[np.arange(n), nearest])[:, None] * take
        votes += weight * labels[nearest]
        weights += weight
        taken += take
        if taken.min() == k:
            break
    return np.divide(votes, weights, out=np.zeros_like(votes), where=weights > 0)


def neighbour_voting(task: FunctionTask, adjacency: sp.spmatrix) -> np.ndarray:
    """Universe genes x terms: EGAD's neighbour vote, out of fold.

    ``adjacency`` is universe x universe (edge weights; the diagonal is ignored). A gene
    of fold :math:`f` scores the weight of its edges to term genes outside fold :math:`f`
    over the weight of all its edges (0 without edges).
    """
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    a.setdiag(0.0)
    a.eliminate_zeros()
    degree = np.asarray(a.sum(1)).ravel()
    scores = np.zeros(task.labels.shape)
    for f in range(task.n_folds):
        held = task.folds == f
        votes = a @ (task.labels & ~held).astype(np.float64)
        scores[held] = votes[held]
    return scores / np.where(degree > 0, degree, 1.0)[:, None]


# ----------------------------------------------------------------------------- metrics
def _average_precision(positive: np.ndarray, score: np.ndarray) -> float:
    """scikit-learn's average precision: precision at each distinct threshold, weighted by
    the recall it adds."""
    order = np.argsort(-score, kind="stable")
    score, positive = score[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]  # end of each tie group
    tp = np.cumsum(positive)[last]
    precision = tp / (last + 1)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _auroc_columns(positive: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per column: AUROC from mid-ranks (ties count 1/2); NaN without both classes."""
    ranks = rankdata(scores, axis=0)
    n_pos = positive.sum(0)
    n_neg = len(positive) - n_pos
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (ranks * positive).sum(0) - n_pos * (n_pos + 1) / 2
        return np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)


def _degree_matched_auroc(positive: np.ndarray, scores: np.ndarray, degree: np.ndarray
                          ) -> np.ndarray:
    """Per column: the AUROC within each degree decile, weighted by the decile's positives
    (rows without a degree are left out)."""
    known = np.isfinite(degree)
    positive, scores, degree = positive[known], scores[known], degree[known]
    edges = np.quantile(degree, np.linspace(0, 1, _DEGREE_BINS + 1)[1:-1])
    decile = np.searchsorted(edges, degree, side="right")
    total = np.zeros(positive.shape[1])
    weight = np.zeros(positive.shape[1])
    for b in np.unique(decile):
        rows = decile == b
        auroc = _auroc_columns(positive[rows], scores[rows])
        n_pos = positive[rows].sum(0) * np.isfinite(auroc)
        total += np.nan_to_num(auroc) * n_pos
        weight += n_pos
    with np.errstate(invalid="ignore"):
        return np.where(weight > 0, total / weight, np.nan)


def _term_metrics(task: FunctionTask, gene: np.ndarray, scores: np.ndarray,
                  degree: np.ndarray | None, unscored: np.ndarray | None = None
                  ) -> pd.DataFrame:
    """Per term over the given rows (one dataset, or the unified genes): AUROC, average
    precision over prevalence and, with ``degree``, the degree-matched AUROC. NaN for a
    term with fewer than ``n_folds`` positives among the rows, or ``unscored``."""
    positive = task.labels[gene]
    n_pos = positive.sum(0)
    scored = n_pos >= task.n_folds
    if unscored is not None:
        scored &= ~unscored
    auroc = np.where(scored, _auroc_columns(positive, scores), np.nan)
    ratio = np.full(len(n_pos), np.nan)
    for t in np.flatnonzero(scored):
        ratio[t] = _average_precision(positive[:, t], scores[:, t]) / (n_pos[t] / len(gene))
    out = {"auroc": auroc, "auprc_ratio": ratio}
    if degree is not None:
        out["auroc_degree_matched"] = np.where(
            scored, _degree_matched_auroc(positive, scores, degree), np.nan)
    return pd.DataFrame(out, index=task.terms.index)


# ----------------------------------------------------------------------------- views
def _row_degree(rows: _Rows, degree: pd.Series | None) -> np.ndarray | None:
    if degree is None:
        return None
    return degree.reindex(rows.gene).to_numpy(dtype=np.float64)


def function_scores(task: FunctionTask, emb: ad.AnnData, *, views: Sequence[str] = VIEWS,
                    scorer: str = "logistic", C: float = LOGISTIC_C, k: int = KNN_K,
                    degree: pd.Series | None = None) -> pd.DataFrame:
    """Per term and view: ``auroc``, ``auprc_ratio`` and ``auroc_degree_matched``.

    ``emb`` has one row per (dataset, gene) (obs ``gene`` and ``dataset``). ``scorer``:
    ``"logistic"`` (every view; ``C``, the inverse L2 strength) or ``"knn"`` (the unified
    view; ``k`` neighbours). ``degree`` (universe index -> co-expression degree;
    :func:`unified_degree`) adds the degree-matched AUROC to the unified view. Returns a
    long table: view, term, split, n_genes and the scores.
    """
    unknown = set(views) - set(VIEWS)
    if unknown:
        raise DglgeneInputError(f"unknown views {sorted(unknown)}; choose from {VIEWS}")
    if scorer not in ("logistic", "knn"):
        raise DglgeneInputError(f"unknown scorer {scorer!r}; use 'logistic' or 'knn'")
    if scorer == "knn" and set(views) != {"unified"}:
        raise DglgeneInputError("the kNN scorer scores the unified view only; use "
                                "views=('unified',) or scorer='logistic' (the logistic scorer)")
    rows = _Rows.of(emb, task)
    tables = []
    for view in views:
        if view == "unified":
            unified = rows.unified()
            if scorer == "knn":
                scores, unscored = _knn_scores(unified, task, k), None
            else:
                every = np.ones(len(unified.gene), dtype=bool)
                scores, unscored = _logistic_scores(unified, task, every, every, C)
            metrics = _term_metrics(task, unified.gene, scores, _row_degree(unified, degree),
                                    unscored)
        else:
            parts = []
            for dataset in pd.unique(rows.dataset):
                mine = rows.dataset == dataset
                train_pool = mine if view == "own" else ~mine
                scores, unscored = _logistic_scores(rows, task, train_pool, mine, C)
                parts.append(_term_metrics(task, rows.gene[mine], scores[mine], None,
                                           unscored))
            metrics = _mean_over_datasets(parts)
        tables.append(metrics.assign(view=view))
    return _long(task, tables)


def _mean_over_datasets(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Per term, the mean over the datasets that scored it (NaN where none did)."""
    return sum(p.fillna(0) for p in parts) / sum(p.notna() for p in parts)


def _long(task: FunctionTask, tables: list[pd.DataFrame]) -> pd.DataFrame:
    out = pd.concat(tables).join(task.terms[["split", "n_genes"]]).reset_index()
    columns = ["view", "term", "split", "n_genes", "auroc", "auprc_ratio"]
    if "auroc_degree_matched" in out:
        columns.append("auroc_degree_matched")
    return out[columns].dropna(subset=["auroc"]).reset_index(drop=True)


def function_floors(task: FunctionTask, collection: GraphCollection, like: ad.AnnData, *,
                    views: Sequence[str] = VIEWS, C: float = LOGISTIC_C, seed: int = 0,
                    degree: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """The floors' scores (as :func:`function_scores` gives them), on ``task``'s terms and
    folds: ``random`` (a Gaussian embedding of ``like``'s shape, drawn by ``seed``), the
    logistic scorer on the row covariates of :data:`COVARIATE_FLOORS`, and ``neighbour
    voting`` on ``collection``'s graphs. Graphs without ``ndata["mean_expression"]``
    (saved by earlier versions) leave out the floors that need it."""
    obs = _covariates(task, collection)
    random = ad.AnnData(np.random.default_rng(seed).standard_normal(like.shape),
                        obs=like.obs[["gene", "dataset"]].copy())
    floors = {"random": function_scores(task, random, views=views, C=C, degree=degree)}
    for name, columns in COVARIATE_FLOORS.items():
        if set(columns) <= set(obs):
            emb = ad.AnnData(obs[list(columns)].to_numpy(np.float64),
                             obs=obs[["gene", "dataset"]])
            floors[name] = function_scores(task, emb, views=views, C=C, degree=degree)
    floors["neighbour voting"] = _neighbour_voting_scores(task, collection, views, degree)
    return floors


def _covariates(task: FunctionTask, collection: GraphCollection) -> pd.DataFrame:
    """Per (dataset, gene) row: log co-expression degree (its partners that pass the
    co-expression test before any top-k cut, so that a sparser graph does not weaken the
    floor), mean log expression (where every graph has it) and the number of datasets
    holding the gene (as mapped to the universe, so an old and a current symbol count as
    one gene)."""
    frames = []
    for g in collection:
        # the partners that passed the test before any top-k cut, where the graph has them
        partners = g.graph.ndata.get("significant_partners")
        degree = g.degree() if partners is None else partners.numpy().astype(np.float64)
        frame = pd.DataFrame({"gene": g.genes, "dataset": g.dataset,
                              "log_degree": np.log1p(degree)})
        expression = g.graph.ndata.get("mean_expression")
        if expression is not None:
            frame["mean_expression"] = expression.numpy().astype(np.float64)
        frames.append(frame)
    obs = pd.concat(frames, ignore_index=True)
    index = task.gene_index(obs["gene"].to_numpy(dtype=object))
    key = np.where(index >= 0, index.astype(str), "symbol:" + obs["gene"].astype(str))
    obs["n_datasets"] = obs.groupby(key)["dataset"].transform("nunique").astype(np.float64)
    obs.index = obs["dataset"] + ":" + obs["gene"]
    return obs


def unified_degree(task: FunctionTask, collection: GraphCollection) -> pd.Series:
    """Universe index -> the gene's co-expression degree (significant partners, see
    :func:`function_floors`), averaged over its datasets."""
    obs = _covariates(task, collection)
    index = task.gene_index(obs["gene"].to_numpy(dtype=object))
    degree = pd.Series(np.expm1(obs["log_degree"].to_numpy()), index=index)
    return degree[degree.index >= 0].groupby(level=0).mean()


def _graph_in_universe(task: FunctionTask, graph) -> sp.csr_matrix:
    index = task.gene_index(graph.genes)
    a = graph.adjacency().tocoo()
    keep = (index[a.row] >= 0) & (index[a.col] >= 0)
    n = len(task.genes)
    return sp.csr_matrix((np.ones(keep.sum()), (index[a.row[keep]], index[a.col[keep]])),
                         shape=(n, n))


def _neighbour_voting_scores(task: FunctionTask, collection: GraphCollection,
                             views: Sequence[str], degree: pd.Series | None) -> pd.DataFrame:
    graphs = {g.dataset: _graph_in_universe(task, g) for g in collection}
    members = {g.dataset: np.unique(task.gene_index(g.genes)) for g in collection}
    members = {d: m[m >= 0] for d, m in members.items()}
    total = sum(graphs.values())
    tables = []
    for view in views:
        if view == "unified":
            genes = np.unique(np.concatenate(list(members.values())))
            scores = neighbour_voting(task, total)[genes]
            matched = None if degree is None else degree.reindex(genes).to_numpy(np.float64)
            tables.append(_term_metrics(task, genes, scores, matched).assign(view=view))
            continue
        parts = []
        for dataset, genes in members.items():
            graph = graphs[dataset] if view == "own" else total - graphs[dataset]
            parts.append(_term_metrics(task, genes, neighbour_voting(task, graph)[genes], None))
        tables.append(_mean_over_datasets(parts).assign(view=view))
    return _long(task, tables)


def evaluate_gene_function(methods: Mapping[str, ad.AnnData], collection: GraphCollection,
                           ontology: str = "bp", *, views: Sequence[str] = VIEWS,
                           C: float = LOGISTIC_C, seed: int = 0, floors: bool = True,
                           splits: Sequence[str] = ("test",)
                           ) -> tuple[FunctionTask, pd.DataFrame]:
    """Every method (``{name: embedding}``, rows of ``collection``'s datasets) and, with
    ``floors``, every floor, scored on one task: ``(task, long table with a method
    column)``, on the terms of ``splits`` (the test half by default: choose settings with
    ``splits=("dev",)``). ``seed`` draws the folds and the random floor. Feed the table to
    :func:`summarize_function` and :func:`plot_function_scores`."""
    if not methods:
        raise DglgeneInputError("give at least one method: {name: embedding}")
    symbols = [gene for g in collection for gene in g.genes]
    task = function_task(symbols, ontology, seed=seed, splits=splits)
    degree = unified_degree(task, collection)
    tables = {name: function_scores(task, emb, views=views, C=C, degree=degree)
              for name, emb in methods.items()}
    if floors:
        clash = set(tables) & set(FLOORS)
        if clash:
            raise DglgeneInputError(f"method names {sorted(clash)} are the floors' names; "
                                    "rename those methods")
        tables.update(function_floors(task, collection, next(iter(methods.values())),
                                      views=views, C=C, seed=seed, degree=degree))
    return task, pd.concat([t.assign(method=name) for name, t in tables.items()],
                           ignore_index=True)


# ----------------------------------------------------------------------------- report
def _size_labels() -> list[str]:
    """``20-50``, ``51-100``, ``101-200``: the term-size bins, each closed on the right."""
    return [f"{low + (i > 0)}-{high}"
            for i, (low, high) in enumerate(itertools.pairwise(SIZE_BINS))]


def _bootstrap_ci(values: np.ndarray, seed: int, n: int = 2000) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (n, len(values)))].mean(1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def summarize_function(scores: pd.DataFrame, reference: str, *, split: str = "test",
                       seed: int = 0) -> pd.DataFrame:
    """One row per method and view: terms, mean AUROC with a 95 % bootstrap interval over
    terms, median AUROC, mean AUPRC over prevalence, mean degree-matched AUROC (where
    scored), mean AUROC per term-size bin, and the
    paired one-sided Wilcoxon test of ``reference`` (in the same view) against the row
    over the terms both scored.

    ``scores`` is the long table of :func:`function_scores` with a ``method`` column
    (several runs of one method, e.g. seeds, are averaged per term first); with a
    ``seed`` column, ``sd_over_seeds`` is the sd of the per-seed mean AUROCs.
    """
    scores = scores[scores["split"] == split] if split != "all" else scores
    columns = [c for c in ("auroc", "auprc_ratio", "auroc_degree_matched", "n_genes")
               if c in scores]
    groups = {key: group.groupby("term")[columns].mean()
              for key, group in scores.groupby(["method", "view"], sort=False)}
    rows = []
    for (method, view), group in groups.items():
        low, high = _bootstrap_ci(group["auroc"].to_numpy(), seed)
        row = {"method": method, "view": view, "n_terms": len(group),
               "mean_auroc": group["auroc"].mean(), "ci_low": low, "ci_high": high,
               "median_auroc": group["auroc"].median(),
               "auprc_ratio": group["auprc_ratio"].mean()}
        if "auroc_degree_matched" in group and group["auroc_degree_matched"].notna().any():
            row["auroc_degree_matched"] = group["auroc_degree_matched"].mean()
        size_bin = pd.cut(group["n_genes"], SIZE_BINS, labels=_size_labels(),
                          include_lowest=True)
        for label, auroc in group["auroc"].groupby(size_bin, observed=False).mean().items():
            row[f"auroc_{label}"] = auroc
        if "seed" in scores:
            mine = scores[(scores["method"] == method) & (scores["view"] == view)]
            row["sd_over_seeds"] = mine.groupby("seed")["auroc"].mean().std()
        if (reference, view) in groups and method != reference:
            ref = groups[reference, view]["auroc"]
            both = ref.index.intersection(group.index)
            diff = ref[both] - group.loc[both, "auroc"]
            row["delta_reference"] = diff.mean()
            row["p_reference_greater"] = (np.nan if diff.empty else 1.0 if not diff.any()
                                          else wilcoxon(diff, alternative="greater").pvalue)
        rows.append(row)
    return pd.DataFrame(rows)


def plot_function_scores(scores: pd.DataFrame, path: str | Path, view: str = "unified",
                         split: str = "test") -> Path:
    """Per-term AUROC of every method in ``view``, one box per method and term-size bin."""
    data = scores[(scores["view"] == view) & (scores["split"] == split)]
    data = data.groupby(["method", "term"], sort=False)[["auroc", "n_genes"]].mean() \
        .reset_index()
    methods = list(pd.unique(data["method"]))
    size_bin = pd.cut(data["n_genes"], SIZE_BINS, labels=_size_labels(), include_lowest=True)
    fig = Figure(figsize=(4 * (len(SIZE_BINS) - 1), 0.45 * len(methods) + 1.5))
    axes = fig.subplots(1, len(SIZE_BINS) - 1, sharex=True, sharey=True, squeeze=False)
    for ax, label in zip(axes[0], _size_labels()):
        inside = data[size_bin == label]
        values = [inside.loc[inside["method"] == m, "auroc"].to_numpy() for m in methods]
        ax.boxplot(values, orientation="horizontal", showfliers=False)
        ax.axvline(0.5, color="grey", lw=0.8, ls="--")
        n_terms = inside["term"].nunique()
        ax.set_title(f"terms of {label} genes (n={n_terms})", fontsize=9)
        ax.set_xlabel("AUROC per term")
    axes[0][0].set_yticks(range(1, len(methods) + 1), methods, fontsize=8)
    axes[0][0].invert_yaxis()  # the first method (the model) on top
    fig.suptitle(f"GO-term prediction, {view} view, {split} terms", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
