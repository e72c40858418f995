"""The loss interface: a ``Loss`` is a pure function of a :class:`PairBatch`.

A MuSe-GNN training step looks at graph ``i`` and one partner ``j``. Everything a loss may
need for that pair is in the batch: both graphs' embeddings, the common-gene index arrays
and their Jaccard weights, the different genes with their sampled graph neighbours (from
the native kernels), and graph ``i``'s adjacency with its decoder's logits. Because a loss
only reads the batch, its invariants can be checked with hypothesis on made-up batches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from torch import Tensor, nn

from dglgene.errors import DglgeneInputError
from dglgene.registry import Registry

LOSSES: Registry[Loss] = Registry("loss")


@dataclass
class PairBatch:
    """What a cross-graph loss sees for the pair (i, j).

    Index arrays are local node ids; ``common_i[k]`` and ``common_j[k]`` are the same gene.
    ``diff_i`` are genes of i absent from j, ``diff_i_neighbor`` one graph neighbour of
    each in i (itself when it has none); likewise for j.
    """

    z_i: Tensor
    z_j: Tensor
    common_i: Tensor
    common_j: Tensor
    weights: Tensor
    diff_i: Tensor
    diff_i_neighbor: Tensor
    diff_j: Tensor
    diff_j_neighbor: Tensor
    adjacency_i: Tensor | None = None  # dense 0/1, (n_i, n_i)
    logits_i: Tensor | None = None  # graph i's decoder output, (n_i, n_i)
    # Optional pairwise decoder (z, src, dst) -> logits, for edge-sampled losses on graphs
    # too big for dense logits.
    pair_logits_i: Callable[[Tensor, Tensor, Tensor], Tensor] | None = None
    seed: int = 0
    weight_scale: float = 1.0  # the collection's mean Jaccard weight (PairOverlaps.mean_weight)
    extras: dict[str, Tensor] = field(default_factory=dict)  # model terms, e.g. a VAE's KL

    def zero(self) -> Tensor:
        """A zero that stays connected to the embeddings (so backward still runs)."""
        return self.z_i.sum() * 0.0


class Loss(nn.Module):
    """Base class of all losses: implement ``forward(batch) -> scalar Tensor``.

    >>> import torch
    >>> class CenterLoss(Loss):
    ...     def forward(self, batch: PairBatch) -> torch.Tensor:
    ...         return (batch.z_i.mean(0) - batch.z_j.mean(0)).pow(2).sum()
    >>> CenterLoss().name
    'CenterLoss'
    """

    @property
    def name(self) -> str:
        return type(self).__name__

    def forward(self, batch: PairBatch) -> Tensor:
        raise NotImplementedError


class WeightedSum(Loss):
    """``sum_k w_k L_k``: several weighted losses, itself a loss.

    ``parts`` maps a registered name (``"recon"``, ``"sim"``, ``"nce"``, ...) or a
    :class:`Loss` instance to its weight.
    """

    def __init__(self, parts: Mapping[str | Loss, float]) -> None:
        super().__init__()
        if not parts:
            raise DglgeneInputError("a weighted loss needs at least one part")
        losses, names, weights = [], [], []
        for key, weight in parts.items():
            loss = LOSSES.get(key)() if isinstance(key, str) else key
            if not isinstance(loss, Loss):
                raise ValueError(f"{key!r} is not a dglgene.losses.Loss; subclass it and "
                                 "implement forward(batch)")
            losses.append(loss)
            names.append(key if isinstance(key, str) else loss.name)
            weights.append(float(weight))
        if len(set(names)) != len(names):
            raise ValueError(f"loss names must be unique, got {names}")
        self.parts = nn.ModuleList(losses)
        self.names = names
        self.weights = weights

    def components(self, batch: PairBatch) -> dict[str, Tensor]:
        """Each part's unweighted value."""
        return {name: loss(batch) for name, loss in zip(self.names, self.parts)}

    def forward(self, batch: PairBatch) -> Tensor:
        return self.total(self.components(batch))

    def total(self, components: Mapping[str, Tensor]) -> Tensor:
        """The weighted sum of already computed components."""
        return sum(w * components[name] for name, w in zip(self.names, self.weights))
