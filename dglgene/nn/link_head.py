r"""Directional TF -> target scoring head (scTransNet / GENELink).

Every gene's fused representation :math:`x_g` goes through two separate MLPs, one for the
gene as a regulator and one for it as a target; the score of the ordered pair
:math:`(t, g)` is an MLP over the concatenation plus their dot product:

.. math::
    u_t = \mathrm{MLP}_{TF}(x_t), \quad v_g = \mathrm{MLP}_{target}(x_g), \quad
    s(t, g) = \mathrm{MLP}_{pair}([u_t \Vert v_g]) + u_t^\top v_g .

Since :math:`u` and :math:`v` differ, :math:`s(t, g) \ne s(g, t)` in general: the head
knows which gene regulates which. ``s`` is a logit (train with BCE-with-logits).

Example
-------
>>> import torch
>>> head = DirectionalLinkHead(in_feats=6)
>>> x = torch.randn(4, 6)
>>> head(x, torch.tensor([0, 1]), torch.tensor([1, 0])).shape
torch.Size([2])
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import Tensor, nn

__all__ = ["DirectionalLinkHead", "mlp"]


def mlp(dims: Sequence[int], dropout: float = 0.0, last_activation: bool = True) -> nn.Sequential:
    """Linear layers of widths ``dims`` with LeakyReLU (and dropout) between them."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(pairwise(dims)):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2 or last_activation:
            layers += [nn.LeakyReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class DirectionalLinkHead(nn.Module):
    """TF and target MLPs, then an MLP over the pair plus the dot product."""

    def __init__(self, in_feats: int, hidden: Sequence[int] = (256, 64), pair_hidden: int = 64,
                 dropout: float = 0.1, dot: bool = True) -> None:
        super().__init__()
        self.tf_mlp = mlp([in_feats, *hidden], dropout)
        self.target_mlp = mlp([in_feats, *hidden], dropout)
        self.pair_mlp = mlp([2 * hidden[-1], pair_hidden, 1], dropout, last_activation=False)
        self.dot = dot

    def forward(self, x: Tensor, tf: Tensor, target: Tensor) -> Tensor:
        u = self.tf_mlp(x)[tf]
        v = self.target_mlp(x)[target]
        score = self.pair_mlp(torch.cat([u, v], dim=-1)).squeeze(-1)
        return score + (u * v).sum(-1) if self.dot else score
