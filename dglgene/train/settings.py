"""Training settings: the ``[train]`` table of a run, the one home of the training defaults.

>>> TrainConfig().epochs, TrainConfig(epochs=3).contrastive_genes
(100, 100)
"""

from __future__ import annotations

from dglgene.settings import PositiveFloat, PositiveInt, settings

__all__ = ["TrainConfig"]


@settings
class TrainConfig:
    """How MuSe-GNN trains (:func:`~dglgene.train.fit`; ``[train]`` of a run's TOML).

    Parameters
    ----------
    epochs
        Passes over the collection. 100 epochs of MuSe-GNN on the built-in real
        collection take 6-7 minutes on one core and mix its datasets (iLISI; README:
        Training budget); the reference trains 2000.
    lr_encoder, lr_decoder
        Adam's learning rates of the encoder and of the decoders.
    contrastive_genes
        Different genes drawn per side and step for InfoNCE (the reference's 100; None:
        all of them).
    """

    epochs: PositiveInt = 100
    lr_encoder: PositiveFloat = 1e-3
    lr_decoder: PositiveFloat = 1e-3
    contrastive_genes: PositiveInt | None = 100
