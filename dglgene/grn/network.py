"""The inferred network in decoupler's ``source, target, weight`` form.

A trained scTransNet scores every candidate pair: each TF of TF.csv against each target of
Target.csv (a TF is not its own target). ``weight`` is the edge probability; with
``top_k`` each TF keeps its ``top_k`` best targets. Rows are sorted by TF name, then by
weight (highest first). The table is a network for decoupler's TF-activity methods
(``dc.run_ulm(mat, net=network)`` and the like) as it stands.
"""

from __future__ import annotations

import os

import pandas as pd

from dglgene.errors import require_at_least
from dglgene.models.sctransnet import ScTransNet

__all__ = ["NETWORK_COLUMNS", "to_decoupler"]

#: decoupler's network columns
NETWORK_COLUMNS = ["source", "target", "weight"]


def to_decoupler(model: ScTransNet | str | os.PathLike, top_k: int | None = None
                 ) -> pd.DataFrame:
    """Every candidate (TF, target) pair of a trained scTransNet, scored: columns
    :data:`NETWORK_COLUMNS`, each TF's rows by weight, highest first; ``top_k``: each
    TF's best ``top_k`` only (:meth:`~dglgene.models.ScTransNet.network`).

    ``model``: a trained model, or the directory of a saved one (the ``OUT/model`` that
    ``dglgene grn`` wrote), which holds its genes, TFs, targets and the known network its
    GNN runs on.
    """
    require_at_least("top_k", top_k)
    if not isinstance(model, ScTransNet):
        model = ScTransNet.load(model)
    return model.network(top_k)
