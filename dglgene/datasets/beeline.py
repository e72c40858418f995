"""The vendored BEELINE mDC benchmark (TFs + 500 genes, GENELink layout), offline.

Real scRNA-seq of mouse dendritic cells (Shalek et al. 2014, GSE48968) as processed by
BEELINE (Pratapa et al. 2020) and laid out by GENELink (Chen & Liu 2022); see
``data/beeline_mDC_TFs500/README.md`` for provenance. 821 genes x 383 cells; each
ground truth has its own folder, and each folder orders the expression rows differently
(row indices are folder-specific).

=================  ==============================  =====  ============
``ground_truth``   network                         edges  TFs (edges)
=================  ==============================  =====  ============
``specific``       cell-type-specific ChIP-seq       756  20
``non-specific``   non-specific ChIP-seq           3,067  250
``string``         STRING functional network       4,815  264
=================  ==============================  =====  ============

>>> grn = load_beeline_mdc("specific")
>>> grn.expression.shape, len(grn.network), grn.network["tf"].nunique(), len(grn.tfs)
((821, 383), 756, 20, 323)
"""

from __future__ import annotations

import functools
from pathlib import Path

from dglgene.data.beeline import read_beeline
from dglgene.data.grn_data import GRNData

__all__ = ["BEELINE_MDC_DIR", "GROUND_TRUTHS", "load_beeline_mdc"]

BEELINE_MDC_DIR = Path(__file__).resolve().parent / "data" / "beeline_mDC_TFs500"
#: accepted spellings -> folder
GROUND_TRUTHS = {"specific": "specific", "non-specific": "non-specific",
                 "nonspecific": "non-specific", "string": "string"}


@functools.cache
def _load(folder: str) -> GRNData:
    return read_beeline(BEELINE_MDC_DIR / folder, name=f"mDC-{folder}")


def load_beeline_mdc(ground_truth: str = "specific") -> GRNData:
    """The BEELINE mDC set with one ground truth; parsed once, an independent copy each call."""
    key = ground_truth.lower().replace("_", "-")
    if key not in GROUND_TRUTHS:
        raise ValueError(f"unknown ground_truth {ground_truth!r}; choose one of "
                         "'specific', 'non-specific', 'string'")
    return _load(GROUND_TRUTHS[key]).copy()
