"""GRN benchmark tables: mean and sd over seeds, their markdown form, and methods compared
TF by TF."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

from dglgene.eval.grn_metrics import auroc
from dglgene.eval.tables import format_comparison

__all__ = ["format_grn_table", "grn_table", "paired_tf_comparison", "per_tf_auroc"]


def grn_table(per_seed: pd.DataFrame, metrics: Sequence[str] = ("auroc", "auprc", "epr")
              ) -> pd.DataFrame:
    """Mean and sd over seeds per (dataset, split, method), columns (metric, mean/std)."""
    keys = ["dataset", "split", "method"]
    return per_seed.groupby(keys, sort=False)[list(metrics)].agg(["mean", "std"])


def format_grn_table(per_seed: pd.DataFrame, metrics: Sequence[str] = ("auroc", "auprc", "epr")
                     ) -> str:
    """Markdown table, one row per (dataset, split, method): mean ± sd over seeds."""
    stats = grn_table(per_seed, metrics)
    stats.index = [" | ".join(map(str, key)) for key in stats.index]
    header = format_comparison(stats).splitlines()
    header[0] = header[0].replace("| method |", "| dataset | split | method |", 1)
    header[1] = "|---|---" + header[1]
    return "\n".join(header)


def per_tf_auroc(test: pd.DataFrame, scores: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Each method's AUROC over each TF's test pairs, for the TFs with both classes.

    ``test``: pairs with ``tf`` and ``label``; ``scores``: method -> a score per pair.
    Columns: tf, method, auroc, positives, pairs.
    """
    rows = []
    for tf, rows_of_tf in test.groupby("tf", sort=True).indices.items():
        labels = test["label"].to_numpy()[rows_of_tf]
        if labels.min() == labels.max():
            continue
        for method, values in scores.items():
            rows.append({"tf": tf, "method": method,
                         "auroc": auroc(labels, np.asarray(values)[rows_of_tf]),
                         "positives": int(labels.sum()), "pairs": len(labels)})
    return pd.DataFrame(rows, columns=["tf", "method", "auroc", "positives", "pairs"])


def paired_tf_comparison(per_tf: pd.DataFrame, method: str, reference: str) -> pd.DataFrame:
    """``method`` against ``reference`` TF by TF, per (dataset, split).

    The pairs are (seed, TF): both methods scored on the same test pairs of the same TF.
    Columns: dataset, split, n (pairs), delta (mean of method minus reference AUROC),
    wins (share of pairs where method is higher), p (two-sided Wilcoxon signed-rank;
    1 when every difference is 0).
    """
    keys = ["dataset", "split", "seed", "tf"]
    wide = per_tf.pivot_table(index=keys, columns="method", values="auroc").dropna(
        subset=[method, reference])
    rows = []
    for (dataset, split), group in wide.groupby(level=["dataset", "split"], sort=False):
        # rounded so that float noise neither breaks ties nor hides a zero difference
        diff = np.round((group[method] - group[reference]).to_numpy(), 9)
        rows.append({"dataset": dataset, "split": split, "n": len(diff),
                     "delta": diff.mean(), "wins": float((diff > 0).mean()),
                     "p": 1.0 if not diff.any() else float(wilcoxon(diff).pvalue)})
    return pd.DataFrame(rows)
