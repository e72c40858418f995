r"""Gene co-expression: CS-CORE and Pearson, each with a test, and edges from p-values.

**CS-CORE** (Su et al., *Nat. Commun.* 14, 4846, 2023) models counts as
:math:`x_{ig} = s_i z_{ig} + \epsilon`, with sequencing depth :math:`s_i` and true
expression :math:`z_{ig}` of mean :math:`\mu_g`, variance :math:`\sigma_{gg}` and
covariance :math:`\sigma_{gh}`. Moment equations, solved by iteratively reweighted
least squares:

.. math::
    E[x_{ig}] = s_i\mu_g, \quad
    E[(x_{ig} - s_i\mu_g)^2] = s_i\mu_g + s_i^2\sigma_{gg}, \quad
    E[(x_{ig} - s_i\mu_g)(x_{ih} - s_i\mu_h)] = s_i^2\sigma_{gh}.

The co-expression is :math:`\rho_{gh} = \sigma_{gh}/\sqrt{\sigma_{gg}\sigma_{hh}}`, and
under :math:`H_0: \sigma_{gh}=0` the weighted sum
:math:`T_{gh} = \sum_i s_i^2 r_{ig} r_{ih} / \sqrt{\sum_i s_i^4 / (v_{ig} v_{ih})}`, with
:math:`r_{ig} = (x_{ig} - s_i\mu_g)/v_{ig}` and :math:`v_{ig} = s_i\mu_g + s_i^2\sigma_{gg}`,
is asymptotically standard normal. Unlike Pearson on normalised data it is not biased
towards zero by the Poisson noise of low, uneven depth.

**Pearson**: the sample correlation of (log-normalised or residual) values with the usual
:math:`t`-test, :math:`t = r\sqrt{(n-2)/(1-r^2)}`.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> z = rng.gamma(2.0, 1.0, size=(400, 1)) * np.ones((1, 3))   # three co-expressed genes
>>> depth = rng.uniform(0.5, 2.0, 400)
>>> counts = rng.poisson(depth[:, None] * z)
>>> est, p = cscore(counts, depth)
>>> bool(est[0, 1] > 0.8 and p[0, 1] < 1e-6)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.stats import norm
from scipy.stats import t as student_t

from dglgene.data.cell_chunks import sum_over_blocks


def _positive_median(theta: np.ndarray) -> float:
    positive = theta[np.isfinite(theta) & (theta > 0)]
    return float(np.median(positive)) if positive.size else 1.0


def _safe_weights(w: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(w) & (w > 0), w, 1.0)


def cscore(
    counts: np.ndarray | sp.spmatrix, depth: np.ndarray, max_iter: int = 10, tol: float = 0.05,
    rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """CS-CORE co-expression estimates and two-sided p-values (genes x genes).

    ``counts`` is cells x genes; ``depth`` the sequencing depth of each cell (total counts
    over all genes). Genes whose estimated variance is not positive get estimate 0 and
    p-value 1 with every other gene. The diagonal is 1 (estimate) and 0 (p-value).

    Every moment is a sum over cells, taken over blocks of ``rows`` cells
    (:func:`~dglgene.data.cell_chunks.sum_over_blocks`; default: blocks of a bounded
    size), so memory does not grow with the cell count; ``counts`` may be a backed matrix.
    """
    s = np.asarray(depth, dtype=np.float64)
    s = s / s.mean()  # only the relative depth matters; keeps s**4 well scaled
    s2 = s**2
    s4 = s2**2

    def total(fn: Callable[..., Any], *args: Any) -> Any:
        return sum_over_blocks(counts, lambda r, x: fn(r, x, *args), rows)

    def variance_terms(r: slice, x: np.ndarray, mu: np.ndarray,
                       theta_med: float | None) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
        m = np.outer(s[r], mu)
        resid = x - m
        if theta_med is None:  # the first, unweighted estimate
            return ((resid**2 - m) * s2[r, None]).sum(0)
        w2 = _safe_weights((m**2 / theta_med + m) ** 2)
        return ((((resid**2 - m) / w2) * s2[r, None]).sum(0), (s4[r, None] / w2).sum(0))

    def mean_terms(r: slice, x: np.ndarray, mu: np.ndarray, theta_med: float
                   ) -> tuple[np.ndarray, np.ndarray]:
        w1 = _safe_weights(np.outer(s[r], mu) + np.outer(s2[r], mu**2 / theta_med))
        return ((x / w1) * s[r, None]).sum(0), (s2[r, None] / w1).sum(0)

    mu = total(lambda r, x: (x * s[r, None]).sum(0)) / s2.sum()
    sigma2 = total(variance_terms, mu, None) / s4.sum()
    with np.errstate(invalid="ignore", divide="ignore"):  # a gene never seen: 0 / 0
        theta = mu**2 / sigma2
    for _ in range(max_iter):
        # Weights are the model variances under a common overdispersion (median theta).
        theta_med = _positive_median(theta)
        numerator, denominator = total(mean_terms, mu, theta_med)
        mu = numerator / denominator
        numerator, denominator = total(variance_terms, mu, theta_med)
        sigma2 = numerator / denominator
        with np.errstate(invalid="ignore", divide="ignore"):
            previous, theta = theta, mu**2 / sigma2
        both = (theta > 0) & (previous > 0)
        if not both.any() or np.max(np.abs(np.log(theta[both] / previous[both]))) < tol:
            break

    valid = np.isfinite(sigma2) & (sigma2 > 0) & (mu > 0)
    theta_med = _positive_median(theta)
    sigma2_h0 = np.where(valid, sigma2, 0.0)

    def pair_terms(r: slice, x: np.ndarray) -> tuple[np.ndarray, ...]:
        m = np.outer(s[r], mu)
        resid = x - m
        w = _safe_weights(m + np.outer(s2[r], mu**2 / theta_med))
        scaled = resid / w
        inv = 1.0 / np.where(valid, m + np.outer(s2[r], sigma2_h0), np.inf)
        z = resid * inv
        return ((s2[r, None] * scaled).T @ scaled, (s2[r, None] / w).T @ (s2[r, None] / w),
                (s2[r, None] * z).T @ z, (s4[r, None] * inv).T @ inv)

    with np.errstate(invalid="ignore", divide="ignore"):
        covariance, weight, statistic, variance = total(pair_terms)
        sigma = np.sqrt(np.where(valid, sigma2, np.nan))
        estimate = np.clip(covariance / weight / np.outer(sigma, sigma), -1.0, 1.0)
        statistic = statistic / np.sqrt(variance)
    p_value = 2.0 * norm.sf(np.abs(statistic))
    pair_valid = np.outer(valid, valid)
    estimate = np.where(pair_valid, np.nan_to_num(estimate), 0.0)
    p_value = np.where(pair_valid, np.nan_to_num(p_value, nan=1.0), 1.0)
    np.fill_diagonal(estimate, 1.0)
    np.fill_diagonal(p_value, 0.0)
    return estimate, p_value


def pearson(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation (genes x genes) of ``values`` (cells x genes) and t-test p-values.

    Constant genes correlate 0 with everything (p-value 1).
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    centered = values - values.mean(0)
    norms = np.linalg.norm(centered, axis=0)
    safe = np.where(norms > 0, norms, 1.0)
    r = np.clip((centered.T @ centered) / np.outer(safe, safe), -1.0, 1.0)
    r[norms == 0, :] = 0.0
    r[:, norms == 0] = 0.0
    with np.errstate(divide="ignore"):
        t = r * np.sqrt(max(n - 2, 1) / np.maximum(1.0 - r**2, 1e-300))
    p_value = 2.0 * student_t.sf(np.abs(t), df=max(n - 2, 1))
    np.fill_diagonal(r, 1.0)
    np.fill_diagonal(p_value, 0.0)
    return r, p_value


def false_discovery_rate(p_value: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (monotone, capped at 1), in the input order.

    >>> false_discovery_rate(np.array([0.01, 0.04, 0.03, 0.2])).round(3)
    array([0.04 , 0.053, 0.053, 0.2  ])
    """
    p_value = np.asarray(p_value, dtype=np.float64)
    order = np.argsort(p_value)
    n = len(p_value)
    scaled = p_value[order] * n / np.arange(1, n + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def edges_from_pvalues(
    estimate: np.ndarray, p_value: np.ndarray, threshold: float = 0.005,
    top_k: int | None = None, self_loops: bool = True, fdr: float | None = None,
) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency: an edge where ``p < threshold``, or with ``fdr`` where the
    Benjamini-Hochberg adjusted p-value over the gene pairs (upper triangle) is below
    ``fdr``; optionally only each gene's ``top_k`` strongest such partners by
    ``|estimate|``; plus self-loops.

    >>> p = np.array([[0, .001, .02, .5], [.001, 0, .03, .5], [.02, .03, 0, .5],
    ...               [.5, .5, .5, 0]])
    >>> # BH over the six pairs: .001 -> .006, .02 -> .06, .03 -> .06, .5 -> .5
    >>> edges_from_pvalues(np.ones((4, 4)), p, fdr=0.05, self_loops=False).nnz
    2
    >>> edges_from_pvalues(np.ones((4, 4)), p, fdr=0.1, self_loops=False).nnz
    6
    """
    if fdr is None:
        keep = p_value < threshold
    else:
        upper = np.triu_indices_from(p_value, k=1)
        keep = np.zeros(p_value.shape, dtype=bool)
        keep[upper] = false_discovery_rate(p_value[upper]) < fdr
        keep |= keep.T
    np.fill_diagonal(keep, False)
    if top_k is not None:
        strength = np.where(keep, np.abs(estimate), -np.inf)
        k = min(top_k, max(strength.shape[1] - 1, 1))
        top = np.argpartition(-strength, k - 1, axis=1)[:, :k]
        chosen = np.zeros_like(keep)
        np.put_along_axis(chosen, top, True, axis=1)
        keep &= chosen
        keep |= keep.T  # an edge chosen by either end stays, so the graph is symmetric
    if self_loops:
        np.fill_diagonal(keep, True)
    return sp.csr_matrix(keep.astype(np.float32))
