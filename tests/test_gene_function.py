"""The gene-function yardstick: terms, folds, views, floors and the paired report, on tiny
cases whose answers are worked out by hand."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from dglgene.data import GeneGraph, GraphCollection
from dglgene.errors import DglgeneInputError
from dglgene.eval import gene_function as gf


def _embedding(rows: dict[str, np.ndarray], genes: dict[str, list[str]]) -> ad.AnnData:
    """An embedding with one row per (dataset, gene)."""
    obs = pd.DataFrame([(g, d) for d in rows for g in genes[d]], columns=["gene", "dataset"])
    obs.index = obs["dataset"] + ":" + obs["gene"]
    return ad.AnnData(np.concatenate([rows[d] for d in rows]), obs=obs)


def _planted(n_terms: int = 4, size: int = 20, n_background: int = 40):
    """Gene sets of ``size`` genes each plus background genes in no set."""
    genes = [f"g{i:03d}" for i in range(n_terms * size + n_background)]
    sets = {f"GO:{t} term {t}": genes[t * size:(t + 1) * size] for t in range(n_terms)}
    # a set holding every gene defines the universe without being kept (too large)
    sets["GO:all everything"] = genes
    return genes, sets


def _task(genes, sets, **kwargs):
    defaults = {"gene_sets": sets, "min_size": 10, "max_size": 60, "splits": ("dev", "test")}
    return gf.function_task(genes, **{**defaults, **kwargs})


# ----------------------------------------------------------------------------- terms
def test_near_duplicates_collapse_into_the_largest_and_distinct_sets_stay():
    members = {"big": set(range(20)), "copy": set(range(19)),  # Jaccard 19/20 = 0.95
               "half": set(range(10)),  # 10/20 = 0.5 with big
               "other": set(range(100, 120)), "also": set(range(100, 118))}  # 0.9: kept
    kept = gf.collapse_duplicates(members, jaccard=0.9)
    assert kept == {"big": ["copy"], "other": [], "also": [], "half": []}


def test_the_term_split_is_fixed_by_the_seed_and_does_not_depend_on_the_collection():
    rng = np.random.default_rng(0)
    sets = {f"GO:{i:04d}": list(rng.choice(5000, 30, replace=False)) for i in range(1000)}
    split = gf.term_split(sets)
    assert sum(v == "dev" for v in split.values()) == 500  # no overlaps: groups of one
    assert gf.term_split(dict(reversed(sets.items()))) == split  # order does not matter
    assert gf.term_split(sets, seed=1) != split
    genes, planted = _planted()
    task = _task(genes, planted)
    # the task's halves are those of the whole file, whatever genes are embedded
    whole = gf.term_split(planted)
    assert task.terms["split"].to_dict() == {t: whole[t] for t in task.terms.index}


def test_overlapping_terms_share_a_half():
    # a chain a-b-c of terms overlapping by 3 of 5 genes (Jaccard 0.6), and d apart
    sets = {"a": [1, 2, 3, 4], "b": [2, 3, 4, 5], "c": [3, 4, 5, 6], "d": [7, 8, 9, 10],
            "e": [1, 2, 11, 12]}  # e shares 2 of 6 with a: Jaccard 1/3, not linked
    for seed in range(20):
        split = gf.term_split(sets, seed=seed)
        assert split["a"] == split["b"] == split["c"]
    assert any(gf.term_split(sets, seed=s)["e"] != gf.term_split(sets, seed=s)["a"]
               for s in range(20))  # e is not linked to a: it may fall in the other half
    # with the real GO sets no test term shares more than half its genes with a dev term
    from dglgene.datasets.go import go_gene_sets

    go = go_gene_sets("cc")
    split = gf.term_split(go)
    dev = [set(go[t]) for t in go if split[t] == "dev"]
    for term in (t for t in go if split[t] == "test"):
        genes = set(go[term])
        assert all(len(genes & d) / len(genes | d) <= gf.TERM_SPLIT_LINK for d in dev)


def test_universe_holds_annotated_genes_only_and_terms_are_sized_on_it():
    sets = {"GO:1 a": [f"a{i}" for i in range(12)] + ["x", "y"],
            "GO:2 b": [f"b{i}" for i in range(9)]}  # 9 genes: below min_size 10
    genes = [f"a{i}" for i in range(12)] + [f"b{i}" for i in range(9)] + ["unannotated"]
    task = gf.function_task(genes, gene_sets=sets, min_size=10, splits=("dev", "test"))
    assert "unannotated" not in task.genes and len(task.genes) == 21  # x, y not embedded
    assert task.terms.index.tolist() == ["GO:1 a"]
    assert task.terms.loc["GO:1 a", "n_genes"] == 12
    assert task.gene_index(["unannotated", "a0"]).tolist() == [-1, task.genes.get_loc("a0")]


def test_old_symbols_reach_the_go_universe_as_their_current_gene():
    task = gf.function_task(["IL8", "CXCL10", "TP53", "NOTAGENE", *_some_bp_genes(200)], "bp",
                            splits=("dev", "test"))
    assert "CXCL8" in task.genes and "IL8" not in task.genes
    assert task.symbols.loc["IL8", "how"] == "alias"
    assert task.gene_index(["IL8"])[0] == task.genes.get_loc("CXCL8")
    assert task.symbols.loc["NOTAGENE", "index"] == -1
    rate = task.match_rate()
    assert rate["n"] == 204 and rate["alias"] == 1 and rate["unmapped"] == 1
    assert rate["in_universe"] == pytest.approx((len(task.genes)) / 204)


def _some_bp_genes(n: int) -> list[str]:
    from dglgene.datasets.go import go_gene_sets
    return sorted({g for s in go_gene_sets("bp").values() for g in s})[:n]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), n=st.integers(20, 80), n_pos=st.integers(5, 19),
       n_folds=st.integers(2, 5))
def test_folds_hold_each_class_as_evenly_as_possible(seed, n, n_pos, n_folds):
    labels = np.zeros((n, 1), dtype=bool)
    labels[np.random.default_rng(seed).choice(n, n_pos, replace=False)] = True
    folds = gf._stratified_folds(labels, n_folds, seed, ["term"])[:, 0]
    for cls in (True, False):
        sizes = np.bincount(folds[labels[:, 0] == cls], minlength=n_folds)
        assert sizes.max() - sizes.min() <= 1


# ----------------------------------------------------------------------------- metrics
@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 4)), min_size=4, max_size=40))
def test_average_precision_and_auroc_equal_sklearns_with_ties(pairs):
    positive = np.array([p for p, _ in pairs])
    score = np.array([s for _, s in pairs], dtype=np.float64)
    if positive.all() or not positive.any():
        return
    assert gf._average_precision(positive, score) == pytest.approx(
        average_precision_score(positive, score))
    assert gf._auroc_columns(positive[:, None], score[:, None])[0] == pytest.approx(
        roc_auc_score(positive, score))


def test_a_score_constant_within_degree_deciles_has_degree_matched_auroc_one_half():
    rng = np.random.default_rng(0)
    degree = rng.permutation(np.arange(200, dtype=np.float64))
    positive = (rng.random((200, 1)) < degree[:, None] / 200)  # hubs carry the term
    score = degree[:, None] // 20  # the decile itself
    assert gf._auroc_columns(positive, score)[0] > 0.7
    assert gf._degree_matched_auroc(positive, score, degree)[0] == pytest.approx(0.5)


# ----------------------------------------------------------------------------- views
def _module_rows(genes, sets, rng, noise=0.05, rotate=False):
    """Rows: one axis per planted term, background genes on a fifth axis, plus noise."""
    index = {g: i for i, g in enumerate(genes)}
    base = np.zeros((len(genes), 8))
    base[:, 4] = 1.0
    for t, (_name, members) in enumerate(s for s in sets.items() if s[0] != "GO:all everything"):
        base[[index[g] for g in members]] = np.eye(8)[t]
    values = base + noise * rng.standard_normal(base.shape)
    if rotate:
        values = values @ np.linalg.qr(rng.standard_normal((8, 8)))[0]
    return values


def test_a_planted_embedding_predicts_its_terms_and_a_random_one_does_not():
    genes, sets = _planted()
    task = _task(genes, sets)
    rng = np.random.default_rng(0)
    planted = _embedding({"d1": _module_rows(genes, sets, rng)}, {"d1": genes})
    random = _embedding({"d1": rng.standard_normal((len(genes), 8))}, {"d1": genes})
    for scorer in ("logistic", "knn"):
        good = gf.function_scores(task, planted, views=("unified",), scorer=scorer, k=5)
        bad = gf.function_scores(task, random, views=("unified",), scorer=scorer, k=5)
        assert good["auroc"].min() > 0.99
        assert bad["auroc"].mean() == pytest.approx(0.5, abs=0.12)
        assert (good["auprc_ratio"] > 4).all()  # prevalence 0.17: AP near 1


def test_transfer_uses_only_other_datasets_and_never_the_genes_own_rows():
    genes, sets = _planted()
    task = _task(genes, sets)
    rng = np.random.default_rng(1)
    # every gene has one random row, the same in both datasets: identity, no function.
    # Scored with its own rows elsewhere in training, a gene would find itself (AUROC 1).
    identity = rng.standard_normal((len(genes), 8))
    emb = _embedding({"d1": identity, "d2": identity}, {"d1": genes, "d2": genes})
    transfer = gf.function_scores(task, emb, views=("transfer",))
    assert transfer["auroc"].mean() == pytest.approx(0.5, abs=0.12)


def test_shared_axes_transfer_and_per_dataset_rotations_do_not():
    genes, sets = _planted()
    task = _task(genes, sets)
    rng = np.random.default_rng(2)
    shared = _embedding({d: _module_rows(genes, sets, rng) for d in ("d1", "d2")},
                        {"d1": genes, "d2": genes})
    rotated = _embedding({"d1": _module_rows(genes, sets, rng, rotate=True),
                          "d2": _module_rows(genes, sets, rng, rotate=True)},
                         {"d1": genes, "d2": genes})
    assert gf.function_scores(task, shared, views=("transfer",))["auroc"].min() > 0.95
    # each dataset alone still knows its terms: the own view is blind to the axes
    assert gf.function_scores(task, rotated, views=("own",))["auroc"].min() > 0.95
    assert gf.function_scores(task, rotated, views=("transfer",))["auroc"].mean() < 0.75


def test_own_view_averages_the_datasets_that_hold_enough_of_a_term():
    genes, sets = _planted()
    task = _task(genes, sets)
    rng = np.random.default_rng(3)
    # d2 holds only 3 genes of term 0: too few to score it there (fewer than n_folds)
    d2_genes = [g for g in genes if g not in sets["GO:0 term 0"][3:]]
    emb = _embedding({"d1": _module_rows(genes, sets, rng),
                      "d2": rng.standard_normal((len(d2_genes), 8))},
                     {"d1": genes, "d2": d2_genes})
    own = gf.function_scores(task, emb, views=("own",)).set_index("term")["auroc"]
    d1 = gf.function_scores(task, emb[emb.obs["dataset"] == "d1"], views=("own",)) \
        .set_index("term")["auroc"]
    d2 = gf.function_scores(task, emb[emb.obs["dataset"] == "d2"], views=("own",)) \
        .set_index("term")["auroc"]
    assert "GO:0 term 0" not in d2.index
    assert own["GO:0 term 0"] == pytest.approx(d1["GO:0 term 0"])
    for term in d2.index:
        assert own[term] == pytest.approx((d1[term] + d2[term]) / 2)


def test_neighbour_voting_by_hand():
    # genes a..f; one term {a, b, c}; two folds
    genes = list("abcdef")
    sets = {"GO:1 t": ["a", "b", "c"], "GO:2 all": genes}
    task = gf.function_task(genes, gene_sets=sets, min_size=3, max_size=3, n_folds=2,
                            splits=("dev", "test"))
    task.folds[:] = np.array([0, 1, 0, 1, 0, 1])[:, None]  # a,c,e in fold 0; b,d,f in 1
    edges = [("a", "b"), ("a", "d"), ("b", "c"), ("c", "d"), ("e", "b"), ("f", "a")]
    index = {g: i for i, g in enumerate(task.genes)}
    a = sp.lil_matrix((6, 6))
    for u, v in edges:
        a[index[u], index[v]] = a[index[v], index[u]] = 1
    scores = gf.neighbour_voting(task, a)[:, 0]
    # a (fold 0): neighbours b, d, f outside its fold; b is in the term: 1 of 3 edges
    # b (fold 1): neighbours a, c, e in fold 0; a, c in the term: 2 of 3
    # c (fold 0): b, d; b in the term: 1/2.  d (fold 1): a, c: 2/2.  e: b: 1/1.  f: a: 1/1
    expected = {"a": 1 / 3, "b": 2 / 3, "c": 1 / 2, "d": 1.0, "e": 1.0, "f": 1.0}
    for gene, value in expected.items():
        assert scores[index[gene]] == pytest.approx(value)


# ----------------------------------------------------------------------------- floors, report
def _collection(genes, sets, rng, expression: bool = True) -> GraphCollection:
    graphs = []
    for d in ("d1", "d2"):
        # edges inside the planted terms, and a few random ones
        n = len(genes)
        a = sp.lil_matrix((n, n))
        for members in (v for k, v in sets.items() if k != "GO:all everything"):
            idx = [genes.index(g) for g in members]
            for i in idx:
                for j in rng.choice(idx, 4):
                    a[i, j] = a[j, i] = 1
        a.setdiag(1)
        graph = GeneGraph.from_adjacency(a.tocsr(), rng.standard_normal((n, 3)), genes,
                                         dataset=d, modality="rna", tissue="blood")
        if expression:
            graph.graph.ndata["mean_expression"] = torch.as_tensor(rng.random(n))
        graphs.append(graph)
    return GraphCollection(graphs)


def test_floors_score_the_same_terms_and_neighbour_voting_finds_graph_modules():
    genes, sets = _planted()
    rng = np.random.default_rng(4)
    coll = _collection(genes, sets, rng)
    task = _task(genes, sets)
    like = _embedding({"d1": np.zeros((len(genes), 8)), "d2": np.zeros((len(genes), 8))},
                      {"d1": genes, "d2": genes})
    floors = gf.function_floors(task, coll, like, degree=gf.unified_degree(task, coll))
    assert set(floors) == set(gf.FLOORS)
    for table in floors.values():
        assert set(table["term"]) == set(task.terms.index)
        # every floor is also scored within degree deciles, in the unified view only
        unified = table["view"] == "unified"
        assert table.loc[unified, "auroc_degree_matched"].notna().all()
        assert table.loc[~unified, "auroc_degree_matched"].isna().all()
    # graphs saved before they recorded mean expression: the floors that need it are left out
    old = gf.function_floors(task, _collection(genes, sets, rng, expression=False), like,
                             views=("unified",))
    assert set(old) == set(gf.FLOORS) - {"expression", "degree + datasets + expression"}
    nv = floors["neighbour voting"]
    assert nv["auroc"].min() > 0.95  # the graphs hold the modules
    assert floors["random"]["auroc"].mean() == pytest.approx(0.5, abs=0.12)


def test_the_paired_test_by_hand():
    terms = [f"t{i}" for i in range(10)]
    rows = []
    for i, term in enumerate(terms):
        rows.append({"method": "model", "view": "unified", "term": term, "split": "test",
                     "n_genes": 30, "auroc": 0.7 + 0.01 * i, "auprc_ratio": 2.0})
        rows.append({"method": "floor", "view": "unified", "term": term, "split": "test",
                     "n_genes": 30, "auroc": 0.6, "auprc_ratio": 1.0})
    table = gf.summarize_function(pd.DataFrame(rows), "model").set_index("method")
    # all ten differences positive: the exact one-sided Wilcoxon p is 1 / 2^10
    assert table.loc["floor", "p_reference_greater"] == pytest.approx(1 / 1024)
    assert table.loc["floor", "delta_reference"] == pytest.approx(0.145)
    assert table.loc["model", "mean_auroc"] == pytest.approx(0.745)
    assert table.loc["model", "ci_low"] <= 0.745 <= table.loc["model", "ci_high"]


def test_bad_views_and_scorers_are_refused_in_one_line():
    genes, sets = _planted()
    task = _task(genes, sets)
    emb = _embedding({"d1": np.ones((len(genes), 2))}, {"d1": genes})
    with pytest.raises(DglgeneInputError, match="unknown views"):
        gf.function_scores(task, emb, views=("bogus",))
    with pytest.raises(DglgeneInputError, match="logistic scorer"):
        gf.function_scores(task, emb, views=("own",), scorer="knn")
    with pytest.raises(DglgeneInputError, match="splits"):
        _task(genes, sets, splits=("train",))


def test_missing_gene_names_are_no_genes():
    genes, sets = _planted()
    task = _task([*genes, np.nan, None], sets)
    assert list(task.gene_index([np.nan, None, "nan", "g000"])) == [-1, -1, -1, 0]
    assert "nan" not in task.symbols.index


def test_a_term_whose_training_fold_lacks_positives_is_not_scored():
    genes, sets = _planted()
    task = _task(genes, sets)
    term = task.terms.index.get_loc("GO:0 term 0")
    positive = task.labels[:, term]
    task.folds[positive, term] = 0  # every positive in fold 0: its training rows have none
    task.folds[~positive, term] = np.arange((~positive).sum()) % task.n_folds
    emb = _embedding({"d1": _module_rows(genes, sets, np.random.default_rng(5))},
                     {"d1": genes})
    scored = gf.function_scores(task, emb, views=("unified", "own"))
    assert "GO:0 term 0" not in set(scored["term"])
    assert set(scored["term"]) == set(task.terms.index) - {"GO:0 term 0"}


def test_summary_bins_terms_by_size_closed_on_the_right():
    rows = [{"method": "m", "view": "unified", "term": f"t{n}", "split": "test",
             "n_genes": n, "auroc": a, "auprc_ratio": 1.0}
            for n, a in ((20, 0.6), (50, 0.7), (51, 0.8), (100, 0.9), (101, 0.5), (200, 0.7))]
    row = gf.summarize_function(pd.DataFrame(rows), "m").iloc[0]
    assert row["auroc_20-50"] == pytest.approx(0.65)
    assert row["auroc_51-100"] == pytest.approx(0.85)
    assert row["auroc_101-200"] == pytest.approx(0.6)


def test_out_of_fold_scores_equal_sklearns_fit_per_fold():
    from sklearn.linear_model import LogisticRegression

    genes, sets = _planted()
    task = _task(genes, sets)
    rng = np.random.default_rng(6)
    values = _module_rows(genes, sets, rng, noise=1.0)  # noisy: no term is separable
    rows = gf._Rows(values, task.gene_index(genes), np.full(len(genes), "d1", dtype=object))
    every = np.ones(len(genes), dtype=bool)
    scores, unscored = gf._logistic_scores(rows, task, every, every, C=0.5)
    assert not unscored.any()
    x = (values - values.mean(0)) / values.std(0)
    for t in range(task.labels.shape[1]):
        y, fold = task.labels[rows.gene, t], task.folds[rows.gene, t]
        for f in range(task.n_folds):
            model = LogisticRegression(C=0.5, class_weight="balanced", tol=1e-12,
                                       max_iter=10_000).fit(x[fold != f], y[fold != f])
            np.testing.assert_allclose(scores[fold == f, t],
                                       model.decision_function(x[fold == f]), atol=1e-5)


def test_the_degree_floor_reads_the_partners_before_a_top_k_cut():
    genes, sets = _planted()
    rng = np.random.default_rng(7)
    coll = _collection(genes, sets, rng)
    task = _task(genes, sets)
    assert np.allclose(gf._covariates(task, coll)["log_degree"],
                       np.log1p(np.concatenate([g.degree() for g in coll])))
    for g in coll:  # as a top-k graph records them: more partners than edges kept
        g.graph.ndata["significant_partners"] = torch.as_tensor(3.0 * g.degree() + 1)
    assert np.allclose(gf._covariates(task, coll)["log_degree"],
                       np.log1p(np.concatenate([3.0 * g.degree() + 1 for g in coll])))
