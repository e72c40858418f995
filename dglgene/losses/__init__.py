"""Losses: a common :class:`Loss` base working on a :class:`PairBatch`, and MuSe-GNN's three.

Registered names: ``"recon"`` (:class:`ReconstructionBCE`), ``"sim"``
(:class:`WeightedCosineSimilarity`), ``"nce"`` (:class:`InfoNCE`).
"""

from dglgene.losses.base import LOSSES, Loss, PairBatch, WeightedSum
from dglgene.losses.infonce import InfoNCE
from dglgene.losses.reconstruction import ReconstructionBCE
from dglgene.losses.similarity import WeightedCosineSimilarity

__all__ = ["LOSSES", "InfoNCE", "Loss", "PairBatch", "ReconstructionBCE",
           "WeightedCosineSimilarity", "WeightedSum"]
