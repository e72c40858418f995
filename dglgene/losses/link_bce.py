r"""Link prediction: binary cross-entropy of pair logits against 0/1 labels (scTransNet).

.. math::
    \mathcal{L}_{link} = -\frac{1}{|P|}\sum_{(t,g)\in P}
        \big[w\,y_{tg}\log\sigma(s_{tg}) + (1 - y_{tg})\log(1 - \sigma(s_{tg}))\big]

over the labelled (TF, target) pairs :math:`P` of a batch, with :math:`w` = ``pos_weight``
(1 by default, as GENELink; raise it to weigh the rare positives up).

Example
-------
>>> import torch
>>> batch = LinkBatch(logits=torch.tensor([20.0, -20.0]), labels=torch.tensor([1.0, 0.0]))
>>> float(LinkBCE()(batch)) < 1e-8
True
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from dglgene.losses.base import LOSSES, Loss

__all__ = ["LinkBCE", "LinkBatch"]


@dataclass
class LinkBatch:
    """Logits of labelled (TF, target) pairs and their 0/1 labels."""

    logits: Tensor
    labels: Tensor


@LOSSES.register("link")
class LinkBCE(Loss):
    """BCE-with-logits over labelled pairs (see the module docstring)."""

    def __init__(self, pos_weight: float = 1.0) -> None:
        super().__init__()
        self.pos_weight = pos_weight

    def forward(self, batch: LinkBatch) -> Tensor:  # type: ignore[override]
        weight = torch.as_tensor(self.pos_weight, dtype=batch.logits.dtype,
                                 device=batch.logits.device)
        return F.binary_cross_entropy_with_logits(batch.logits, batch.labels.to(weight.dtype),
                                                  pos_weight=weight)
