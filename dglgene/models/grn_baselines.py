"""Baseline scorers for (TF, target) pairs: a per-TF prior, a degree product, Pearson |r|,
a vote of co-expressed TFs and GENIE3.

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
* :func:`tf_similarity_vote`: neighbour voting among TFs. ``score(t, g) = sum_t' w(t, t')
  y(t', g) / sum_t' w(t, t')`` over the training TFs ``t' != t``, where ``y(t', g)`` is 1
  for a training positive and ``w(t, t') = max(r(t, t'), 0) + 0.001`` with ``r`` the
  Pearson correlation of the two TFs' expression: a TF is expected to share the targets
  of the TFs it is co-expressed with. It needs no training edge of ``t`` itself, so it
  scores TFs held out of training; with no co-expressed TF it falls back to the target's
  share of training TFs (its in-degree).
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
>>> x = np.array([[1., 2, 3, 4], [1, 2, 3, 5], [4, 3, 2, 1], [0, 1, 0, 1], [1, 0, 1, 0]])
>>> tf_similarity_vote(x, train, test).round(3).tolist()  # TFs 0 and 1 vote for each other
[0.0, 1.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

__all__ = ["degree_product", "genie3_scores", "pearson_scores", "per_tf_prior",
           "tf_similarity_vote"]

#: what every TF pair weighs in :func:`tf_similarity_vote` beside its positive correlation
SIMILARITY_FLOOR = 1e-3


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


def _standardised(x: np.ndarray) -> np.ndarray:
    """Rows z-scored over cells (0 for a constant row)."""
    sd = x.std(axis=1, keepdims=True)
    return np.divide(x - x.mean(axis=1, keepdims=True), sd, out=np.zeros_like(x),
                     where=sd > 0)


def pearson_scores(expression, pairs) -> np.ndarray:
    """``|r|`` between the TF's and the target's expression (genes x cells) for each pair."""
    x = _matrix(expression)
    tf, target = _pairs(pairs)
    _check_rows(np.append(tf, target), x.shape[0])
    genes = np.unique(np.append(tf, target))
    z = _standardised(x[genes])
    pos = {g: i for i, g in enumerate(genes.tolist())}
    a = np.array([pos[g] for g in tf.tolist()], dtype=np.int64)
    b = np.array([pos[g] for g in target.tolist()], dtype=np.int64)
    out = np.empty(len(a))
    for start in range(0, len(a), 65536):  # bounded memory for large pair sets
        sl = slice(start, start + 65536)
        out[sl] = np.einsum("ij,ij->i", z[a[sl]], z[b[sl]]) / x.shape[1]
    return np.clip(np.abs(out), 0.0, 1.0)


def tf_similarity_vote(expression, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Score ``test`` pairs by the training edges of co-expressed TFs (module docstring)."""
    _check_train(train)
    x = _matrix(expression)
    test_tf, test_target = _pairs(test)
    train_tf, train_target = _pairs(train)
    _check_rows(np.concatenate([test_tf, test_target, train_tf, train_target]), x.shape[0])
    positive = train["label"].to_numpy() == 1
    if not positive.any():
        return np.zeros(len(test_tf))
    voters, asking = np.unique(train_tf), np.unique(test_tf)
    tfs = np.union1d(voters, asking)  # sorted: rows found by searchsorted
    z = _standardised(x[tfs])
    r = z[np.searchsorted(tfs, asking)] @ z[np.searchsorted(tfs, voters)].T / x.shape[1]
    weight = np.maximum(r, 0.0) + SIMILARITY_FLOOR
    weight[asking[:, None] == voters[None, :]] = 0.0  # a TF does not vote for itself
    targets, target_col = np.unique(train_target[positive], return_inverse=True)
    known = np.zeros((len(voters), len(targets)))
    known[np.searchsorted(voters, train_tf[positive]), target_col] = 1.0
    total = weight.sum(axis=1, keepdims=True)  # 0 only where a TF's sole voter is itself
    votes = np.divide(weight @ known, total, out=np.zeros((len(asking), len(targets))),
                      where=total > 0)  # asking TFs x known targets
    col = np.searchsorted(targets, test_target)
    has_edge = (col < len(targets)) & (targets[np.minimum(col, len(targets) - 1)] == test_target)
    out = np.zeros(len(test_tf))
    out[has_edge] = votes[np.searchsorted(asking, test_tf[has_edge]), col[has_edge]]
    return out


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
