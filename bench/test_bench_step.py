"""One MuSe-GNN training step at the reference's configuration: dglgene against the
reference's step re-implemented on PyG and pytorch-metric-learning (``reference_step.py``),
on the same graphs, in the same run.

Group ``step``. Workload: ``GRAPHS`` random gene graphs (``datasets.random_gene_graphs``) of
``GENES`` genes, each sharing half of its genes with the next, 25 drawn edges per gene made
undirected (about 5 % dense), ``FEATURES`` Gaussian features per gene (the reference's node
features: a gene's values over 2,000 cells); MuSe-GNN's default model (dim 32, 4 + 2 heads,
the n -> n -> n -> n MLP decoder). Every round is one step (forward, backward, Adam) on the
next pair of one fixed schedule, the same for every implementation:

- ``dglgene``: the step of ``dg.train.fit`` (``GraphModel.training_step`` + ``adam_step``);
- ``reference``: the reference's step, its InfoNCE ``SelfSupervisedLoss(NTXentLoss)`` as
  the pinned pytorch-metric-learning computes it (symmetric, its default since 2.2);
- ``reference-asymmetric``: the same with InfoNCE of the queries against the keys alone,
  which is what dglgene computes.

``test_reference_computes_what_dglgene_computes`` first checks that the reference holding
dglgene's weights gives the same embeddings and the same three loss terms on the same
pair and draws. The terminal summary prints each reference's median over dglgene's.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import torch
from pytest_benchmark.fixture import BenchmarkFixture
from reference_step import (
    ReferenceMuSeGNN,
    draw_different,
    reference_graphs,
    reference_losses,
    reference_step,
)

from dglgene.datasets.random_graphs import random_gene_graphs
from dglgene.losses import InfoNCE, ReconstructionBCE, WeightedCosineSimilarity
from dglgene.losses.base import PairBatch
from dglgene.models import MuSeGNN
from dglgene.train import TrainConfig
from dglgene.train.fit import adam_step, edge_targets

GRAPHS, GENES, FEATURES, EDGES_PER_GENE = 10, 1_000, 2_000, 25
IMPLEMENTATIONS = ("dglgene", "reference", "reference-asymmetric")
CPU = torch.device("cpu")


@cache
def collection():
    return random_gene_graphs(GRAPHS, GENES, shared=0.5, edges_per_gene=EDGES_PER_GENE,
                              n_feats=FEATURES, seed=0)


def schedule():
    """Pairs (i, j) of every round, in order: each graph in turn with a neighbour, with
    which it shares half of its genes (graphs further apart share none)."""
    k = 0
    while True:
        i = k % GRAPHS
        yield i, i + 1 if i + 1 < GRAPHS else i - 1
        k += 1


def stepper(implementation: str):
    """A function taking one step of ``implementation`` on the schedule's next pair, on
    models started from the same weights."""
    graphs = collection()
    model = MuSeGNN(graphs, seed=0)
    overlaps = graphs.overlaps(seed=0)
    rng, pairs = np.random.default_rng(0), schedule()
    if implementation == "dglgene":
        optimizer = torch.optim.Adam(model.parameter_groups(1e-3, 1e-3))
        targets = edge_targets(graphs, CPU)

        def step() -> None:
            i, j = next(pairs)
            components = model.training_step(graphs, i, j, overlaps, targets[i], rng,
                                             TrainConfig.contrastive_genes)
            adam_step(model, optimizer, components, epoch=0, i=i, j=j)
        return step
    reference = ReferenceMuSeGNN(model)
    optimizers, reference_inputs = reference.optimizers(), reference_graphs(graphs)
    symmetric = implementation == "reference"

    def step() -> None:
        i, j = next(pairs)
        reference_step(reference, optimizers, reference_inputs, overlaps, i, j, rng, CPU,
                       symmetric)
    return step


def test_reference_computes_what_dglgene_computes() -> None:
    graphs = collection()
    model = MuSeGNN(graphs, seed=0)
    reference = ReferenceMuSeGNN(model)
    overlaps, inputs = graphs.overlaps(seed=0), reference_graphs(graphs)
    i, j = 0, 1
    z_i, z_j = model.encode(graphs, i), model.encode(graphs, j)
    torch.testing.assert_close(reference.encode(i, inputs[i], CPU), z_i, atol=1e-5, rtol=1e-5)
    positions = draw_different(overlaps, i, j, np.random.default_rng(0))
    theirs = reference_losses(reference, inputs, overlaps, i, j, positions, CPU)
    pair = overlaps.get(i, j)

    def index(values: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(values, dtype=torch.int64)
    batch = PairBatch(
        z_i, z_j, index(pair.common_i), index(pair.common_j), torch.as_tensor(pair.weights),
        index(pair.diff_i[positions]), index(pair.diff_i_neighbor[positions]),
        index(pair.diff_j[positions]), index(pair.diff_j_neighbor[positions]),
        adjacency_i=edge_targets(graphs, CPU)[i].dense(), logits_i=model.decoders[i](z_i))
    ours = {"recon": ReconstructionBCE()(batch),
            "sim": WeightedCosineSimilarity(relative=False)(batch), "nce": InfoNCE()(batch)}
    for name, value in ours.items():
        torch.testing.assert_close(value, theirs[name], atol=1e-6, rtol=1e-5, msg=name)


@pytest.mark.benchmark(group="step")
@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_training_step(benchmark: BenchmarkFixture, implementation: str) -> None:
    benchmark.pedantic(stepper(implementation), rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(implementation=implementation, n_graphs=GRAPHS,
                                n_genes=GENES, n_feats=FEATURES,
                                n_edges=int(collection()[0].graph.num_edges()),
                                threads=torch.get_num_threads())
