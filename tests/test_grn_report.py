"""GRN methods compared TF by TF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wilcoxon
from sklearn.metrics import roc_auc_score

from dglgene.grn.report import paired_tf_comparison, per_tf_auroc


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 6), st.integers(2, 12))
def test_per_tf_auroc_is_each_tfs_own_auroc_and_skips_one_class_tfs(seed, n_tfs, per_tf):
    rng = np.random.default_rng(seed)
    tf = np.repeat(np.arange(n_tfs), per_tf)
    label = rng.integers(0, 2, len(tf))
    label[tf == 0] = 0  # TF 0 has no positive: it has no AUROC
    test = pd.DataFrame({"tf": tf, "label": label})
    scores = {"a": rng.normal(size=len(tf)), "b": rng.normal(size=len(tf))}
    table = per_tf_auroc(test, scores)
    both = [t for t in range(n_tfs) if 0 < label[tf == t].sum() < per_tf]
    assert sorted(set(table["tf"])) == both
    for row in table.itertuples():
        where = tf == row.tf
        assert row.auroc == pytest.approx(roc_auc_score(label[where], scores[row.method][where]))
        assert row.positives == label[where].sum() and row.pairs == where.sum()


def test_paired_tf_comparison_pairs_the_same_seed_and_tf():
    rng = np.random.default_rng(0)
    keys = [(d, s, seed, t) for d in ("x", "y") for s in ("transductive",)
            for seed in range(3) for t in range(8)]
    frame = pd.DataFrame(keys, columns=["dataset", "split", "seed", "tf"])
    a = rng.uniform(0.5, 1.0, len(frame))
    b = a - np.where(frame["dataset"] == "x", 0.05, 0.0) + rng.normal(0, 0.01, len(frame))
    per_tf = pd.concat([frame.assign(method="A", auroc=a), frame.assign(method="B", auroc=b)])
    per_tf = per_tf.sample(frac=1.0, random_state=0)  # order must not matter
    out = paired_tf_comparison(per_tf, "A", "B").set_index("dataset")
    assert list(out["n"]) == [24, 24]
    x = frame["dataset"] == "x"
    assert out.loc["x", "delta"] == pytest.approx((a - b)[x].mean())
    assert out.loc["x", "p"] == pytest.approx(wilcoxon((a - b)[x]).pvalue)
    assert out.loc["x", "p"] < 1e-4 < out.loc["y", "p"] and out.loc["x", "wins"] == 1.0
    same = pd.concat([frame.assign(method="A", auroc=a), frame.assign(method="B", auroc=a)])
    assert (paired_tf_comparison(same, "A", "B")["p"] == 1.0).all()
