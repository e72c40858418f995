"""Result tables: mean ± sd over seeds as Markdown."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The seeds of every benchmark table (mean ± sd over at least three).
SEEDS = (0, 1, 2)

__all__ = ["format_comparison"]


def format_comparison(stats: pd.DataFrame) -> str:
    """Markdown table of mean ± sd per method and metric."""
    columns = list(dict.fromkeys(stats.columns.get_level_values(0)))
    lines = ["| method | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for method, row in stats.iterrows():
        cells = [f"{row[c, 'mean']:.3f}" + ("" if np.isnan(row[c, "std"])
                                              else f" ± {row[c, 'std']:.3f}") for c in columns]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
