"""GO gene sets and GO-term prediction by kNN, with the random and degree floors."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from gene_knn_cases import folds_of, knn_cases, on_circle, planted, sklearn_scores
from hypothesis import given, settings
from sklearn.metrics import roc_auc_score

from dglgene.datasets import go_gene_sets, read_gmt
from dglgene.eval import gene_knn
from dglgene.eval.gene_knn import random_embedding
from dglgene.eval.go_prediction import go_term_prediction, summarize_go_prediction


# --------------------------------------------------------------------------- GO gene sets
def test_read_gmt_round_trip_plain_and_gzipped(tmp_path) -> None:
    sets = {"S1": ["A", "B", "C"], "S2": ["C"], "S3": []}
    text = "".join(f"{name}\tdescription of {name}\t" + "\t".join(genes) + "\n"
                   for name, genes in sets.items())
    gz = tmp_path / "sets.gmt.gz"
    with gzip.open(gz, "wt") as f:
        f.write(text.replace("\nS2\t", "\n\nS2\t") + "S4\tduplicated gene\tD\tD\t\n")
    plain = tmp_path / "sets.gmt"
    plain.write_text(text)
    assert read_gmt(gz) == {**sets, "S4": ["D"]}  # blank line skipped, trailing tab ignored
    assert read_gmt(plain) == sets


def test_read_gmt_rejects_a_repeated_set_and_a_line_without_tabs(tmp_path) -> None:
    path = tmp_path / "bad.gmt"
    path.write_text("S1\td\tA\nS1\td\tB\n")
    with pytest.raises(ValueError, match="'S1' appears twice"):
        read_gmt(path)
    path.write_text("S1 A B\n")
    with pytest.raises(ValueError, match="line 1"):
        read_gmt(path)


def test_go_gene_sets_match_the_documented_counts() -> None:
    bp = go_gene_sets("bp")
    assert len(bp) == 5233 and go_gene_sets("BP") == bp
    assert len(go_gene_sets("mf")) == 941 and len(go_gene_sets("cc")) == 599
    assert "A2M" in bp["GO:0002253 activation of immune response"]
    assert all(15 <= len(genes) <= 500 for genes in bp.values())
    with pytest.raises(ValueError, match="bp, mf, cc"):
        go_gene_sets("kegg")



# --------------------------------------------------------------------------- GO terms
GENES8 = [f"g{i}" for i in range(8)]
ANGLES8 = [0, 10, 60, 25, 50, 100, 110, 30]


def test_go_term_auroc_by_hand() -> None:
    # Term {g0, g1, g2}; StratifiedKFold(2, shuffle, seed 0) puts g1 g2 g5 g7 in fold 0 and
    # g0 g3 g4 g6 in fold 1. The nearest gene of the other fold (k=1), by angle:
    # g0 -> g1 (+), g1 -> g0 (+), g2 -> g4 (-), g3 -> g7, g4 -> g2 (+), g5 -> g6, g6 -> g5,
    # g7 -> g3. Scores: positives 1, 1, 0; negatives g4 1, the other four 0. Of the 3 x 5
    # pairs, g0 and g1 win 4 and tie 1 each, g2 ties 4 and loses 1: AUROC = 11 / 15.
    # Degree (floor): positives 5, 1, 4 against negatives 4, 3, 0, 6, 7: 3 + 1 + 2.5 wins.
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    assert folds_of(y, 2, seed=0) == [1, 0, 0, 1, 1, 0, 1, 0]
    degree = pd.Series([5, 1, 4, 4, 3, 0, 6, 7], index=GENES8)
    result = go_term_prediction(on_circle(ANGLES8, GENES8), {"T": ["g0", "g1", "g2", "other"]},
                                min_genes=3, k=1, n_folds=2, seed=0, degree=degree)
    assert result.to_dict("records") == [
        {"term": "T", "n_genes": 3, "auroc": pytest.approx(11 / 15),
         "degree_auroc": pytest.approx(6.5 / 15)}]


def test_go_terms_are_kept_only_with_enough_genes_in_and_out() -> None:
    unified = on_circle(ANGLES8, GENES8)
    sets = {"small": ["g0", "g1"], "big": GENES8[:7], "ok": GENES8[:3], "none": ["x"]}
    result = go_term_prediction(unified, sets, min_genes=3, k=1, n_folds=2)
    assert result["term"].tolist() == ["ok"]  # big leaves 1 gene outside: < 2 folds
    with pytest.raises(ValueError, match="same gene naming"):
        go_term_prediction(unified, {"none": ["x", "y", "z"]}, min_genes=3, k=1, n_folds=2)
    with pytest.raises(ValueError, match="choose k between 1 and 4"):
        go_term_prediction(unified, sets, min_genes=3, k=5, n_folds=2)


def test_go_folds_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(0)
    genes = [f"g{i:02d}" for i in range(60)]
    unified = pd.DataFrame(rng.standard_normal((60, 4)), index=genes)
    sets = {"A": genes[:12], "B": genes[20:45:2]}
    shuffled = unified.iloc[rng.permutation(60)]
    pd.testing.assert_frame_equal(go_term_prediction(unified, sets, k=3),
                                  go_term_prediction(shuffled, sets, k=3))



def check_go_against_sklearn(case) -> None:
    x, k, n_folds, seed, rng = case
    n = len(x)
    genes = [f"g{i:02d}" for i in range(n)]  # sorted already: the row order is the fold order
    sets = {}
    for t in range(3):
        size = int(rng.integers(n_folds, n - n_folds + 1))
        sets[f"T{t}"] = [genes[i] for i in rng.choice(n, size, replace=False)]
    result = go_term_prediction(pd.DataFrame(x, index=genes), sets, min_genes=1, k=k,
                                n_folds=n_folds, seed=seed)
    for term, auroc in zip(result["term"], result["auroc"]):
        y = np.isin(genes, sets[term]).astype(int)
        expected = roc_auc_score(y, sklearn_scores(x, y, k, n_folds, seed)[:, 1])
        assert auroc == pytest.approx(expected, abs=1e-12)


@settings(max_examples=30)
@given(knn_cases())
def test_go_fast_knn_equals_sklearn(case) -> None:
    check_go_against_sklearn(case)


@settings(max_examples=15)
@given(knn_cases())
def test_go_fast_knn_equals_sklearn_when_the_ranking_runs_short(case) -> None:
    # keep only k + 1 ranked neighbours, so most genes need the exact fallback
    original = gene_knn._ranking_width
    gene_knn._ranking_width = lambda n, k, n_folds: min(n, k + 1)
    try:
        check_go_against_sklearn(case)
    finally:
        gene_knn._ranking_width = original



def test_planted_modules_score_near_one_and_random_near_half() -> None:
    unified, modules = planted()
    assert (go_term_prediction(unified, modules)["auroc"] > 0.95).all()
    noise = go_term_prediction(random_embedding(unified, seed=1), modules)["auroc"]
    assert abs(noise.mean() - 0.5) < 0.1


def test_summary_has_every_method_and_floor_on_the_same_terms() -> None:
    unified, modules = planted()
    rng = np.random.default_rng(3)
    # hub genes: module genes have more partners, so the degree floor is informative here
    in_module = unified.index.isin([g for genes in modules.values() for g in genes])
    degree = pd.Series(rng.poisson(5, len(unified)) + 10 * in_module, index=unified.index)
    merged = {"0+1": modules["module 0"] + modules["module 1"],
              "2+3": modules["module 2"] + modules["module 3"]}
    ontologies = {"M": modules, "merged": merged}
    methods = {"planted": unified, "shuffled": unified.sample(frac=1, random_state=0)}
    table = summarize_go_prediction(methods, ontologies, degree=degree, seed=2)
    assert list(table.index) == ["planted", "shuffled", "random", "degree"]
    assert table.attrs["n_terms"] == {"M": 4, "merged": 2}
    assert (table.loc[["planted", "shuffled"]] > 0.95).all().all()
    assert (table.loc["random"] - 0.5).abs().max() < 0.15
    # the floor is the median per-term AUROC of the degree itself, as go_term_prediction's;
    # a module's genes outrank the 60 background genes and tie (on average) with the 90 of
    # the other modules: AUROC ~ (60 + 90 / 2) / 150 = 0.7
    direct = go_term_prediction(unified, modules, degree=degree)["degree_auroc"].median()
    assert table.loc["degree", "M"] == pytest.approx(direct)
    assert direct == pytest.approx(0.7, abs=0.05)
    with pytest.raises(ValueError, match="embed different genes"):
        summarize_go_prediction({"a": unified, "b": unified.iloc[1:]}, ontologies)
    with pytest.raises(ValueError, match="reserved"):
        summarize_go_prediction({"random": unified}, ontologies)

