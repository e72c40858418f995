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

import scipy.sparse as sp
import torch
from torch import Tensor, nn

from dglgene.errors import DglgeneInputError
from dglgene.registry import Registry

LOSSES: Registry[Loss] = Registry("loss")


class EdgeTargets:
    """A graph's adjacency as its edge list (both directions of an undirected edge): what
    reconstruction scores against, without an n x n tensor unless one is asked for.

    >>> import scipy.sparse as sp, torch
    >>> edges = EdgeTargets.of(sp.csr_matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]]))
    >>> len(EdgeTargets(torch.tensor([0, 0]), torch.tensor([1, 1]), 3).src)  # once
    1
    >>> edges.contains(torch.tensor([0, 1, 2, 0]), torch.tensor([1, 0, 2, 2])).tolist()
    [True, True, True, False]
    >>> edges.dense().sum().item(), edges.n
    (3.0, 3)
    """

    def __init__(self, src: Tensor, dst: Tensor, n: int) -> None:
        # a pair given twice is one edge (a target of 1, as in the dense adjacency)
        self._keys = torch.unique(src * n + dst)  # sorted
        self.src, self.dst, self.n = self._keys // n, self._keys % n, n
        self._dense: Tensor | None = None

    @classmethod
    def of(cls, adjacency: sp.spmatrix, device: torch.device | str = "cpu") -> EdgeTargets:
        """The non-zero entries of a (scipy sparse) adjacency."""
        coo = sp.coo_matrix(adjacency)
        return cls(torch.as_tensor(coo.row, dtype=torch.long, device=device),
                   torch.as_tensor(coo.col, dtype=torch.long, device=device), coo.shape[0])

    @classmethod
    def from_dense(cls, adjacency: Tensor) -> EdgeTargets:
        src, dst = adjacency.nonzero(as_tuple=True)
        return cls(src, dst, adjacency.shape[0])

    def contains(self, src: Tensor, dst: Tensor) -> Tensor:
        """Whether each pair (src, dst) is an edge."""
        keys = src * self.n + dst
        at = torch.searchsorted(self._keys, keys).clamp(max=max(len(self._keys) - 1, 0))
        return (self._keys[at] == keys) if len(self._keys) else torch.zeros_like(keys, dtype=bool)

    def dense(self) -> Tensor:
        """The dense 0/1 adjacency (n x n; made once, then kept)."""
        if self._dense is None:
            self._dense = torch.zeros(self.n, self.n, device=self.src.device)
            self._dense[self.src, self.dst] = 1.0
        return self._dense


#: The batch fields a loss may read that cost an n x n tensor to fill: a Loss lists the
#: ones it reads in ``batch_inputs``, and the model fills no other.
DENSE_INPUTS = frozenset({"logits_i", "adjacency_i"})


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
    # Pairwise decoder (z, src, dst) -> logits, for edge-sampled losses on graphs too big
    # for dense logits, and graph i's edges.
    pair_logits_i: Callable[[Tensor, Tensor, Tensor], Tensor] | None = None
    edges_i: EdgeTargets | None = None
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

    #: the costly batch fields it reads (:data:`DENSE_INPUTS`, ``edges_i``,
    #: ``pair_logits_i``); a loss that does not say gets the dense ones
    batch_inputs: frozenset[str] = DENSE_INPUTS

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

    @property
    def batch_inputs(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset().union(*(loss.batch_inputs for loss in self.parts))

    def components(self, batch: PairBatch) -> dict[str, Tensor]:
        """Each part's unweighted value."""
        return {name: loss(batch) for name, loss in zip(self.names, self.parts)}

    def forward(self, batch: PairBatch) -> Tensor:
        return self.total(self.components(batch))

    def total(self, components: Mapping[str, Tensor]) -> Tensor:
        """The weighted sum of already computed components."""
        return sum(w * components[name] for name, w in zip(self.names, self.weights))
