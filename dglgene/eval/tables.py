"""Result tables: mean ± sd over seeds as Markdown."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The seeds of every benchmark table (mean ± sd over at least three).
SEEDS = (0, 1, 2)

__all__ = ["format_comparison", "format_function_summary"]


def format_comparison(stats: pd.DataFrame) -> str:
    """Markdown table of mean ± sd per method and metric."""
    columns = list(dict.fromkeys(stats.columns.get_level_values(0)))
    lines = ["| method | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for method, row in stats.iterrows():
        cells = [f"{row[c, 'mean']:.3f}" + ("" if np.isnan(row[c, "std"])
                                              else f" ± {row[c, 'std']:.3f}") for c in columns]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_function_summary(summary: pd.DataFrame, views: tuple[str, ...] | None = None) -> str:
    """Markdown table of :func:`~dglgene.eval.summarize_function`'s summary: per method and
    view, the terms, mean AUROC [95 % CI] (± sd over seeds where there are several),
    median AUROC, AUPRC over prevalence, and the reference's paired one-sided Wilcoxon p."""
    rows = summary if views is None else summary[summary["view"].isin(views)]
    lines = ["| method | view | terms | mean AUROC [95% CI] | median | AUPRC / prevalence | "
             "Δ reference | p (reference greater) |", "|---" * 8 + "|"]
    for row in rows.sort_values(["view", "mean_auroc"], ascending=[True, False]).itertuples():
        sd = getattr(row, "sd_over_seeds", np.nan)
        mean = f"{row.mean_auroc:.3f}" + ("" if np.isnan(sd) else f" ± {sd:.3f}")
        delta = getattr(row, "delta_reference", np.nan)
        p = getattr(row, "p_reference_greater", np.nan)
        lines.append(f"| {row.method} | {row.view} | {row.n_terms} | {mean} "
                     f"[{row.ci_low:.3f}, {row.ci_high:.3f}] | {row.median_auroc:.3f} | "
                     f"{row.auprc_ratio:.2f} | "
                     + ("" if np.isnan(delta) else f"{delta:+.3f}") + " | "
                     + ("" if np.isnan(p) else f"{p:.1e}") + " |")
    return "\n".join(lines)
