r"""scBERT's masked-value objective: which genes are masked, the loss, the accuracy, and
the frequency-only baseline a pre-trained model must beat.

scBERT (Yang et al. 2022, its ``pretrain.py``) pre-trains its Performer like BERT, on
expression bins instead of words. For a cell with tokens :math:`t_1..t_n` (bins
:func:`~dglgene.nn.scbert_tokens.expression_to_tokens`, 0 = not expressed) and non-zero set
:math:`N = \{g : t_g > 0\}`, :func:`mask_tokens` draws a uniform subset
:math:`M \subset N` of exactly :math:`\lceil p\,|N| \rceil` genes (:math:`p = 0.15`); each
:math:`g \in M` is replaced by the mask token 6 with probability 0.9 and keeps its value
otherwise (no random tokens). Zeros (and the mask/pad token) are never chosen. The loss is
the cross-entropy over the masked genes only,

.. math::
    \mathcal{L} = -\frac{1}{\sum_c |M_c|} \sum_c \sum_{g \in M_c}
                  \log \operatorname{softmax}(f_\theta(\tilde t_c)_g)_{t_{cg}},

implemented as ``cross_entropy(..., ignore_index=-100)`` with label ``-100`` off
:math:`M`. Accuracy, as scBERT's, is the argmax over the expressed bins ``1..5``.

Example
-------
>>> import torch
>>> tokens = torch.tensor([[0, 3, 1, 0, 2, 5, 4, 1, 2, 0]])
>>> inputs, labels = mask_tokens(tokens, generator=torch.Generator().manual_seed(0))
>>> int((labels != -100).sum())                  # ceil(0.15 * 7 non-zero) = 2
2
>>> bool((tokens[labels != -100] > 0).all())     # zeros are never masked
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from dglgene.nn.scbert_tokens import SCBERT_BIN_NUM, SCBERT_MASK_TOKEN

__all__ = ["IGNORE_INDEX", "frequency_baseline", "mask_tokens", "masked_accuracy",
           "masked_value_loss"]

IGNORE_INDEX = -100  # cross_entropy's default ignore_index


def mask_tokens(tokens: Tensor, mask_prob: float = 0.15, replace_prob: float = 0.9,
                generator: torch.Generator | None = None, *,
                mask_token: int = SCBERT_MASK_TOKEN,
                ignore_tokens: Sequence[int] = (0, SCBERT_MASK_TOKEN)) -> tuple[Tensor, Tensor]:
    """scBERT's masking: ``(inputs, labels)`` for ``tokens`` (cells x genes, int64).

    Per cell, exactly ``ceil(mask_prob * k)`` of its ``k`` maskable tokens (those not in
    ``ignore_tokens``: zeros and the mask/pad token) are chosen uniformly; each chosen one
    becomes ``mask_token`` in ``inputs`` with probability ``replace_prob`` and keeps its
    value otherwise. ``labels`` is the original token where chosen and -100 elsewhere.
    """
    if tokens.ndim != 2:
        raise ValueError(f"tokens must be cells x genes, got shape {tuple(tokens.shape)}")
    if not 0.0 <= mask_prob <= 1.0 or not 0.0 <= replace_prob <= 1.0:
        raise ValueError(f"mask_prob and replace_prob must lie in [0, 1], got {mask_prob} "
                         f"and {replace_prob}")
    maskable = torch.ones_like(tokens, dtype=torch.bool)
    for t in ignore_tokens:
        maskable &= tokens != t
    n_chosen = torch.ceil(maskable.sum(1) * mask_prob).long()  # scBERT rounds up
    # Uniform subset: rank random keys, maskable ones first; keep each row's n_chosen smallest.
    keys = torch.rand(tokens.shape, generator=generator, device=tokens.device)
    keys = keys.masked_fill(~maskable, math.inf)
    order = keys.argsort(dim=1)
    ranks = torch.empty(tokens.shape, dtype=torch.long, device=tokens.device)
    ranks.scatter_(1, order, torch.arange(tokens.shape[1], device=tokens.device)
                   .expand(tokens.shape).contiguous())
    chosen = ranks < n_chosen[:, None]
    replace = torch.rand(tokens.shape, generator=generator, device=tokens.device) < replace_prob
    inputs = tokens.masked_fill(chosen & replace, mask_token)
    labels = tokens.masked_fill(~chosen, IGNORE_INDEX)
    return inputs, labels


def masked_value_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over positions with ``labels != -100`` (0 if there are none)."""
    if not bool((labels != IGNORE_INDEX).any()):
        return logits.sum() * 0.0  # keeps the graph; cross_entropy's mean would be NaN
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                           ignore_index=IGNORE_INDEX)


def masked_accuracy(logits: Tensor, labels: Tensor, bin_num: int = SCBERT_BIN_NUM
                    ) -> tuple[int, int]:
    """(correct, total) over masked positions; prediction = argmax over bins ``1..bin_num``.

    Masked genes are expressed by construction, so (as scBERT) neither 0 nor the mask token
    is a candidate answer.
    """
    where = labels != IGNORE_INDEX
    predicted = logits[..., 1:bin_num + 1].argmax(-1) + 1
    return int((predicted[where] == labels[where]).sum()), int(where.sum())


def frequency_baseline(train_tokens: Tensor, bin_num: int = SCBERT_BIN_NUM,
                       num_tokens: int = SCBERT_BIN_NUM + 2) -> Tensor:
    """Per-gene log-probabilities (genes x num_tokens) of the non-zero bins in ``train_tokens``.

    The best a predictor can do that knows the gene and that it is expressed, but nothing
    else about the cell. Laplace-smoothed over bins ``1..bin_num``; 0 and the mask token
    get probability 0.
    """
    counts = torch.ones(train_tokens.shape[1], bin_num, dtype=torch.float64)
    for b in range(1, bin_num + 1):
        counts[:, b - 1] += (train_tokens == b).sum(0)
    log_p = torch.full((train_tokens.shape[1], num_tokens), -math.inf, dtype=torch.float64)
    log_p[:, 1:bin_num + 1] = (counts / counts.sum(1, keepdim=True)).log()
    return log_p.float()
