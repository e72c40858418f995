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
(the per-TF prior baseline is nothing else). A TF never seen in training keeps bias 0,
the intercept, unless ``tf_dropout > 0``: then a TF outside the training pairs
(:meth:`DirectionalLinkHead.set_training_tfs`) gets a bias predicted from its
representation, :math:`b_t = a^\top x_t`, and in training each TF's free bias is
replaced by that prediction with probability ``tf_dropout`` per batch, so that the
prediction learns the TF rates from representations while the free biases keep them
for the TFs seen. (A per-target bias as well overfits: a target has one to three
training positives.)

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
                 pair_feats: int = 0, tf_dropout: float = 0.0) -> None:
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
        self.tf_dropout, self.bias_from_x = tf_dropout, None
        if self.tf_bias is not None and tf_dropout > 0:
            self.bias_from_x = nn.Linear(in_feats, 1)
            nn.init.zeros_(self.bias_from_x.weight)
            nn.init.zeros_(self.bias_from_x.bias)
            self.register_buffer("seen_tf", torch.ones(n_genes, dtype=torch.bool))

    def set_training_tfs(self, tf: Tensor) -> None:
        """The TFs of the training pairs: they keep their free bias in evaluation."""
        if self.bias_from_x is not None:
            self.seen_tf = torch.zeros_like(self.seen_tf).index_fill_(0, tf, True)

    def base_parameters(self) -> list[nn.Parameter]:
        """Parameters of the representation-free part: :math:`c`, :math:`b`, :math:`w`."""
        return [self.intercept,
                *(m.weight for m in (self.tf_bias, self.pair_skip) if m is not None)]

    def base(self, tf: Tensor, pair: Tensor | None = None, x: Tensor | None = None) -> Tensor:
        """The base logit :math:`c + b_t + w^\top e_{tg}`; without ``x`` (the genes'
        representations) a representation-free logistic model, every bias free."""
        score = self.intercept.expand(len(tf))
        if pair is not None and self.pair_skip is not None:
            score = score + self.pair_skip(pair.reshape(len(tf), -1)).squeeze(-1)
        if self.tf_bias is not None:
            score = score + self._tf_bias(tf, x)
        return score

    def _tf_bias(self, tf: Tensor, x: Tensor | None) -> Tensor:
        free = self.tf_bias(tf).squeeze(-1)
        if x is None or self.bias_from_x is None:
            return free
        keep = self.seen_tf
        if self.training:  # the same TFs dropped for all their pairs in the batch
            keep = keep & (torch.rand(len(keep), device=keep.device) >= self.tf_dropout)
        return torch.where(keep[tf], free, self.bias_from_x(x).squeeze(-1)[tf])

    def forward(self, x: Tensor, tf: Tensor, target: Tensor, pair: Tensor | None = None
                ) -> Tensor:
        u = self.tf_mlp(x)[tf]
        v = self.target_mlp(x)[target]
        pair = None if pair is None else pair.reshape(len(tf), -1)
        learned = self.pair_mlp(torch.cat([u, v] if pair is None else [u, v, pair], -1)).squeeze(-1)
        if self.dot:
            learned = learned + (u * v).sum(-1)
        return self.base(tf, pair, x) + learned
