"""GRN metrics (hand-computed cases) and the baseline scorers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import RandomForestRegressor

from dglgene.datasets.beeline import load_beeline_mdc
from dglgene.eval.grn_metrics import auprc, auroc, epr, grn_metrics
from dglgene.grn.splits import held_out_tf_split, transductive_split
from dglgene.models.grn_baselines import (
    degree_product,
    genie3_scores,
    pearson_scores,
    per_tf_prior,
    tf_similarity_vote,
)

LABELS = [1, 0, 1, 0, 0]
SCORES = [0.9, 0.8, 0.7, 0.2, 0.1]


def test_hand_computed():
    # ranks: P N P N N. AUROC: positive 0.9 beats 3 negatives, 0.7 beats 2 -> 5/6.
    assert auroc(LABELS, SCORES) == pytest.approx(5 / 6)
    # AP: precision 1/1 at the first positive, 2/3 at the second, averaged.
    assert auprc(LABELS, SCORES) == pytest.approx((1 + 2 / 3) / 2)
    # EPR: k = 2, top-2 = {0.9, 0.8} has 1 true edge -> 1/2; random 2/5 -> 1.25.
    assert epr(LABELS, SCORES) == pytest.approx(1.25)


def test_ties():
    # AUROC gives a tie half credit: pairs (P vs N) = 0.9>0.5, 0.9>0.1, 0.5=0.5, 0.5>0.1
    assert auroc([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1]) == pytest.approx(3.5 / 4)
    # BEELINE keeps every prediction tied with the k-th: k = 2, cut 0.8 -> 3 kept, 1 true.
    assert epr([1, 0, 0, 1, 0], [0.9, 0.8, 0.8, 0.1, 0.0]) == pytest.approx((1 / 3) / (2 / 5))
    # scores equal after rounding to 6 decimals tie as well
    y, s = [0, 1, 1, 0], [0.9, 0.5, 0.1, 0.5 + 1e-9]
    assert epr(y, s) == pytest.approx((1 / 3) / (2 / 4))  # {0.9, 0.5, 0.5 + 1e-9} kept
    assert epr(y, s, decimals=None) == 0.0  # {0.9, 0.5 + 1e-9}: no true edge


def test_perfect_and_reversed():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    s = y + np.linspace(0, 0.5, 10)
    m = grn_metrics(y, s)
    assert m["auroc"] == 1 and m["auprc"] == 1
    assert m["epr"] == pytest.approx(1 / 0.3) and m["auprc_ratio"] == pytest.approx(1 / 0.3)
    assert (m["n_pos"], m["n_neg"], m["positive_rate"]) == (3, 7, 0.3)
    assert auroc(y, -s) == 0 and epr(y, -s) == 0
    assert auprc(y, -s) < 0.3 + 1e-9  # no better than the positive rate


def test_random_scorer_is_epr_one_in_expectation():
    rng = np.random.default_rng(0)
    y = np.zeros(60, dtype=int)
    y[:12] = 1
    eprs = [epr(y, rng.random(60)) for _ in range(3000)]
    aurocs = [auroc(y, rng.random(60)) for _ in range(300)]
    assert np.mean(eprs) == pytest.approx(1.0, abs=0.05)
    assert np.mean(aurocs) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("labels, scores, match", [
    ([1, 1], [0.1, 0.2], "both classes"),
    ([0, 0], [0.1, 0.2], "both classes"),
    ([1, 0], [0.1, np.nan], "NaN"),
    ([1, 0, 1], [0.1, 0.2], "differ in length"),
    ([2, 0], [0.1, 0.2], "0/1"),
])
def test_bad_metric_input(labels, scores, match):
    for fn in (auroc, auprc, epr, grn_metrics):
        with pytest.raises(ValueError, match=match):
            fn(labels, scores)


# ---------------------------------------------------------------- per-TF prior

def test_per_tf_prior_ranking():
    train = pd.DataFrame({
        "tf":     [0, 0, 0, 0, 1, 1, 1, 1, 2, 2],
        "target": [5, 6, 7, 8, 5, 6, 7, 8, 5, 9],
        "label":  [1, 1, 1, 0, 1, 0, 0, 0, 1, 0],
    })  # rates: TF0 0.75, TF1 0.25, TF2 0.5; overall 0.5. in-degree: 5 -> 3, 6 -> 1, 7 -> 1
    test = pd.DataFrame({"tf": [1, 0, 0, 1, 2, 3, 0],
                         "target": [5, 9, 5, 9, 9, 9, 6]})
    s = per_tf_prior(train, test)
    # TF0 first (target 5 before 6 before 9 by in-degree), then TF2 and the unseen TF3
    # (overall rate 0.5, tied), then TF1 (target 5 before 9)
    order = np.argsort(-s, kind="stable").tolist()
    assert order == [2, 6, 1, 4, 5, 0, 3]
    assert s[4] == s[5] == pytest.approx(0.5)
    # the in-degree never lifts a TF over one with a higher rate
    assert s[0] < s[4] and s[2] < 0.75 + 0.25 / 2


def test_per_tf_prior_needs_labels():
    with pytest.raises(ValueError, match="label"):
        per_tf_prior(pd.DataFrame({"tf": [0], "target": [1]}), pd.DataFrame({"tf": [0],
                                                                             "target": [1]}))


def test_degree_product_by_hand():
    train = pd.DataFrame({"tf": [0, 0, 0, 1, 1, 2], "target": [5, 6, 7, 5, 6, 5],
                          "label": [1, 1, 0, 1, 0, 1]})  # outdeg 0: 2, 1: 1, 2: 1
    test = pd.DataFrame({"tf": [0, 1, 3, 3], "target": [5, 7, 5, 8]})  # indeg 5: 3, 6: 1
    # (2 + 1)(3 + 1), (1 + 1)(0 + 1); the unseen TF 3 ranks by in-degree alone
    assert degree_product(train, test).tolist() == [12.0, 2.0, 4.0, 1.0]
    with pytest.raises(ValueError, match="label"):
        degree_product(train.drop(columns="label"), test)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 6), st.integers(1, 8))
def test_tf_similarity_vote_is_the_weighted_share_of_co_expressed_tfs_with_the_edge(
        seed, n_tfs, n_targets):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_tfs + n_targets, 12))
    x[0] = 3.0  # a constant TF correlates with nothing
    rows = [(t, g, int(rng.random() < 0.4)) for t in range(n_tfs - 1)
            for g in range(n_tfs, n_tfs + n_targets)]
    train = pd.DataFrame(rows, columns=["tf", "target", "label"])
    test = pd.DataFrame([(t, g) for t in range(n_tfs) for g in range(n_tfs + n_targets)],
                        columns=["tf", "target"])
    edges = set(zip(train.tf[train.label == 1], train.target[train.label == 1]))
    expected = []
    for t, g in zip(test.tf, test.target):
        weights = {v: max(np.corrcoef(x[t], x[v])[0, 1] if x[t].std() and x[v].std() else 0.0,
                          0.0) + 1e-3 for v in range(n_tfs - 1) if v != t}
        total = sum(weights.values())
        expected.append(sum(w for v, w in weights.items() if (v, g) in edges) / total
                        if total else 0.0)
    assert tf_similarity_vote(x, train, test) == pytest.approx(expected, abs=1e-9)


def test_tf_similarity_vote_scores_an_unseen_tf_by_its_co_expressed_twin():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(26, 40))
    x[5] = x[0] + 0.05 * rng.normal(size=40)  # TF 5, held out, is TF 0's twin
    rows = [(t, g, int(g - 6 in range(t * 4, t * 4 + 4))) for t in range(5)
            for g in range(6, 26)]
    train = pd.DataFrame(rows, columns=["tf", "target", "label"])
    test = pd.DataFrame({"tf": 5, "target": range(6, 26)})
    labels = (test["target"] < 10).astype(int)  # the twin's targets
    assert auroc(labels, tf_similarity_vote(x, train, test)) == 1.0
    assert auroc(labels, pearson_scores(x, test)) < 0.8


# ---------------------------------------------------------------- Pearson and GENIE3

def test_pearson_scores():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 30))
    x[1] = -2 * x[0] + 1  # perfectly anti-correlated
    x[3] = 5.0  # constant gene
    pairs = pd.DataFrame({"tf": [0, 0, 2, 3], "target": [1, 2, 0, 0]})
    s = pearson_scores(pd.DataFrame(x), pairs)
    assert s[0] == pytest.approx(1.0)
    assert s[1] == pytest.approx(abs(np.corrcoef(x[0], x[2])[0, 1]))
    assert s[2] == s[1] and s[3] == 0.0
    assert pearson_scores(x, np.array([[0, 1]]))[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="outside"):
        pearson_scores(x, np.array([[0, 4]]))


def planted(seed: int = 0):
    """5 TFs, 15 targets; target j is driven by TF j % 5 (non-linear for one of them)."""
    rng = np.random.default_rng(seed)
    n_tfs, n_targets, cells = 5, 15, 80
    x = np.empty((n_tfs + n_targets, cells))
    x[:n_tfs] = rng.normal(size=(n_tfs, cells))
    truth = set()
    for j in range(n_targets):
        tf = j % n_tfs
        drive = 2 * x[tf] if tf else np.abs(x[tf]) * 2  # TF 0 acts non-linearly
        x[n_tfs + j] = drive + 0.5 * rng.normal(size=cells)
        truth.add((tf, n_tfs + j))
    pairs = pd.DataFrame([(t, g) for t in range(n_tfs) for g in range(n_tfs, n_tfs + n_targets)],
                         columns=["tf", "target"])
    labels = np.array([(t, g) in truth for t, g in zip(pairs.tf, pairs.target)], dtype=int)
    return x, list(range(n_tfs)), pairs, labels


def test_genie3_recovers_planted_regulation():
    x, tfs, pairs, labels = planted()
    s = genie3_scores(x, tfs, pairs, seed=0, n_trees=30, n_jobs=1)
    assert auroc(labels, s) > 0.95
    assert epr(labels, s) > 3  # random: 1; perfect: 5
    rng = np.random.default_rng(1)
    assert np.mean([auroc(labels, rng.random(len(labels))) for _ in range(50)]) < 0.6
    # Pearson misses the non-linear TF; GENIE3 does not
    tf0 = (pairs.tf == 0).to_numpy()
    assert auroc(labels[tf0], s[tf0]) > auroc(labels[tf0], pearson_scores(x, pairs)[tf0])
    # deterministic by seed; names work for a DataFrame
    again = genie3_scores(x, tfs, pairs, seed=0, n_trees=30, n_jobs=1)
    np.testing.assert_array_equal(s, again)
    frame = pd.DataFrame(x, index=[f"g{i}" for i in range(len(x))])
    by_name = genie3_scores(frame, [f"g{i}" for i in tfs], pairs, seed=0, n_trees=30,
                            n_jobs=1, method="et")
    assert auroc(labels, by_name) > 0.9


def test_genie3_memo_fits_each_target_once_per_seed_and_changes_no_score(monkeypatch):
    x, tfs, pairs, _ = planted()
    plain = genie3_scores(x, tfs, pairs, seed=0, n_trees=10, n_jobs=1)
    fits = []
    fit = RandomForestRegressor.fit
    monkeypatch.setattr(RandomForestRegressor, "fit",
                        lambda self, *a, **k: fits.append(1) or fit(self, *a, **k))
    memo: dict = {}
    half = genie3_scores(x, tfs, pairs.iloc[::2], seed=0, n_trees=10, n_jobs=1, forests=memo)
    whole = genie3_scores(x, tfs, pairs, seed=0, n_trees=10, n_jobs=1, forests=memo)
    np.testing.assert_array_equal(whole, plain)
    np.testing.assert_array_equal(half, plain[::2])
    assert len(fits) == pairs.target.nunique()  # the second call fitted nothing
    other = genie3_scores(x, tfs, pairs, seed=1, n_trees=10, n_jobs=1, forests=memo)
    assert len(fits) == 2 * pairs.target.nunique() and not np.array_equal(other, plain)


def test_genie3_only_fits_requested_targets_and_handles_constant_genes():
    x, tfs, pairs, _ = planted()
    x[-1] = 1.0  # constant target: nothing to explain
    sub = pairs[pairs.target.isin([5, len(x) - 1])]
    s = genie3_scores(x, tfs, sub, seed=0, n_trees=10, n_jobs=1)
    assert (s[sub.target.to_numpy() == len(x) - 1] == 0).all()
    assert s[(sub.target == 5).to_numpy() & (sub.tf == 0).to_numpy()][0] == s.max()


# ---------------------------------------------------------------- real data sanity

def test_baselines_on_real_mdc():
    """Sanity on the real mDC (specific): the prior is strong in-TF, Pearson is near chance."""
    grn = load_beeline_mdc("specific")
    parts = transductive_split(grn, seed=0)
    test = parts["test"]
    prior = grn_metrics(test.label, per_tf_prior(parts["train"], test))
    pearson = grn_metrics(test.label, pearson_scores(grn.expression, test))
    assert prior["auroc"] > 0.7 and prior["auprc"] > 2 * prior["positive_rate"]
    assert 0.4 < pearson["auroc"] < 0.65
    held = held_out_tf_split(grn, seed=0, n_test_tfs=5)
    # on unseen TFs the prior falls back to the target in-degree alone
    s = per_tf_prior(held["train"], held["test"])
    assert 0.3 < auroc(held["test"].label, s) < 0.8
