"""MuSe-GNN (Liu, Wang, Ying & Zhao, NeurIPS 2023): unified gene embeddings across datasets.

A dataset-specific graph-transformer layer feeds a block shared by the datasets of one
modality and tissue; a dataset-specific MLP decoder reconstructs each co-expression graph
from :math:`Z Z^\\top`. Training (Algorithm 1) draws, for graph i, one partner j and
minimises

.. math::
    \\mathcal L = \\mathcal L_{rec}(i) + 0.5\\,\\mathcal L_{sim}(i, j)
        + 0.02\\,\\mathcal L_{nce}(i, j).

The reference weighs the similarity term 1 and InfoNCE 0.01, with raw Jaccard weights.
Here the Jaccard weights are taken relative to their collection-wide mean
(:class:`~dglgene.losses.WeightedCosineSimilarity`): it is 0.05 on the built-in real sets,
which share few genes, and 0.34 on the simulated ones, so one raw weight is either too
weak on the first (at 1 the term barely moves the embeddings) or too strong on the second
(at 10 it costs 0.06 edge AUC). 0.5 relative equals 10 raw on the real sets; InfoNCE at
0.02 keeps the simulated graphs' edges. The README's factor tables measure each choice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import anndata as ad
from pydantic import Field

from dglgene.data import GraphCollection
from dglgene.losses import Loss
from dglgene.models.graph_model import Datasets, GraphModel
from dglgene.settings import FiniteFloat, PositiveInt, settings

MUSE_LOSSES = {"recon": 1.0, "sim": 0.5, "nce": 0.02}


@settings
class MuSeGNNConfig:
    """The model of a run (``[model]`` of its TOML): :class:`MuSeGNN`'s arguments.

    Parameters
    ----------
    dim
        Embedding dimension (the paper's 32).
    losses
        Registered loss name -> weight (None: :data:`MUSE_LOSSES`).
    decoder
        Registered decoder name.
    group_by
        Which datasets share a block: "auto" (modality x tissue where a tissue has two
        or more datasets, else modality), or dataset fields such as ``("modality",)``.
    heads, shared_heads
        Attention heads of the dataset-specific layer and of the shared block.
    """

    dim: PositiveInt = 32
    losses: dict[str, FiniteFloat] | None = None
    decoder: str = "mlp"
    group_by: str | Annotated[tuple[str, ...], Field(strict=False)] = "auto"
    heads: PositiveInt = 4
    shared_heads: PositiveInt = 2


class MuSeGNN(GraphModel):
    """MuSe-GNN with the paper's parts; any of them can be replaced.

    The arguments after ``collection`` are :class:`MuSeGNNConfig`'s (which says what they
    are), ``seed`` (the initial weights), and ``groups``, ``reference`` and ``config`` (what
    a saved model holds, see :class:`~dglgene.models.GraphModel`). ``options`` keeps the
    keyword arguments it was built with (a saved model is rebuilt from them, see
    :mod:`dglgene.models.saved_model`).

    >>> from dglgene.data import build_collection
    >>> from dglgene.datasets import simulate_collection
    >>> coll = build_collection(simulate_collection(n_datasets=2, seed=0).adatas, n_hvg=50)
    >>> model = MuSeGNN(coll, dim=8)
    >>> model.loss.names
    ['recon', 'sim', 'nce']
    """

    def __init__(self, collection: Datasets, dim: int = MuSeGNNConfig.dim,
                 losses: Mapping[str | Loss, float] | None = MuSeGNNConfig.losses,
                 decoder: str = MuSeGNNConfig.decoder,
                 group_by: str | tuple[str, ...] = MuSeGNNConfig.group_by,
                 heads: int = MuSeGNNConfig.heads,
                 shared_heads: int = MuSeGNNConfig.shared_heads, seed: int = 0,
                 groups: Mapping[str, str] | None = None,
                 reference: GraphCollection | None = None,
                 config: Mapping[str, Mapping] | None = None) -> None:
        super().__init__(collection, encoder="muse", decoder=decoder,
                         losses=losses if losses is not None else MUSE_LOSSES, dim=dim,
                         group_by=group_by,
                         encoder_options={"heads": heads, "shared_heads": shared_heads},
                         seed=seed, groups=groups, reference=reference, config=config)
        self.options = {"dim": dim, "losses": dict(MUSE_LOSSES if losses is None else losses),
                        "decoder": decoder, "group_by": group_by, "heads": heads,
                        "shared_heads": shared_heads, "seed": seed}

    def save(self, path: str | os.PathLike, collection: GraphCollection,
             config: Mapping[str, Mapping] | None = None,
             embedding: ad.AnnData | None = None) -> Path:
        """Write the trained model to directory ``path`` with what new datasets are aligned
        to (:func:`~dglgene.models.save_muse_gnn`: ``collection``, the graphs it was
        trained on; ``config``, the run's tables; ``embedding``, its embedding of them if
        at hand); :meth:`load` reads it back."""
        from dglgene.models.saved_model import save_muse_gnn  # it imports this module

        return save_muse_gnn(self, path, collection, config, embedding)

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> MuSeGNN:
        """The MuSe-GNN saved in directory ``path``, in eval mode on ``device``."""
        from dglgene.models.saved_model import load_as

        return load_as(cls, path, device)
