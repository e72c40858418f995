"""Model and training settings of one scTransNet run, the same for every method compared.

Every default is stated once, in the settings class or constant of the part that uses it,
and referred to here by name: the training ones (epochs, patience, lr, weight decay,
batch size) are :class:`~dglgene.train.LinkTrainConfig`'s, the model's
:class:`~dglgene.models.ScTransNetConfig`'s, the pooling and the number of cells
:mod:`dglgene.nn.gene_representation`'s, the encoder's pre-training
:class:`~dglgene.train.PretrainConfig`'s and
:data:`~dglgene.train.pretrain.SMALL_SCBERT_CONFIG`.

>>> s = GRNSettings()
>>> s.epochs, s.patience, s.lr, s.gnn, s.max_cells
(100, 20, 0.001, 'gat', 512)
"""

from __future__ import annotations

from dataclasses import field
from typing import Annotated

from pydantic import Field

from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.eval.grn_metrics import auroc
from dglgene.models.sctransnet import ScTransNetConfig
from dglgene.nn.gene_representation import MAX_CELLS, POOLING
from dglgene.settings import (
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    Probability,
    settings,
)
from dglgene.train.pretrain import SMALL_SCBERT_CONFIG
from dglgene.train.settings import LinkTrainConfig, PretrainConfig

__all__ = ["VAL_METRICS", "GRNSettings"]

#: GRNSettings.select_by -> fit_links' val_metric (None: validation log-loss)
VAL_METRICS = {"loss": None, "auroc": auroc}


@settings
class GRNSettings:
    """Model and training settings of one scTransNet run (the same for every method)."""

    gnn: str | None = ScTransNetConfig.gnn
    pooling: str = POOLING
    epochs: int = LinkTrainConfig.epochs
    patience: PositiveInt = LinkTrainConfig.patience
    lr: PositiveFloat = LinkTrainConfig.lr
    weight_decay: NonNegativeFloat = LinkTrainConfig.weight_decay
    dropout: Probability = ScTransNetConfig.dropout
    target_degree: bool = ScTransNetConfig.target_degree
    tf_dropout: Probability = ScTransNetConfig.tf_dropout
    head_hidden: Annotated[tuple[PositiveInt, ...], Field(strict=False)] = \
        ScTransNetConfig.head_hidden
    batch_size: int = LinkTrainConfig.batch_size
    max_cells: PositiveInt | None = MAX_CELLS
    pretrain_epochs: PositiveInt = PretrainConfig.epochs
    #: early stopping on the validation log-loss ("loss": a proper score over every
    #: validation pair) or on validation AUROC ("auroc": coarser with few positives)
    select_by: str = "loss"
    #: held-out-TF splits: choose the training length by this many TF folds over the
    #: training and validation TFs, then refit on all of them (0: the validation TFs
    #: choose; :mod:`dglgene.grn.selection`)
    tf_folds: int = 0
    pretrain_config: dict[str, int] = field(default_factory=lambda: dict(SMALL_SCBERT_CONFIG))

    def __post_init__(self) -> None:
        # the command-line flags' own words ("epochs must be at least 1, got 0")
        require_at_least("epochs", self.epochs)
        require_at_least("batch_size", self.batch_size)
        if self.tf_folds < 0 or self.tf_folds == 1:
            raise DglgeneInputError(f"tf_folds must be 0 (off) or at least 2, got "
                                    f"{self.tf_folds}")
        if self.select_by not in VAL_METRICS:
            raise DglgeneInputError(f"unknown select_by {self.select_by!r}; choose one of "
                                    f"{', '.join(VAL_METRICS)}")
