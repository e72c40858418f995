"""Baseline scorers for (TF, target) pairs: a per-TF prior, a degree product, Pearson |r|
and GENIE3.

Every scorer returns one float per row of ``pairs`` / ``test`` (columns ``tf``,
``target``: expression row indices), higher = more likely an edge.

* :func:`per_tf_prior` uses no expression: ``score(t, g) = rate(t) + eps * indeg(g)``,
  where ``rate(t)`` is TF ``t``'s positive rate in the training split (the training
  positive rate overall for a TF absent from training), ``indeg(g)`` the number of
  training positives with target ``g``, and ``eps`` small enough that the in-degree only
  breaks ties between equal rates (``eps * max indeg < half the smallest gap between
  rates``). On per-TF splits it is a strong baseline: TFs differ a lot in how many of
  their candidates are edges.
* :func:`degree_product` uses no expression either: ``score(t, g) = (outdeg(t) + 1)
  (indeg(g) + 1)``, the TF's and the target's number of training positives. It is the
  preferential-attachment heuristic that Stock et al. (bioRxiv 2025, "Hidden sampling
  biases inflate performance in gene regulatory network inference") show matches GNNs on
  the usual splits. The ``+ 1`` lets a TF or target without training edges (a held-out
  TF) still rank by the other's degree, instead of tying every such pair at 0.
* :func:`pearson_scores`: ``|r|`` of the two genes' expression over cells,
  ``r = mean_c(z_tf,c * z_target,c)`` with ``z`` the per-gene z-score (``r = 0`` for a
  constant gene).
* :func:`genie3_scores` (Huynh-Thu et al. 2010): for each target gene ``g``, a random
  forest regresses ``x_g / std(x_g)`` on the regulators' expression (``g`` itself
  excluded); the score of ``(t, g)`` is ``t``'s importance, the variance reduction of
  the splits on ``t`` summed per tree and averaged over trees (not normalised per target,
  as in GENIE3's reference code); ``max_features = sqrt`` (GENIE3's ``K``).

>>> import pandas as pd
>>> train = pd.DataFrame({"tf": [0, 0, 1, 1], "target": [2, 3, 2, 3], "label": [1, 1, 1, 0]})
>>> test = pd.DataFrame({"tf": [0, 1, 1], "target": [4, 2, 4]})
>>> per_tf_prior(train, test).round(3).tolist()  # TF 0: rate 1; TF 1: 0.5, target 2 has indeg 2
[1.0, 0.583, 0.5]
>>> degree_product(train, test).tolist()  # outdeg: TF 0 2, TF 1 1; indeg: 2 -> 2, 3 -> 1, 4 -> 0
[3.0, 6.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

__all__ = ["degree_product", "genie3_scores", "pearson_scores", "per_tf_prior"]


def _pairs(pairs) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(pairs, pd.DataFrame):
        if not {"tf", "target"} <= set(pairs.columns):
            raise ValueError("pairs need columns tf, target (expression row indices)")
        return (pairs["tf"].to_numpy(np.int64), pairs["target"].to_numpy(np.int64))
    arr = np.asarray(pairs, dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError("pairs must be a DataFrame (tf, target) or an (n, 2) array")
    return arr[:, 0], arr[:, 1]


def _matrix(expression) -> np.ndarray:
    x = expression.to_numpy() if isinstance(expression, pd.DataFrame) else expression
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ValueError("expression must be a finite genes x cells matrix")
    return x


def _check_rows(rows: np.ndarray, n_genes: int) -> None:
    if rows.size and (rows.min() < 0 or rows.max() >= n_genes):
        raise ValueError(f"pair indices outside 0..{n_genes - 1}: the pairs belong to "
                         "another expression matrix")


def _check_train(train: pd.DataFrame) -> None:
    if "label" not in train.columns:
        raise ValueError("train needs a label column")
    if len(train) == 0:
        raise ValueError("train is empty")


def _training_degree(train: pd.DataFrame, column: str) -> pd.Series:
    """Training positives per TF (``column="tf"``) or per target (``"target"``)."""
    return train.loc[train["label"] == 1, column].value_counts()


def per_tf_prior(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Score ``test`` pairs by their TF's training positive rate, ties by target in-degree."""
    _check_train(train)
    tf_rate = train.groupby("tf")["label"].mean()
    overall = float(train["label"].mean())
    indeg = _training_degree(train, "target")
    test_tf, test_target = _pairs(test)
    rate = pd.Series(test_tf).map(tf_rate).fillna(overall).to_numpy(np.float64)
    deg = pd.Series(test_target).map(indeg).fillna(0).to_numpy(np.float64)
    levels = np.unique(np.append(tf_rate.to_numpy(np.float64), overall))
    gap = float(np.diff(levels).min()) if len(levels) > 1 else 1.0
    eps = 0.5 * gap / (float(indeg.max()) + 1 if len(indeg) else 1.0)
    return rate + eps * deg


def degree_product(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Score ``test`` pairs by (TF out-degree + 1) x (target in-degree + 1) in training."""
    _check_train(train)
    out, into = (pd.Series(rows).map(_training_degree(train, column)).fillna(0)
                 .to_numpy(np.float64) for rows, column in zip(_pairs(test), ("tf", "target")))
    return (out + 1) * (into + 1)


def pearson_scores(expression, pairs) -> np.ndarray:
    """``|r|`` between the TF's and the target's expression (genes x cells) for each pair."""
    x = _matrix(expression)
    tf, target = _pairs(pairs)
    _check_rows(np.append(tf, target), x.shape[0])
    genes = np.unique(np.append(tf, target))
    sub = x[genes]
    sd = sub.std(axis=1, keepdims=True)
    z = np.divide(sub - sub.mean(axis=1, keepdims=True), sd, out=np.zeros_like(sub),
                  where=sd > 0)
    pos = {g: i for i, g in enumerate(genes.tolist())}
    a = np.array([pos[g] for g in tf.tolist()], dtype=np.int64)
    b = np.array([pos[g] for g in target.tolist()], dtype=np.int64)
    out = np.empty(len(a))
    for start in range(0, len(a), 65536):  # bounded memory for large pair sets
        sl = slice(start, start + 65536)
        out[sl] = np.einsum("ij,ij->i", z[a[sl]], z[b[sl]]) / x.shape[1]
    return np.clip(np.abs(out), 0.0, 1.0)


def genie3_scores(expression, tfs: Sequence[int] | Sequence[str], pairs, seed: int = 0,
                  n_trees: int = 100, method: str = "rf", n_jobs: int = 2,
                  forests: dict | None = None) -> np.ndarray:
    """GENIE3 importances for ``pairs`` (see the module docstring).

    ``tfs``: the candidate regulators, as row indices or (with a DataFrame expression)
    gene names; the TFs of ``pairs`` are added. Only targets that occur in ``pairs`` are
    fitted, one forest each (``method`` ``"rf"``: random forest as GENIE3's default,
    ``"et"``: extra trees, faster). ``forests``: a memo of the targets' importances,
    shared by calls on the same expression, so that a target is fitted once per seed
    however many splits score it (``bench-grn``).
    """
    x = _matrix(expression)
    tf, target = _pairs(pairs)
    _check_rows(np.append(tf, target), x.shape[0])
    tfs = list(tfs)
    if tfs and isinstance(tfs[0], str):
        if not isinstance(expression, pd.DataFrame):
            raise ValueError("tfs given as names need a DataFrame expression")
        index = {g: i for i, g in enumerate(expression.index)}
        unknown = [t for t in tfs if t not in index]
        if unknown:
            raise ValueError(f"{len(unknown)} tfs are not expression rows: {unknown[:5]}")
        tfs = [index[t] for t in tfs]
    regulators = np.union1d(np.asarray(tfs, dtype=np.int64), tf)
    _check_rows(regulators, x.shape[0])
    if method not in ("rf", "et"):
        raise ValueError(f"method must be 'rf' or 'et'; got {method!r}")
    forest = RandomForestRegressor if method == "rf" else ExtraTreesRegressor
    scores = np.zeros(len(tf))
    for g in np.unique(target).tolist():
        rows = np.flatnonzero(target == g)
        inputs = regulators[regulators != g]
        y = x[g]
        sd = y.std()
        if sd == 0 or len(inputs) == 0:  # nothing to explain: every regulator scores 0
            continue
        key = (g, seed, n_trees, method, inputs.tobytes())
        if forests is None or key not in forests:
            model = forest(n_estimators=n_trees, max_features="sqrt", random_state=seed,
                           n_jobs=n_jobs)
            model.fit(x[inputs].T, y / sd)
            importance = np.mean([t.tree_.compute_feature_importances(normalize=False)
                                  for t in model.estimators_], axis=0)
            if forests is not None:
                forests[key] = importance
        importance = importance if forests is None else forests[key]
        where = {r: i for i, r in enumerate(inputs.tolist())}
        scores[rows] = [importance[where[t]] if t in where else 0.0 for t in tf[rows].tolist()]
    return scores
