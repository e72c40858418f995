r"""L2 logistic regression for many binary labels at once, each with its own training rows.

Gene-function benchmarks fit one classifier per term and fold: thousands of small
problems over the same features. :func:`fit_logistic` solves them together. For label
:math:`t` with training weights :math:`s_{it}` (0 for rows outside its training set) it
minimises scikit-learn's objective for ``LogisticRegression(C=C, class_weight="balanced")``,

.. math::
    \tfrac12 \lVert w_t \rVert^2 + C \sum_i s_{it} \Big( \log\big(1 + e^{z_{it}}\big)
        - y_{it} z_{it} \Big), \qquad z_{it} = x_i^\top w_t + b_t,

with balanced weights :math:`s_{it} = n_t / (2\, n_{t,y_{it}})` over the :math:`n_t`
training rows of label :math:`t` (:math:`n_{t,c}` of them in class :math:`c`) and the
intercept :math:`b_t` not penalised. The problem is strictly convex, so its minimiser is
unique, and Newton's method reaches it in a few steps: every label's Hessian
:math:`\Lambda + C \sum_i s_{it} p_{it}(1-p_{it}) x_i x_i^\top` comes from one matrix
product of the weights with the rows' outer products, and a step that would raise a
label's objective is halved. ``tests/test_logistic.py`` checks the solution against
scikit-learn's.

>>> import numpy as np
>>> x = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> y = np.array([[0, 1], [0, 0], [1, 1], [1, 0]], dtype=bool)  # two labels
>>> train = np.ones_like(y)
>>> coef, intercept = fit_logistic(x, y, train, C=1.0)
>>> bool(coef[0, 0] > 0), bool(coef[1, 0] < 0)  # the first grows with x, the second falls
(True, True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["balanced_weights", "decision_function", "fit_logistic"]

_MAX_NEWTON = 50
_MAX_HALVINGS = 30


def _objective(z: np.ndarray, y: np.ndarray, weight: np.ndarray, coef: np.ndarray,
               C: float) -> np.ndarray:
    # log(1 + e^z) - y z, stable for large |z|
    loss = np.logaddexp(0.0, z) - y * z
    return 0.5 * np.einsum("td,td->t", coef, coef) + C * np.einsum("it,it->t", weight, loss)


def balanced_weights(y: np.ndarray, train: np.ndarray) -> np.ndarray:
    """``class_weight="balanced"`` per label over its training rows (0 elsewhere)."""
    n = train.sum(0).astype(np.float64)
    n_pos = (y & train).sum(0).astype(np.float64)
    n_neg = n - n_pos
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(n_pos > 0, n / (2 * n_pos), 0.0)
        neg = np.where(n_neg > 0, n / (2 * n_neg), 0.0)
    return np.where(y, pos, neg) * train


def fit_logistic(x: np.ndarray, y: np.ndarray, train: np.ndarray, C: float = 1.0,
                 tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (labels x features) and intercepts (labels) of balanced L2 logistic
    regressions, one per column of ``y`` (rows x labels, bool), each fitted on the rows
    where its column of ``train`` (rows x labels, bool) is True.

    Newton's method stops for a label when its full step is below ``tol`` in every
    coefficient. A label whose training rows hold one class only has no minimiser: it gets
    coefficients 0 and an intercept of that class's sign and size ``1 / tol``, so it scores
    every row alike.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=bool)
    train = np.asarray(train, dtype=bool)
    n, d = x.shape
    theta = np.zeros((y.shape[1], d + 1))
    n_pos, n_train = (y & train).sum(0), train.sum(0)
    one_class = (n_pos == 0) | (n_pos == n_train)
    theta[one_class, d] = np.where(n_pos[one_class] > 0, 1.0, -1.0) / tol
    active = np.flatnonzero(~one_class)
    if not len(active):
        return theta[:, :d], theta[:, d]
    weight = balanced_weights(y[:, active], train[:, active])
    yf = y[:, active].astype(np.float64)
    x1 = np.hstack([x, np.ones((n, 1))])
    # the Hessians' one large product runs in float32 (twice as fast); the gradient stays
    # float64, so Newton's steps still stop at the exact minimum
    x32 = x1.astype(np.float32)
    outer = (x32[:, :, None] * x32[:, None, :]).reshape(n, (d + 1) ** 2)
    penalty = np.ones(d + 1)
    penalty[d] = 0.0  # the intercept is not penalised
    solved = theta[active]
    z = np.zeros((n, len(active)))
    current = _objective(z, yf, weight, solved[:, :d], C)
    todo = np.arange(len(active))  # labels not yet converged
    for _ in range(_MAX_NEWTON):
        w, zt, yt = weight[:, todo], z[:, todo], yf[:, todo]
        p = 0.5 * (1.0 + np.tanh(0.5 * zt))  # the logistic function, without overflow
        grad = solved[todo] * penalty + C * (w * (p - yt)).T @ x1
        curvature = (C * w * p * (1.0 - p)).astype(np.float32)
        hessian = (curvature.T @ outer).astype(np.float64).reshape(-1, d + 1, d + 1)
        hessian[:, np.arange(d + 1), np.arange(d + 1)] += penalty + 1e-12
        step = np.linalg.solve(hessian, grad[:, :, None])[:, :, 0]
        scale = np.ones(len(todo))
        for _ in range(_MAX_HALVINGS):
            candidate = solved[todo] - scale[:, None] * step
            z_new = x1 @ candidate.T
            value = _objective(z_new, yt, w, candidate[:, :d], C)
            worse = value > current[todo] + 1e-12 * np.abs(current[todo])
            if not worse.any():
                break
            scale[worse] *= 0.5
        # a label whose every halved step was worse keeps its point: it is at the minimum
        # to within rounding
        moved = ~worse
        solved[todo[moved]] = candidate[moved]
        z[:, todo[moved]] = z_new[:, moved]
        current[todo[moved]] = value[moved]
        todo = todo[moved & (np.abs(step).max(axis=1) >= tol)]
        if not len(todo):
            break
    theta[active] = solved
    return theta[:, :d], theta[:, d]


def decision_function(x: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Rows x labels log-odds :math:`x^\\top w_t + b_t`."""
    return np.asarray(x, dtype=np.float64) @ coef.T + intercept
