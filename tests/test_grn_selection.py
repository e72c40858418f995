"""Choosing the training length for unseen TFs by TF-fold cross-validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dglgene.grn.methods as methods
from dglgene.errors import DglgeneInputError
from dglgene.grn.selection import choose_epoch, tf_folds, unseen_validation_tfs
from dglgene.grn.settings import GRNSettings


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(-5, 5), min_size=1, max_size=8), min_size=1, max_size=5))
def test_choose_epoch_is_the_best_mean_over_the_epochs_every_fold_reached(scores):
    curves = pd.DataFrame([(f, e, s) for f, fold in enumerate(scores) for e, s in enumerate(fold)],
                          columns=["fold", "epoch", "val_score"])
    last = min(len(fold) for fold in scores)
    means = [np.mean([fold[e] for fold in scores]) for e in range(last)]
    chosen = choose_epoch(curves)
    assert chosen < last
    assert means[chosen] == pytest.approx(max(means))
    assert all(m < means[chosen] - 1e-12 or m == pytest.approx(means[chosen])
               for m in means[:chosen])


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(0, 200), min_size=2, max_size=30), st.integers(2, 30),
       st.integers(0, 2**31))
def test_tf_folds_partition_the_tfs_evenly(tfs, k, seed):
    pairs = pd.DataFrame({"tf": sorted(tfs) * 2, "target": 0, "label": 0})
    if k > len(tfs):
        with pytest.raises(DglgeneInputError, match="tf_folds must be between 2"):
            tf_folds(pairs, k, seed)
        return
    folds = tf_folds(pairs, k, seed)
    assert len(folds) == k and sorted(np.concatenate(folds).tolist()) == sorted(tfs)
    assert max(map(len, folds)) - min(map(len, folds)) <= 1
    assert all(np.array_equal(a, b) for a, b in zip(folds, tf_folds(pairs, k, seed)))


def _held_out_tf_data():
    """12 TFs x 30 candidate targets; targets 12-21 are regulated by every TF."""
    from dglgene.data.grn_data import GRNData

    rng = np.random.default_rng(0)
    genes = [f"g{i}" for i in range(42)]
    expression = pd.DataFrame(rng.normal(size=(42, 30)), index=genes)
    network = pd.DataFrame([(genes[t], genes[g]) for t in range(12) for g in range(12, 22)],
                           columns=["tf", "target"])
    data = GRNData(expression, network, tfs=genes[:12], targets=genes)
    rows = [(t, g, int(g < 22)) for t in range(12) for g in range(12, 42)]
    pairs = pd.DataFrame(rows, columns=["tf", "target", "label"])
    part = {"train": pairs["tf"] < 7, "val": pairs["tf"].between(7, 8), "test": pairs["tf"] > 8}
    return data, {name: pairs[rows].reset_index(drop=True) for name, rows in part.items()}


def test_tf_folds_train_each_fold_without_its_tfs_then_refit_on_all_for_the_chosen_epochs(
        monkeypatch):
    data, splits = _held_out_tf_data()
    calls = []
    fit_links = methods.fit_links

    def spy(model, train, val, **kwargs):
        calls.append((set(train["tf"]), set(val["tf"]), len(train), kwargs["epochs"]))
        return fit_links(model, train, val, **kwargs)

    monkeypatch.setattr(methods, "fit_links", spy)
    run = GRNSettings(gnn=None, epochs=4, patience=2, tf_folds=3)
    embedding = np.random.default_rng(1).normal(size=(42, 4))
    _, _, history = methods.train_model(data, splits, embedding, run)
    seen = set(range(9))  # training and validation TFs; test TFs are 9-11
    *folds, final = calls
    assert len(folds) == 3
    assert set().union(*(val for _, val, _, _ in folds)) == seen
    for train_tfs, val_tfs, _, epochs in folds:
        assert not train_tfs & val_tfs and train_tfs | val_tfs == seen and epochs == 4
    curves = history.attrs["tf_folds"]
    assert history.attrs["chosen_epoch"] == choose_epoch(curves) == final[3]
    assert final[:3] == (seen, set(), len(splits["train"]) + len(splits["val"]))
    assert sorted(curves["fold"].unique()) == [0, 1, 2]

    calls.clear()  # a transductive split validates on seen TFs: the folds do not apply
    both = pd.concat([splits["train"], splits["val"]])
    transductive = {"train": both.iloc[::2], "val": both.iloc[1::2], "test": splits["test"]}
    assert not unseen_validation_tfs(transductive["train"], transductive["val"])
    methods.train_model(data, transductive, embedding, run)
    assert len(calls) == 1


def test_grn_settings_refuse_a_single_tf_fold():
    with pytest.raises(DglgeneInputError, match="tf_folds must be 0"):
        GRNSettings(tf_folds=1)
