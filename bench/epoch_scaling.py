"""Epoch time of MuSe-GNN on 82 synthetic graphs x 1,000 genes with 2,000 features, in one
process or on several ranks under torchrun.

    python bench/epoch_scaling.py --threads 2
    torchrun --standalone --nproc-per-node 2 bench/epoch_scaling.py --threads 1

Builds ``random_gene_graphs(82, 1000, shared=0.5, edges_per_gene=25, n_feats=2000)`` (the
step benchmark's graphs, 82 of them), then runs ``dg.train.fit`` for one epoch and, from the
same start, for two; the difference is one epoch (both runs build the model and allocate
Adam's state; the pair overlaps, which the collection keeps, are computed before either).
Rank 0 prints one JSON line: world size, threads per rank, seconds per epoch and per Adam
step, pairs per rank, and the parameters one pair's step touches (what a rank sends in the
gradient all-reduce, per pair it computed).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from dglgene.datasets.random_graphs import random_gene_graphs
from dglgene.models import MuSeGNN
from dglgene.train import TrainConfig, fit
from dglgene.train.distributed import init_from_environment, leave_process_group
from dglgene.train.fit import edge_targets

GRAPHS, GENES, FEATURES, EDGES_PER_GENE = 82, 1_000, 2_000, 25


def touched_by_one_pair(model: MuSeGNN, collection) -> int:
    """Parameters (floats) with a gradient after one pair's backward pass."""
    model.zero_grad(set_to_none=True)  # fit leaves its last step's gradients
    components = model.training_step(collection, 0, 1, collection.overlaps(seed=0),
                                     edge_targets(collection, "cpu")[0],
                                     np.random.default_rng(0), TrainConfig.contrastive_genes)
    model.loss.total(components).backward()
    return sum(p.numel() for p in model.parameters() if p.grad is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ranks = init_from_environment()
    collection = random_gene_graphs(GRAPHS, GENES, shared=0.5, edges_per_gene=EDGES_PER_GENE,
                                    n_feats=FEATURES, seed=0)
    collection.overlaps(seed=0)  # kept by the collection: out of both timed runs
    seconds = {}
    for epochs in (1, 2):
        model = MuSeGNN(collection, seed=0)
        start = time.perf_counter()
        fit(model, collection, epochs=epochs, seed=0)
        seconds[epochs] = time.perf_counter() - start
    epoch = seconds[2] - seconds[1]
    steps = -(-GRAPHS // ranks.world_size)
    if ranks.is_first:
        print(json.dumps({
            "world_size": ranks.world_size, "backend": ranks.backend,
            "threads_per_rank": args.threads, "epoch_s": round(epoch, 2),
            "step_s": round(epoch / steps, 4), "pairs_per_rank": steps,
            "first_epoch_with_setup_s": round(seconds[1], 2),
            "floats_touched_by_one_pair": touched_by_one_pair(model, collection),
            "model_floats": sum(p.numel() for p in model.parameters())}))
    leave_process_group()


if __name__ == "__main__":
    main()
