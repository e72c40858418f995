"""The inferred network in decoupler's ``source, target, weight`` form.

A trained scTransNet scores every candidate pair: each TF of TF.csv against each target of
Target.csv (a TF is not its own target). ``weight`` is the edge probability; with
``top_k`` each TF keeps its ``top_k`` best targets. Rows are sorted by TF name, then by
weight (highest first). The table is a network for decoupler's TF-activity methods
(``dc.run_ulm(mat, net=network)`` and the like) as it stands.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from dglgene.errors import require_at_least
from dglgene.models.saved_model import load
from dglgene.models.sctransnet import ScTransNet
from dglgene.train.fit_links import score_pairs

__all__ = ["NETWORK_COLUMNS", "to_decoupler"]

#: decoupler's network columns
NETWORK_COLUMNS = ["source", "target", "weight"]


def to_decoupler(model: ScTransNet | str | os.PathLike, top_k: int | None = None
                 ) -> pd.DataFrame:
    """Every candidate (TF, target) pair of a saved scTransNet, scored: columns
    :data:`NETWORK_COLUMNS`, each TF's rows by weight, highest first; ``top_k``: each
    TF's best ``top_k`` only.

    ``model``: a model read with :func:`dglgene.models.load`, or its directory (the
    ``OUT/model`` that ``dglgene grn`` wrote), which holds its genes, TFs, targets and
    the known network its GNN runs on.
    """
    require_at_least("top_k", top_k)
    if not isinstance(model, ScTransNet):
        model = load(model)
    if not isinstance(model, ScTransNet) or not hasattr(model, "genes"):
        raise ValueError("to_decoupler needs a saved scTransNet (dglgene.models.load of "
                         "the OUT/model that `dglgene grn` wrote)")
    index = {g: i for i, g in enumerate(model.genes)}
    tfs = np.array([index[t] for t in model.data["tfs"]], np.int64)
    targets = np.array([index[t] for t in model.data["targets"]], np.int64)
    tf, target = np.repeat(tfs, len(targets)), np.tile(targets, len(tfs))
    pairs = pd.DataFrame({"tf": tf, "target": target}).query("tf != target")
    genes = np.asarray(model.genes)
    network = pd.DataFrame({"source": genes[pairs["tf"].to_numpy()],
                            "target": genes[pairs["target"].to_numpy()],
                            "weight": score_pairs(model, model.known_grn, pairs)})
    network = network.sort_values(["source", "weight"], ascending=[True, False],
                                  kind="stable")
    if top_k is not None:
        network = network.groupby("source", sort=False).head(top_k)
    return network.reset_index(drop=True)
