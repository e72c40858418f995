"""Training settings: the ``[train]`` table of a run, the one home of the training defaults.

>>> TrainConfig().epochs, TrainConfig(epochs=3).contrastive_genes
(100, 100)
"""

from __future__ import annotations

from dglgene.settings import NonNegativeFloat, PositiveFloat, PositiveInt, Probability, settings

__all__ = ["LinkTrainConfig", "PretrainConfig", "TrainConfig"]


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
    weight_decay
        Adam's L2 penalty on every weight (the reference's 0: none).
    """

    epochs: PositiveInt = 100
    lr_encoder: PositiveFloat = 1e-3
    lr_decoder: PositiveFloat = 1e-3
    contrastive_genes: PositiveInt | None = 100
    weight_decay: NonNegativeFloat = 0.0


@settings
class LinkTrainConfig:
    """How scTransNet's link prediction trains (:func:`~dglgene.train.fit_links`).

    Parameters
    ----------
    epochs
        At most this many epochs after the fitted base (epoch 0).
    lr, weight_decay
        Adam's learning rate and L2 penalty.
    batch_size
        Training pairs per step.
    patience
        Stop after this many epochs without a better validation score.
    """

    epochs: PositiveInt = 100
    lr: PositiveFloat = 1e-3
    weight_decay: NonNegativeFloat = 1e-4
    batch_size: PositiveInt = 256
    patience: PositiveInt = 20


@settings
class PretrainConfig:
    """How the scBERT-style encoder pre-trains (:func:`~dglgene.train.pretrain_scbert`).

    Parameters
    ----------
    epochs
        Passes over the training cells.
    n_genes
        Genes kept (the most variable across datasets; None: all).
    batch_size, lr, weight_decay, max_grad_norm
        AdamW's cells per step, learning rate and weight decay, and the gradient clip.
    mask_prob, replace_prob
        scBERT's share of a cell's expressed genes masked, and of those replaced by the
        mask token.
    val_fraction
        Cells held out for the masked-value score.
    """

    epochs: PositiveInt = 10
    n_genes: PositiveInt | None = 1000
    batch_size: PositiveInt = 8
    lr: PositiveFloat = 1e-3
    weight_decay: NonNegativeFloat = 0.01
    mask_prob: Probability = 0.15
    replace_prob: Probability = 0.9
    val_fraction: Probability = 0.1
    max_grad_norm: PositiveFloat = 1.0
