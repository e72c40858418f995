"""The sampled reconstruction path: the dense loss in expectation, and no n x n tensor in a
training step with a pair decoder."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from dglgene.datasets.random_graphs import random_gene_graphs
from dglgene.losses import PairBatch, ReconstructionBCE
from dglgene.losses.base import EdgeTargets
from dglgene.models import GraphModel
from dglgene.train.fit import edge_targets


def _batch(logits: torch.Tensor, adjacency: torch.Tensor, seed: int, **fields) -> PairBatch:
    e = torch.zeros(0, dtype=torch.long)
    z = torch.zeros(len(adjacency), 1)
    return PairBatch(z, z, e, e, torch.zeros(0), e, e, e, e, seed=seed, **fields)


def test_sampled_bce_is_the_dense_bce_in_expectation() -> None:
    g = torch.Generator().manual_seed(0)
    n = 30
    a = (torch.rand(n, n, generator=g) < 0.1).float()
    a = ((a + a.T) > 0).float()
    logits = 2 * torch.randn(n, n, generator=g)
    dense = float(F.binary_cross_entropy_with_logits(logits, a))
    loss = ReconstructionBCE(negative_ratio=2.0)
    values = np.array([float(loss(_batch(logits, a, seed, adjacency_i=a, logits_i=logits)))
                       for seed in range(3000)])
    se = values.std() / np.sqrt(len(values))
    assert se < 0.01 * dense  # precise enough that a misweighted estimator fails
    assert abs(values.mean() - dense) < 4 * se, (values.mean(), dense, se)
    # the edges given as a list and a pair scorer give the same values as dense input
    edges = EdgeTargets.from_dense(a)
    again = loss(_batch(logits, a, 7, edges_i=edges,
                        pair_logits_i=lambda z, src, dst: logits[src, dst]))
    assert float(again) == pytest.approx(values[7], rel=1e-6)


class _LargestTensor(TorchDispatchMode):
    """The largest number of elements of any tensor an op makes."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        sizes = [t.numel() for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
        self.largest = max([self.largest, *sizes])
        return out


@pytest.mark.parametrize("decoder", ["inner", "bilinear"])
def test_a_sampled_step_with_a_pair_decoder_forms_no_n_by_n_tensor(decoder) -> None:
    n = 5000
    collection = random_gene_graphs(2, n, seed=0)
    overlaps, targets = collection.overlaps(seed=0), edge_targets(collection, "cpu")
    rng = np.random.default_rng(0)

    def largest(recon: ReconstructionBCE) -> int:
        model = GraphModel(collection, decoder=decoder, dim=8,
                           losses={recon: 1.0, "sim": 1.0, "nce": 1.0})
        with _LargestTensor() as mode:
            components = model.training_step(collection, 0, 1, overlaps, targets[0], rng, 100)
            model.loss.total(components).backward()
        return mode.largest

    assert largest(ReconstructionBCE(negative_ratio=1.0)) < n * n // 10  # edges x width
    assert largest(ReconstructionBCE()) >= n * n  # the dense loss does form them
