"""Ranking metrics for GRN inference: AUROC, AUPRC and BEELINE's early precision ratio.

All take ``labels`` (1 = true edge, 0 = not) and ``scores`` (higher = more likely an
edge) over the same candidate (TF, target) pairs.

* AUROC: :func:`sklearn.metrics.roc_auc_score`, the probability that a random positive
  outscores a random negative (ties count 1/2).
* AUPRC: average precision, :func:`sklearn.metrics.average_precision_score`,
  ``AP = sum_n (R_n - R_{n-1}) P_n`` over the score thresholds (no interpolation). This
  is what GENELink's ``Evaluation`` reports as AUPR; a random scorer gets the positive
  rate, so ``auprc_ratio = AUPRC / positive rate`` (GENELink's ``AUPR_norm``) is also given.
* EPR, early precision ratio (Pratapa et al., Nature Methods 2020; Murali-group/Beeline
  ``BLEval/computeEarlyPrec.py``): with ``k`` = number of true edges, the *early
  precision* is the fraction of true edges among the top-``k`` predictions, where
  BEELINE keeps every prediction whose score is >= the ``k``-th highest score (ties at
  the cut are all kept), after rounding scores to 6 decimals. EPR divides it by the
  precision of a random predictor, ``k / (number of candidate edges)`` = the positive
  rate here, so a random scorer has EPR 1 in expectation. Two BEELINE steps are left
  out because they are specific to its input format: it takes ``|score|`` (signed
  correlations; pass ``|r|`` yourself) and drops edges of score 0 (no prediction).

>>> labels = [1, 0, 1, 0, 0]
>>> scores = [0.9, 0.8, 0.7, 0.2, 0.1]
>>> round(auroc(labels, scores), 4), round(auprc(labels, scores), 4), epr(labels, scores)
(0.8333, 0.8333, 1.25)
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["auprc", "auroc", "epr", "grn_metrics"]


def _check(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels ({y.size}) and scores ({s.size}) differ in length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0/1")
    y = y.astype(np.int64)
    if y.sum() == 0 or y.sum() == y.size:
        raise ValueError(f"labels need both classes; got {int(y.sum())} positives of {y.size}")
    if not np.isfinite(s).all():
        raise ValueError(f"scores have {int((~np.isfinite(s)).sum())} NaN/inf values")
    return y, s


def auroc(labels, scores) -> float:
    """Area under the ROC curve."""
    y, s = _check(labels, scores)
    return float(roc_auc_score(y, s))


def auprc(labels, scores) -> float:
    """Average precision (area under the precision-recall curve, step-wise)."""
    y, s = _check(labels, scores)
    return float(average_precision_score(y, s))


def epr(labels, scores, decimals: int | None = 6) -> float:
    """Early precision ratio as BEELINE computes it (see the module docstring).

    >>> epr([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5])  # all tied: top-k is everything
    1.0
    """
    y, s = _check(labels, scores)
    if decimals is not None:
        s = np.round(s, decimals)
    k = int(y.sum())
    cut = np.sort(s)[::-1][k - 1]
    top = s >= cut
    early_precision = y[top].mean()
    return float(early_precision / (k / y.size))


def grn_metrics(labels, scores) -> dict[str, float]:
    """AUROC, AUPRC, AUPRC / positive rate, EPR, and the class counts."""
    y, s = _check(labels, scores)
    rate = y.mean()
    ap = auprc(y, s)
    return {"auroc": auroc(y, s), "auprc": ap, "auprc_ratio": float(ap / rate),
            "epr": epr(y, s), "n_pos": int(y.sum()), "n_neg": int(y.size - y.sum()),
            "positive_rate": float(rate)}
