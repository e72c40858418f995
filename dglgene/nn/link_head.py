r"""Directional TF -> target scoring head (scTransNet / GENELink).

Every gene's fused representation :math:`x_g` goes through two separate MLPs, one for the
gene as a regulator and one for it as a target; the learned score of the ordered pair
:math:`(t, g)` is an MLP over the concatenation plus their dot product, added to a
representation-free *base* logit:

.. math::
    u_t = \mathrm{MLP}_{TF}(x_t), \quad v_g = \mathrm{MLP}_{target}(x_g), \\
    s(t, g) = \underbrace{c + b_t + w^\top e_{tg}}_{\text{base}}
              + \mathrm{MLP}_{pair}([u_t \Vert v_g \Vert e_{tg}]) + u_t^\top v_g .

Since :math:`u` and :math:`v` differ, :math:`s(t, g) \ne s(g, t)` in general: the head
knows which gene regulates which. ``s`` is a logit (train with BCE-with-logits).
:math:`e_{tg}` are optional pair features (``pair_feats`` of them, e.g. the two genes'
expression correlation and its absolute value), given to ``forward`` per pair; they enter
the pair MLP and, through :math:`w`, the base. :math:`b_t` (with ``n_genes``) is a
learned per-regulator bias: TFs differ a lot in how many of their candidates are edges
(the per-TF prior baseline is nothing else). A TF never seen in training keeps bias 0.
(A per-target bias as well overfits: a target has one to three training positives.)

The base (intercept :math:`c`, :math:`b`, :math:`w`; all zero at start) is a logistic
model of the per-TF rate and the pair features; training fits it on its own first
(:func:`~dglgene.train.fit_links.fit_base`). The learned part starts at zero (the last
layers of :math:`\mathrm{MLP}_{TF}` and :math:`\mathrm{MLP}_{pair}` are zero), so the
untrained head *is* its base, and the learned part grows from there.

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
                 dropout: float = 0.1, dot: bool = True, n_genes: int | None = None,
                 pair_feats: int = 0) -> None:
        super().__init__()
        self.tf_mlp = mlp([in_feats, *hidden], dropout)
        self.target_mlp = mlp([in_feats, *hidden], dropout)
        self.pair_mlp = mlp([2 * hidden[-1] + pair_feats, pair_hidden, 1], dropout,
                            last_activation=False)
        self.dot = dot
        # The learned part starts at exactly zero (u = 0 and a zero pair-MLP output, as
        # zero-initialised residual branches): the first model is the fitted base alone.
        for seq in (self.tf_mlp, self.pair_mlp):
            last = [m for m in seq if isinstance(m, nn.Linear)][-1]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        self.pair_skip = nn.Linear(pair_feats, 1, bias=False) if pair_feats else None
        if self.pair_skip is not None:
            nn.init.zeros_(self.pair_skip.weight)
        self.intercept = nn.Parameter(torch.zeros(()))
        self.tf_bias = None
        if n_genes is not None:
            self.tf_bias = nn.Embedding(n_genes, 1)
            nn.init.zeros_(self.tf_bias.weight)

    def base_parameters(self) -> list[nn.Parameter]:
        """Parameters of the representation-free part: :math:`c`, :math:`b`, :math:`w`."""
        return [self.intercept,
                *(m.weight for m in (self.tf_bias, self.pair_skip) if m is not None)]

    def base(self, tf: Tensor, pair: Tensor | None = None) -> Tensor:
        """The representation-free logit :math:`c + b_t + w^\top e_{tg}` (a logistic model)."""
        score = self.intercept.expand(len(tf))
        if pair is not None and self.pair_skip is not None:
            score = score + self.pair_skip(pair.reshape(len(tf), -1)).squeeze(-1)
        if self.tf_bias is not None:
            score = score + self.tf_bias(tf).squeeze(-1)
        return score

    def forward(self, x: Tensor, tf: Tensor, target: Tensor, pair: Tensor | None = None
                ) -> Tensor:
        u = self.tf_mlp(x)[tf]
        v = self.target_mlp(x)[target]
        pair = None if pair is None else pair.reshape(len(tf), -1)
        learned = self.pair_mlp(torch.cat([u, v] if pair is None else [u, v, pair], -1)).squeeze(-1)
        if self.dot:
            learned = learned + (u * v).sum(-1)
        return self.base(tf, pair) + learned
