r"""The training length for TFs never seen in training, chosen by TF-fold cross-validation.

A held-out-TF split validates on a few TFs disjoint from training and test (two or three
on the built-in benchmarks), and a validation AUROC over two TFs swings by 0.1-0.15
between seeds. TF folds use every TF with labels instead: the training and validation TFs
are pooled and cut into :math:`k` folds (seeded); one model per fold trains on the other
folds' TFs with early stopping on the fold's own, and the epoch chosen is

.. math::

    e^* = \arg\max_{e \le E} \frac{1}{k} \sum_{f=1}^{k} s_f(e),

where :math:`s_f(e)` is fold :math:`f`'s validation score after epoch :math:`e` (epoch 0
is the fitted base) and :math:`E` the last epoch every fold reached. The final model is
then refitted on all pooled TFs for :math:`e^*` epochs
(:func:`~dglgene.grn.methods.train_model` with ``GRNSettings.tf_folds``).

Example
-------
>>> import pandas as pd
>>> pairs = pd.DataFrame({"tf": [0, 0, 1, 1, 2, 2], "target": [3, 4, 3, 4, 3, 4],
...                       "label": [1, 0, 1, 0, 0, 1]})
>>> [sorted(f.tolist()) for f in tf_folds(pairs, k=3, seed=0)]
[[2], [0], [1]]
>>> curves = pd.DataFrame({"fold": [0, 0, 0, 1, 1], "epoch": [0, 1, 2, 0, 1],
...                        "val_score": [-0.5, -0.4, -0.3, -0.6, -0.5]})
>>> choose_epoch(curves)  # epoch 2 is past fold 1's last epoch
1
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from dglgene.errors import DglgeneInputError

__all__ = ["choose_epoch", "fold_curves", "tf_folds", "unseen_validation_tfs"]


def unseen_validation_tfs(train: pd.DataFrame, val: pd.DataFrame) -> bool:
    """True when validation holds TFs and none of them is a training TF (a held-out-TF
    split's validation, ``held_out_tf_split(val_by="tf")``)."""
    return len(val) > 0 and not set(val["tf"]) & set(train["tf"])


def tf_folds(pairs: pd.DataFrame, k: int, seed: int) -> list[np.ndarray]:
    """The TFs of ``pairs`` in ``k`` folds of near-equal size, drawn with ``seed``."""
    tfs = np.unique(pairs["tf"].to_numpy())
    if k < 2 or k > len(tfs):
        raise DglgeneInputError(f"tf_folds must be between 2 and the {len(tfs)} TFs with "
                                f"labelled pairs, got {k}")
    return np.array_split(np.random.default_rng(seed).permutation(tfs), k)


def fold_curves(fit: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
                pairs: pd.DataFrame, k: int, seed: int) -> pd.DataFrame:
    """Each fold's validation curve: ``fit(train, val)`` (a training history with
    ``epoch`` and ``val_score``) for every fold of :func:`tf_folds` held out in turn.

    Returns the histories stacked, with a ``fold`` column.
    """
    curves = []
    for fold, held_out in enumerate(tf_folds(pairs, k, seed)):
        inside = pairs["tf"].isin(held_out)
        history = fit(pairs[~inside].reset_index(drop=True), pairs[inside].reset_index(drop=True))
        curves.append(history.assign(fold=fold))
    return pd.concat(curves, ignore_index=True)


def choose_epoch(curves: pd.DataFrame) -> int:
    """The epoch of best mean validation score over folds, among the epochs every fold
    reached (the earliest of equals)."""
    last = int(curves.groupby("fold")["epoch"].max().min())
    mean = curves[curves["epoch"] <= last].groupby("epoch")["val_score"].mean()
    return int(mean.idxmax())
