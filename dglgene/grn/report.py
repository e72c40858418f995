"""GRN benchmark tables: mean and sd over seeds, and their markdown form."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dglgene.eval.tables import format_comparison

__all__ = ["format_grn_table", "grn_table"]


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
