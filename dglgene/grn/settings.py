"""Model and training settings of one scTransNet run, the same for every method compared.

Each default is stated once, by the function that uses it, and read here from its
signature: the training ones (epochs, patience, lr, weight decay, batch size) from
:func:`~dglgene.train.fit_links.fit_links`, the model's from
:class:`~dglgene.models.sctransnet.ScTransNet`, the pooling and the number of cells from
:mod:`dglgene.nn.gene_representation`, the encoder's pre-training from
:func:`~dglgene.train.pretrain.pretrain_scbert` and
:data:`~dglgene.train.pretrain.SMALL_SCBERT_CONFIG`.

>>> s = GRNSettings()
>>> s.epochs, s.patience, s.lr, s.gnn, s.max_cells
(100, 20, 0.001, 'gat', 512)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.eval.grn_metrics import auroc
from dglgene.models.sctransnet import ScTransNet
from dglgene.nn.gene_representation import PooledEncodings, scbert_cell_encodings
from dglgene.train.fit_links import fit_links
from dglgene.train.pretrain import SMALL_SCBERT_CONFIG, pretrain_scbert

__all__ = ["VAL_METRICS", "GRNSettings"]

#: GRNSettings.select_by -> fit_links' val_metric (None: validation log-loss)
VAL_METRICS = {"loss": None, "auroc": auroc}


def _default(func: Callable[..., Any], name: str) -> Any:
    return inspect.signature(func).parameters[name].default


@dataclass
class GRNSettings:
    """Model and training settings of one scTransNet run (the same for every method)."""

    gnn: str | None = _default(ScTransNet, "gnn")
    pooling: str = _default(PooledEncodings, "pooling")
    epochs: int = _default(fit_links, "epochs")
    patience: int = _default(fit_links, "patience")
    lr: float = _default(fit_links, "lr")
    weight_decay: float = _default(fit_links, "weight_decay")
    dropout: float = _default(ScTransNet, "dropout")
    target_degree: bool = _default(ScTransNet, "target_degree")
    tf_dropout: float = _default(ScTransNet, "tf_dropout")
    head_hidden: tuple[int, ...] = _default(ScTransNet, "head_hidden")
    batch_size: int = _default(fit_links, "batch_size")
    max_cells: int | None = _default(scbert_cell_encodings, "max_cells")
    pretrain_epochs: int = _default(pretrain_scbert, "epochs")
    #: early stopping on the validation log-loss ("loss": a proper score over every
    #: validation pair) or on validation AUROC ("auroc": coarser with few positives)
    select_by: str = "loss"
    pretrain_config: Mapping[str, int] = field(default_factory=lambda: dict(SMALL_SCBERT_CONFIG))

    def __post_init__(self) -> None:
        # fit_links would refuse it too, but only after the encoder's work
        require_at_least("epochs", self.epochs)
        require_at_least("batch_size", self.batch_size)
        if self.select_by not in VAL_METRICS:
            raise DglgeneInputError(f"unknown select_by {self.select_by!r}; choose one of "
                                    f"{', '.join(VAL_METRICS)}")
