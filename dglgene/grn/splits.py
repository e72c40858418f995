"""Train / validation / test splits of (TF, target) pairs for GRN link prediction.

Every split is a DataFrame with columns ``tf``, ``target`` (expression row indices) and
``label`` (1 = known edge, 0 = negative), sorted by (tf, target).

**Candidates.** For a TF ``t`` with at least one known target, the positives are its
known targets ``P(t)`` (self-loops excluded) and its *hard negatives* are every other
candidate target, ``N(t) = Targets \\ P(t) \\ {t}`` (Targets = Target.csv). TFs without a
known target take no part (as in GENELink). A positive whose target is not in Target.csv
is still a positive.

**What GENELink does** (zpliulab/GENELink ``Code/Train_Test_Split.py``; read, not copied):

* ``Hard_Negative_Specific_train_test_val`` (used for the cell-type-specific ground
  truth): per TF, the positives are shuffled and cut at ``int(n * r)`` and
  ``int(n * (r + 0.1))`` with ``r = 0.67`` (a TF with one positive goes to train or test
  with probability 1/2, one with two puts one in each); *all* hard negatives of the TF
  are used (no sampling), shuffled and cut at the same fractions. So the class ratio in
  each split is the TF's own non-edge ratio -- about 1:21 on mDC-specific.
* ``train_val_test_set`` (non-specific ChIP-seq and STRING): per TF, *one* random
  negative per positive in train and in validation; test negatives are random
  (TF, gene) pairs drawn until the test density matches a hard-coded per-dataset table.
  Its duplicate checks compare ``[tf, target]`` with training rows that had their label
  appended in place (a shallow-copy side effect), and never with the TF's known
  targets, so known edges -- training positives included -- can reappear as test
  negatives.

**What this module does.** :func:`transductive_split` follows the hard-negative scheme
with ``ratios`` (default 0.67 / 0.10 / 0.23): per TF, positives and hard negatives are
shuffled separately and each cut by :func:`split_counts`. Cuts are GENELink's floors,
``n_train = floor(n r_train)``, ``n_val = floor(n (r_train + r_val)) - n_train``,
``n_test = n - n_train - n_val``, except that a TF with ``n >= 3`` gets at least one
pair in each split (GENELink gives a 3-positive TF no validation positive). Since every
pair of a TF is put in exactly one part, no (tf, target) pair occurs twice, and a
negative is never a known edge, so no training positive reappears as a validation or
test negative (:func:`check_splits` verifies both). ``negatives="balanced"`` keeps
GENELink's one-negative-per-positive ratio of its other scheme in *every* split: the
TF's hard negatives are cut as above and each part is subsampled to its positive count.

:func:`held_out_tf_split` holds out whole TFs: the test TFs' pairs (all positives and
hard negatives) form the test split, and no test TF occurs as a TF in training or
validation (it may occur as a *target* there: that is an observed gene, not an answer).
:func:`degree_aware_split` cuts each TF's positives as :func:`transductive_split` does,
but draws every split's negatives so that each TF and each target has as many negatives
as positives there (:mod:`~dglgene.grn.degree_matched`, after Stock et al. 2025): a
degree heuristic then scores about 0.5 AUROC, and what a model gains is not degree.
:func:`make_splits` picks one of the three by name, or reads GENELink's split files.

>>> import pandas as pd
>>> from dglgene.data.grn_data import GRNData
>>> genes = [f"g{i}" for i in range(8)]
>>> expr = pd.DataFrame(1.0, index=genes, columns=["c1", "c2"])
>>> net = pd.DataFrame({"tf": ["g0"] * 4, "target": ["g1", "g2", "g3", "g4"]})
>>> grn = GRNData(expr, net, tfs=["g0"], targets=genes)
>>> parts = transductive_split(grn, seed=0)
>>> {k: (len(v), int(v.label.sum())) for k, v in parts.items()}
{'train': (3, 2), 'val': (2, 1), 'test': (2, 1)}
>>> check_splits(parts)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from dglgene.data.beeline import read_split, write_split
from dglgene.data.grn_data import GRNData
from dglgene.errors import DglgeneInputError
from dglgene.grn.degree_matched import degree_matched_negatives

__all__ = ["GENELINK_FILES", "SPLITS", "SPLIT_KINDS", "candidate_pairs", "check_splits",
           "degree_aware_split", "held_out_tf_split", "make_splits", "read_genelink_splits",
           "split_counts", "transductive_split", "write_genelink_splits"]

SPLITS = ("train", "val", "test")
#: the splits :func:`make_splits` makes
SPLIT_KINDS = ("transductive", "held-out-tf", "degree-aware")
#: GENELink's file names for the three splits
GENELINK_FILES = {"train": "Train_set.csv", "val": "Validation_set.csv", "test": "Test_set.csv"}
_EPS = 1e-9  # so that e.g. int(100 * 0.29) is 29, not 28


def _check_ratios(ratios) -> tuple[float, float, float]:
    ratios = tuple(float(r) for r in ratios)
    if len(ratios) != 3 or min(ratios) < 0 or abs(sum(ratios) - 1) > 1e-6 or ratios[0] == 0:
        raise ValueError(f"ratios must be 3 non-negative fractions (train, val, test) "
                         f"summing to 1 with train > 0; got {ratios}")
    return ratios  # type: ignore[return-value]


def split_counts(n: int, ratios: tuple[float, float, float],
                 rng: np.random.Generator) -> tuple[int, int, int]:
    """How many of ``n`` pairs of one TF go to (train, val, test).

    GENELink's floor cuts; ``n == 1``: train or test with probability 1/2; fewer pairs than
    splits with a non-zero ratio: one each, in the order train, test, val; otherwise every
    split with a non-zero ratio gets at least one (taken from the largest).

    >>> rng = np.random.default_rng(0)
    >>> [split_counts(n, (0.67, 0.1, 0.23), rng) for n in (2, 3, 10, 100)]
    [(1, 0, 1), (1, 1, 1), (6, 1, 3), (67, 10, 23)]
    """
    if n <= 0:
        return (0, 0, 0)
    active = [i for i in (0, 2, 1) if ratios[i] > 0]  # priority: train, test, val
    counts = [0, 0, 0]
    if n == 1 and ratios[0] > 0 and ratios[2] > 0:
        counts[0 if rng.random() < 0.5 else 2] = 1
    elif n < len(active):
        for i in active[:n]:
            counts[i] = 1
    else:
        a = int(n * ratios[0] + _EPS)
        b = int(n * (ratios[0] + ratios[1]) + _EPS)
        counts = [a, b - a, n - b]
        for i in active:
            if counts[i] == 0:
                counts[int(np.argmax(counts))] -= 1
                counts[i] = 1
    return counts[0], counts[1], counts[2]


def candidate_pairs(data: GRNData) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """TF row -> (positive target rows, hard-negative target rows), for TFs with an edge."""
    tf_rows, target_rows = data.edge_index()
    candidates = np.unique(data.indices(data.targets))
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for tf in np.unique(tf_rows):
        pos = np.unique(target_rows[tf_rows == tf])
        pos = pos[pos != tf]
        if len(pos) == 0:
            continue
        neg = np.setdiff1d(candidates, np.append(pos, tf))
        out[int(tf)] = (pos, neg)
    return out


def _frame(rows: list[tuple[int, np.ndarray, int]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({"tf": np.zeros(0, np.int64), "target": np.zeros(0, np.int64),
                             "label": np.zeros(0, np.int64)})
    df = pd.DataFrame({
        "tf": np.concatenate([np.full(len(t), tf, np.int64) for tf, t, _ in rows]),
        "target": np.concatenate([np.asarray(t, np.int64) for _, t, _ in rows]),
        "label": np.concatenate([np.full(len(t), lab, np.int64) for _, t, lab in rows]),
    })
    return df.sort_values(["tf", "target"], kind="stable").reset_index(drop=True)


def _cut(values: np.ndarray, counts: tuple[int, int, int]) -> list[np.ndarray]:
    return np.split(values, np.cumsum(counts)[:2])


def _split_tf(pos: np.ndarray, neg: np.ndarray, ratios, negatives: str,
              rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """One TF's positives and negatives, each shuffled and cut separately."""
    pos = rng.permutation(pos)
    neg = rng.permutation(neg)
    pos_parts = _cut(pos, split_counts(len(pos), ratios, rng))
    neg_parts = _cut(neg, split_counts(len(neg), ratios, rng))
    if negatives == "balanced":  # each part is already shuffled: a prefix is a random subset
        neg_parts = [n[: len(p)] for p, n in zip(pos_parts, neg_parts)]
    return list(zip(pos_parts, neg_parts))


def _check_negatives(negatives: str) -> None:
    if negatives not in ("hard", "balanced"):
        raise ValueError(f"negatives must be 'hard' or 'balanced'; got {negatives!r}")


def transductive_split(data: GRNData, seed: int = 0,
                       ratios: tuple[float, float, float] = (0.67, 0.10, 0.23),
                       negatives: str = "hard") -> dict[str, pd.DataFrame]:
    """GENELink-style per-TF split, without its leakage (see the module docstring).

    Returns ``{"train", "val", "test"}`` -> DataFrame(tf, target, label). Deterministic
    given ``seed``.
    """
    ratios = _check_ratios(ratios)
    _check_negatives(negatives)
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {s: [] for s in SPLITS}
    for tf, (pos, neg) in sorted(candidate_pairs(data).items()):
        for name, (p, n) in zip(SPLITS, _split_tf(pos, neg, ratios, negatives, rng)):
            rows[name] += [(tf, p, 1), (tf, n, 0)]
    return {name: _frame(rows[name]) for name in SPLITS}


def degree_aware_split(data: GRNData, seed: int = 0,
                       ratios: tuple[float, float, float] = (0.67, 0.10, 0.23)
                       ) -> dict[str, pd.DataFrame]:
    """Per-TF cut of the positives; degree-matched negatives in every split.

    Each TF's positives are shuffled and cut by :func:`split_counts` as in
    :func:`transductive_split`. Each split's negatives re-pair that split's TF and target
    occurrences (:func:`~dglgene.grn.degree_matched.degree_matched_negatives`; the test
    split first), never as a known edge or a pair of another split, so each TF is as
    often a negative as a positive in every split, and each target too where the network
    allows it (a target linked to most TFs has too few non-edges; it then falls back to
    targets drawn in proportion to their in-degree). Deterministic given ``seed``.
    """
    ratios = _check_ratios(ratios)
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {s: [] for s in SPLITS}
    for tf, (pos, _) in sorted(candidate_pairs(data).items()):
        parts = _cut(rng.permutation(pos), split_counts(len(pos), ratios, rng))
        for name, p in zip(SPLITS, parts):
            rows[name].append((tf, p, 1))
    positives = {name: _frame(rows[name]) for name in SPLITS}
    tf_rows, target_rows = data.edge_index()
    used = set((tf_rows * data.n_genes + target_rows).tolist())  # known edges, then each split
    for part in positives.values():
        used |= set((part["tf"] * data.n_genes + part["target"]).tolist())
    frames = {}
    for name in SPLITS[::-1]:  # the test split first: it gets the exact pairings
        neg_tf, neg_target = degree_matched_negatives(
            positives[name]["tf"].to_numpy(), positives[name]["target"].to_numpy(),
            data.n_genes, used, rng, fallback_targets=target_rows)
        used |= set((neg_tf * data.n_genes + neg_target).tolist())
        negatives = pd.DataFrame({"tf": neg_tf, "target": neg_target, "label": 0})
        frames[name] = pd.concat([positives[name], negatives]).sort_values(
            ["tf", "target"], kind="stable").reset_index(drop=True)
    return {name: frames[name] for name in SPLITS}


def held_out_tf_split(data: GRNData, seed: int = 0, n_test_tfs: int | float = 5,
                      val_fraction: float = 0.1, val_by: str = "tf",
                      negatives: str = "hard") -> dict[str, pd.DataFrame]:
    """Hold out whole TFs for testing: they never occur as a TF in train or validation.

    ``n_test_tfs``: a count (int) or a fraction (float in (0, 1)) of the TFs with a known
    target, drawn uniformly with ``seed``. The test split holds all their positives and
    hard negatives. Validation: ``val_by="tf"`` (default) holds out a further
    ``max(1, round(val_fraction * rest))`` TFs in the same way, so model selection sees
    the test condition (unseen TFs); ``val_by="pair"`` instead cuts each training TF's
    positives and negatives ``(1 - val_fraction, val_fraction)`` as in
    :func:`transductive_split`. ``negatives="balanced"`` subsamples each TF's negatives in
    each split to its positive count.
    """
    _check_negatives(negatives)
    if val_by not in ("tf", "pair"):
        raise ValueError(f"val_by must be 'tf' or 'pair'; got {val_by!r}")
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1); got {val_fraction}")
    pairs = candidate_pairs(data)
    tfs = np.array(sorted(pairs), dtype=np.int64)
    if isinstance(n_test_tfs, float) and not float(n_test_tfs).is_integer():
        if not 0 < n_test_tfs < 1:
            raise ValueError(f"n_test_tfs as a fraction must be in (0, 1); got {n_test_tfs}")
        k = max(1, round(n_test_tfs * len(tfs)))
    else:
        k = int(n_test_tfs)
    n_val = 0 if val_by == "pair" or val_fraction == 0 else max(
        1, round(val_fraction * (len(tfs) - k)))
    if k < 1 or k + n_val >= len(tfs):
        raise DglgeneInputError(f"{data.name}: {len(tfs)} TFs have known targets; cannot hold out "
                                f"{k} test TFs and {n_val} validation TFs and keep one for "
                                "training")
    rng = np.random.default_rng(seed)
    test_tfs = set(rng.choice(tfs, size=k, replace=False).tolist())
    rest = np.array([t for t in tfs if t not in test_tfs], dtype=np.int64)
    val_tfs = set(rng.choice(rest, size=n_val, replace=False).tolist()) if n_val else set()
    whole = (1.0, 0.0, 0.0)  # everything of the TF goes to the one split it belongs to
    rows: dict[str, list] = {s: [] for s in SPLITS}
    for tf in tfs.tolist():
        pos, neg = pairs[tf]
        if tf in test_tfs or tf in val_tfs:
            (p, n), = _split_tf(pos, neg, whole, negatives, rng)[:1]
            rows["test" if tf in test_tfs else "val"] += [(tf, p, 1), (tf, n, 0)]
        elif val_by == "pair" and val_fraction > 0:
            parts = _split_tf(pos, neg, (1 - val_fraction, val_fraction, 0.0), negatives, rng)
            for name, (p, n) in zip(("train", "val"), parts):
                rows[name] += [(tf, p, 1), (tf, n, 0)]
        else:
            (p, n), = _split_tf(pos, neg, whole, negatives, rng)[:1]
            rows["train"] += [(tf, p, 1), (tf, n, 0)]
    return {name: _frame(rows[name]) for name in SPLITS}


def check_splits(splits: Mapping[str, pd.DataFrame]) -> None:
    """Raise ValueError if a (tf, target) pair occurs twice (within or across splits)."""
    seen: dict[tuple[int, int], str] = {}
    for name, df in splits.items():
        for tf, target in zip(df["tf"].to_numpy(), df["target"].to_numpy()):
            key = (int(tf), int(target))
            if key in seen:
                raise DglgeneInputError(f"pair (tf={key[0]}, target={key[1]}) occurs in both "
                                        f"{seen[key]} and {name}; the splits leak: keep each "
                                        "pair in one split")
            seen[key] = name


def write_genelink_splits(splits: Mapping[str, pd.DataFrame],
                          directory: str | os.PathLike) -> Path:
    """Write ``train/val/test`` as GENELink's Train_set.csv, Validation_set.csv, Test_set.csv."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, df in splits.items():
        write_split(df, directory / GENELINK_FILES[name])
    return directory


def read_genelink_splits(directory: str | os.PathLike, data: GRNData) -> dict[str, pd.DataFrame]:
    """Read GENELink's three split files of ``data`` back; refuse leaking or unlabelled ones.

    Train and validation pairs need labels (Test_set.csv may lack them); indices are
    checked against ``data``'s expression rows (:func:`~dglgene.data.beeline.read_split`)
    and the splits with :func:`check_splits`.
    """
    directory = Path(directory)
    parts = {}
    for name, file in GENELINK_FILES.items():
        if not (directory / file).is_file():
            raise DglgeneInputError(f"split directory {str(directory)!r} lacks {file}; it needs "
                                    f"{', '.join(GENELINK_FILES.values())}")
        parts[name] = read_split(directory / file, data)
    for name in ("train", "val"):
        if "label" not in parts[name].columns:
            raise DglgeneInputError(f"{GENELINK_FILES[name]} has no Label column; training and "
                                    "validation pairs need labels")
    if len(parts["test"]) == 0:
        raise DglgeneInputError(f"{GENELINK_FILES['test']} has no pairs; give the pairs to score")
    fixes = {"train": "training needs both: add pairs of the missing class",
             "test": "AUROC and AUPRC need both: add pairs of the missing class, or drop the "
                     "Label column to get scores only"}
    for name, fix in fixes.items():
        labels = parts[name].get("label")
        if labels is not None and labels.nunique() < 2:
            raise DglgeneInputError(f"{GENELINK_FILES[name]} has {int(labels.sum())} positive "
                                    f"and {int((labels == 0).sum())} negative pairs; {fix}")
    check_splits(parts)
    return parts


def make_splits(data: GRNData, split: str = "transductive", seed: int = 0,
                split_dir: str | os.PathLike | None = None) -> dict[str, pd.DataFrame]:
    """Read GENELink split files from ``split_dir`` or make a leak-free split."""
    if split_dir is not None:
        return read_genelink_splits(split_dir, data)
    if split == "transductive":
        return transductive_split(data, seed=seed)
    if split == "held-out-tf":
        return held_out_tf_split(data, seed=seed)
    if split == "degree-aware":
        return degree_aware_split(data, seed=seed)
    raise DglgeneInputError(f"unknown split {split!r}; choose one of {', '.join(SPLIT_KINDS)}")
