r"""Gene-label prediction: cross-validated kNN classification of a gene -> class table.

Every labelled, embedded gene :math:`g` gets its out-of-fold kNN score :math:`s_c(g)` for
every class :math:`c`, the fraction of its ``k`` nearest training genes in class
:math:`c` (:mod:`dglgene.eval.gene_knn`; only labelled genes are neighbours). Over the
:math:`n` genes and :math:`C` classes, the prediction :math:`\arg\max_c s_c(g)` is scored
by its accuracy and the scores by their one-vs-rest AUROC averaged over classes (for two
classes this equals the binary AUROC):

.. math::
    \mathrm{acc} = \frac{1}{n} \sum_g \big[ \arg\max_c s_c(g) = y_g \big], \qquad
    \mathrm{AUROC} = \frac{1}{C} \sum_c \mathrm{AUROC}\big( s_c, [y = c] \big)

Floors on the same genes and folds: the training folds' majority class and a degree-only
logistic regression. :func:`predict_gene_labels` returns a :class:`LabelPrediction`,
which ``dglgene predict-labels`` saves.

>>> import numpy as np, pandas as pd
>>> angle = np.radians([0, 2, 4, 6, 90, 92, 94, 96])  # two tight groups on a circle
>>> unified = pd.DataFrame({"x": np.cos(angle), "y": np.sin(angle)},
...                        index=[f"g{i}" for i in range(8)])
>>> labels = pd.Series(list("aaaabbbb"), index=unified.index)
>>> result = predict_gene_labels(unified, labels, k=1, n_folds=2)
>>> result.metrics["knn"], result.metrics["majority"]["accuracy"]
({'accuracy': 1.0, 'auroc': 1.0}, 0.5)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from dglgene.atomic import atomic_path
from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError
from dglgene.eval.gene_knn import (
    K_NEIGHBOURS,
    _aligned_degree,
    _as_unified,
    _auroc,
    _check_knn,
    _folds,
    _mid_ranks,
    _Neighbours,
    unified_embedding,
)

__all__ = ["LabelPrediction", "predict_gene_labels"]


@dataclass
class LabelPrediction:
    """What :func:`predict_gene_labels` found.

    ``metrics``: accuracy and AUROC of ``knn``, ``majority`` and (with a degree)
    ``degree``, plus the counts (genes, classes, labelled genes not embedded, rows
    without a gene or label, dropped classes) and the settings. ``per_class``: one row per
    class (its genes, the kNN recall and the one-vs-rest AUROC of each model).
    ``predictions``: one row per gene (label, fold, kNN prediction).
    """

    metrics: dict[str, Any]
    per_class: pd.DataFrame
    predictions: pd.DataFrame

    def save(self, out: str | os.PathLike) -> Path:
        """Write ``out/label_prediction.csv`` (per class) and ``out/metrics.json``; the
        directory appears only once both are written."""
        with atomic_path(out, directory=True) as tmp:
            self.per_class.to_csv(tmp / "label_prediction.csv", index=False)
            (tmp / "metrics.json").write_text(json.dumps(self.metrics, indent=2))
        return Path(out)


def _read_labels(labels: pd.Series | str | os.PathLike) -> pd.Series:
    if isinstance(labels, pd.Series):
        return labels
    path = Path(labels)
    if not path.is_file():
        raise DglgeneFileNotFoundError(f"{path}: no such label file")
    try:
        table = pd.read_csv(path, dtype=str)
    except (ValueError, UnicodeDecodeError) as error:  # pandas' parser errors are ValueErrors
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "empty"
        raise DglgeneInputError(f"{path}: not a readable CSV ({reason}); give a CSV with a header "
                                "row 'gene,label'") from None
    if not {"gene", "label"} <= set(table.columns):
        raise DglgeneInputError(f"{path}: has columns {list(table.columns)[:5]}, not 'gene' and "
                                "'label'; give a CSV with a header row 'gene,label'")
    return pd.Series(table["label"].to_numpy(), index=table["gene"].to_numpy())


def _clean_labels(labels: pd.Series) -> tuple[pd.Series, int]:
    """Labels as strings, one per gene; also the count of rows without a gene or label."""
    incomplete = labels.isna().to_numpy() | labels.index.isna()
    labels = labels[~incomplete]
    if labels.empty:
        raise DglgeneInputError("no row has both a gene and a label; give one 'gene,label' row per "
                                "labelled gene")
    labels = labels.astype(str).set_axis(labels.index.astype(str))
    per_gene = labels.groupby(level=0).nunique()
    if (per_gene > 1).any():
        gene = per_gene.index[per_gene > 1][0]
        raise DglgeneInputError(f"gene {gene!r} has {per_gene[gene]} different labels; give each "
                                "gene one label")
    return labels.groupby(level=0).first(), int(incomplete.sum())


def _macro_auroc(codes: np.ndarray, scores: np.ndarray) -> tuple[float, list[float]]:
    per_class = [_auroc(codes == c, _mid_ranks(scores[:, c])) for c in range(scores.shape[1])]
    return float(np.mean(per_class)), per_class


def _majority_scores(codes: np.ndarray, fold: np.ndarray, n_classes: int) -> np.ndarray:
    """Each gene's score: its training folds' class frequencies."""
    scores = np.empty((len(codes), n_classes))
    for f in np.unique(fold):
        train = codes[fold != f]
        scores[fold == f] = np.bincount(train, minlength=n_classes) / len(train)
    return scores


def _degree_scores(degree: np.ndarray, codes: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Class probabilities of a logistic regression on the standardised log-degree, one
    model per fold: the degree floor, with the direction learned on the training folds."""
    x = np.log1p(np.maximum(degree, 0.0))[:, None]
    scores = np.empty((len(codes), int(codes.max()) + 1))
    for f in np.unique(fold):
        train, test = fold != f, fold == f
        centre, spread = x[train].mean(), x[train].std() or 1.0
        model = LogisticRegression().fit((x[train] - centre) / spread, codes[train])
        scores[test] = model.predict_proba((x[test] - centre) / spread)
    return scores


def predict_gene_labels(emb: ad.AnnData | pd.DataFrame, labels: pd.Series | str | os.PathLike,
                        *, k: int = K_NEIGHBOURS, n_folds: int = 5, seed: int = 0,
                        degree: pd.Series | None = None) -> LabelPrediction:
    """Cross-validated kNN classification of genes into the classes of ``labels``.

    ``emb`` is an embedding AnnData (its unified embedding is used) or a unified
    DataFrame; ``labels`` a Series gene -> class or a ``gene,label`` CSV (classes are
    compared as strings). Labelled genes missing from the embedding and classes with fewer
    than ``n_folds`` genes are dropped, and counted in ``metrics``. Only labelled genes
    are neighbours. Floors on the same folds: the majority class of the training folds
    (its AUROC, from the training-fold class frequencies, is 0.5 up to the folds'
    rounding), and with ``degree`` a degree-only logistic regression.
    """
    unified = _as_unified(unified_embedding(emb) if isinstance(emb, ad.AnnData) else emb)
    labels, incomplete = _clean_labels(_read_labels(labels))
    embedded = labels.index.isin(unified.index)
    if not embedded.any():
        raise DglgeneInputError(f"none of the {len(labels)} labelled genes is in the embedding "
                                f"(e.g. {labels.index[0]!r} vs {unified.index[0]!r}); use the "
                                "embedding's gene names (obs['gene'])")
    labels = labels[embedded]
    sizes = labels.value_counts()
    dropped = sizes[sizes < n_folds]
    labels = labels[~labels.isin(dropped.index)]
    if labels.nunique() < 2:
        raise DglgeneInputError(f"fewer than 2 classes have {n_folds} or more embedded genes "
                                f"(counts: {sizes.to_dict()}); give at least two classes of "
                                f"{n_folds}+ genes or lower the number of folds")
    classes, codes = np.unique(labels.to_numpy(), return_inverse=True)
    genes = labels.index
    _check_knn(len(genes), k, n_folds)
    fold = _folds(codes, n_folds, seed)
    neighbours = _Neighbours(unified.loc[genes].to_numpy(dtype=np.float64), k, n_folds)
    members = codes[None, :] == np.arange(len(classes))[:, None]
    knn = neighbours.votes(fold, members, k).T / k
    models = {"knn": knn, "majority": _majority_scores(codes, fold, len(classes))}
    if degree is not None:
        models["degree"] = _degree_scores(_aligned_degree(degree, genes), codes, fold)
    metrics: dict[str, Any] = {
        "n_genes": len(genes), "n_classes": len(classes),
        "n_not_embedded": int((~embedded).sum()), "n_incomplete_rows": incomplete,
        "dropped_classes": {str(c): int(n) for c, n in dropped.items()},
        "k": k, "n_folds": n_folds, "seed": seed,
    }
    predicted = classes[knn.argmax(axis=1)]  # ties go to the first class, as in sklearn
    per_class = pd.DataFrame({"class": classes, "n_genes": np.bincount(codes),
                              "recall": [np.mean(predicted[codes == c] == classes[c])
                                         for c in range(len(classes))]})
    for name, scores in models.items():
        macro, by_class = _macro_auroc(codes, scores)
        accuracy = float(np.mean(scores.argmax(axis=1) == codes))
        metrics[name] = {"accuracy": accuracy, "auroc": macro}
        per_class[f"{name}_auroc"] = by_class
    predictions = pd.DataFrame({"gene": genes, "label": labels.to_numpy(), "fold": fold,
                                "predicted": predicted})
    return LabelPrediction(metrics, per_class, predictions)
