"""The KL term of a variational encoder, read from ``batch.extras["kl_i"]``."""

from __future__ import annotations

from torch import Tensor

from dglgene.losses.base import LOSSES, Loss, PairBatch


@LOSSES.register("kl")
class KLDivergence(Loss):
    r""":math:`\mathrm{KL}(q(z\mid X, A)\,\|\,\mathcal N(0, I))` as the encoder computed it.

    >>> import torch
    >>> from dglgene.losses.base import PairBatch
    >>> e = torch.zeros(0, dtype=torch.long)
    >>> b = PairBatch(torch.zeros(1, 1), torch.zeros(1, 1), e, e, torch.zeros(0), e, e, e, e,
    ...               extras={"kl_i": torch.tensor(0.25)})
    >>> float(KLDivergence()(b))
    0.25
    """

    batch_inputs = frozenset()  # embeddings and index arrays only

    def forward(self, batch: PairBatch) -> Tensor:
        if "kl_i" not in batch.extras:
            raise ValueError("the kl loss needs a variational encoder (batch.extras['kl_i'])")
        return batch.extras["kl_i"]
