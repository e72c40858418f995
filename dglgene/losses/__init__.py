"""Losses: a common :class:`Loss` base working on a :class:`PairBatch`, and MuSe-GNN's three.

Registered names: ``"recon"`` (:class:`ReconstructionBCE`), ``"recon-sampled"`` (its
edge-sampled estimate, :class:`SampledReconstructionBCE`), ``"sim"``
(:class:`WeightedCosineSimilarity`), ``"nce"`` (:class:`InfoNCE`), ``"kl"``
(:class:`KLDivergence`, for variational encoders), ``"link"`` (:class:`LinkBCE`, scTransNet's
BCE over labelled TF-target pairs, on a :class:`LinkBatch`).
"""

from dglgene.losses.base import LOSSES, Loss, PairBatch, WeightedSum
from dglgene.losses.infonce import InfoNCE
from dglgene.losses.kl import KLDivergence
from dglgene.losses.link_bce import LinkBatch, LinkBCE
from dglgene.losses.pair_batch import pair_batch
from dglgene.losses.reconstruction import ReconstructionBCE, SampledReconstructionBCE
from dglgene.losses.similarity import WeightedCosineSimilarity

__all__ = ["LOSSES", "InfoNCE", "KLDivergence", "LinkBCE", "LinkBatch", "Loss", "PairBatch",
           "ReconstructionBCE", "SampledReconstructionBCE", "WeightedCosineSimilarity",
           "WeightedSum", "pair_batch"]
