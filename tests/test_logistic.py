"""The batched logistic regression against scikit-learn's, one label at a time."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from dglgene.eval.logistic import balanced_weights, decision_function, fit_logistic


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(12, 80), d=st.integers(1, 6),
       labels=st.integers(1, 5), C=st.sampled_from([0.01, 0.3, 1.0, 10.0]),
       shift=st.floats(-2.0, 2.0))
def test_each_label_equals_sklearns_balanced_l2_fit_on_its_own_training_rows(
        seed, n, d, labels, C, shift):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) + shift
    # labels that depend on x plus noise, so no class is separable by accident too often
    y = (x @ rng.normal(size=(d, labels)) + rng.normal(size=(n, labels))) > 0.5
    train = rng.random((n, labels)) < 0.7
    coef, intercept = fit_logistic(x, y, train, C=C)
    for t in range(labels):
        rows = train[:, t]
        if len(set(y[rows, t])) < 2:  # one class: scored alike everywhere
            assert np.all(coef[t] == 0)
            continue
        ref = LogisticRegression(C=C, class_weight="balanced", tol=1e-12, max_iter=10_000)
        ref.fit(x[rows], y[rows, t])
        scale = 1 + np.abs(ref.coef_[0]).max()
        np.testing.assert_allclose(coef[t], ref.coef_[0], atol=1e-5 * scale)
        np.testing.assert_allclose(intercept[t], ref.intercept_[0], atol=1e-5 * scale)
        np.testing.assert_allclose(decision_function(x, coef, intercept)[:, t],
                                   ref.decision_function(x), atol=1e-4 * scale)


def test_rows_outside_a_labels_training_set_do_not_move_its_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = (x[:, :1] + 0.3 * rng.normal(size=(60, 1))) > 0
    train = np.zeros((60, 1), dtype=bool)
    train[:40] = True
    coef, intercept = fit_logistic(x, y, train)
    y_other = y.copy()
    y_other[40:] = ~y_other[40:]  # flip every label the fit must not see
    x_other = x.copy()
    x_other[40:] *= 100.0
    coef2, intercept2 = fit_logistic(x_other, y_other, train)
    np.testing.assert_allclose(coef, coef2, atol=1e-10)
    np.testing.assert_allclose(intercept, intercept2, atol=1e-10)


def test_balanced_weights_give_each_class_half_the_training_weight():
    y = np.array([[1], [0], [0], [0], [1]], dtype=bool)
    train = np.array([[1], [1], [1], [1], [0]], dtype=bool)
    w = balanced_weights(y, train)[:, 0]
    # 4 training rows, 1 positive (weight 4/2), 3 negatives (4/6 each); row 5 not trained
    np.testing.assert_allclose(w, [2.0, 2 / 3, 2 / 3, 2 / 3, 0.0])
    assert w[y[:, 0] & train[:, 0]].sum() == w[~y[:, 0] & train[:, 0]].sum()


def test_a_label_with_one_training_class_scores_every_row_alike():
    x = np.arange(10, dtype=np.float64)[:, None]
    y = np.zeros((10, 1), dtype=bool)
    y[8:] = True
    train = np.zeros((10, 1), dtype=bool)
    train[:5] = True  # only negatives
    coef, intercept = fit_logistic(x, y, train)
    scores = decision_function(x, coef, intercept)[:, 0]
    assert np.all(scores == scores[0]) and scores[0] < 0
