r"""New datasets into a trained MuSe-GNN: their own layers are trained, the rest is frozen.

A dataset the model has not seen gets its own first layer and decoder
(:meth:`~dglgene.models.GraphModel.add_dataset`), feeding the trained block of its
sharing group. Only those two are trained, with the model's own weighted losses. Per
epoch, every new dataset :math:`i` in a random order draws one partner :math:`j` among
the model's training datasets and takes an Adam step on

.. math::
    \mathcal L = \sum_k w_k \mathcal L_k\big(z_i, \bar z_j\big)
    \quad (\text{reconstruction of } i,\ \text{similarity and InfoNCE against } j),

where :math:`\bar z_j` is :math:`j`'s final embedding, kept in the saved model
(``model.reference``) with :math:`j`'s graph for the common genes, Jaccard weights and
neighbour draws. The training datasets do not move, so the new one is pulled into their
embedding space, and the model needs none of their data. Seeded and deterministic on CPU.

The learning rates are 10x :func:`~dglgene.train.fit`'s: one small layer learns against
fixed targets. On six simulated collections (3 datasets trained for 60 epochs, a 4th
added for 60), the new dataset's genes find their planted module among their 10 nearest
known genes 95-100% of the time at 1e-2 (the known datasets among themselves: 66-96%),
but 30-88% at fit's 1e-3, whose 60 steps leave the layer short.

>>> import dglgene as dg, tempfile
>>> sim = dg.datasets.simulate_collection(n_datasets=3, modalities=["rna"] * 3, seed=0)
>>> coll = dg.data.build_collection(sim.adatas[:2], n_hvg=50)
>>> model = dg.models.MuSeGNN(coll, dim=8)
>>> model = dg.models.load(dg.models.save_muse_gnn(model, tempfile.mkdtemp() + "/m", coll))
>>> new = dg.data.build_collection(sim.adatas[2:], n_hvg=50)
>>> model.add_dataset(dg.models.DatasetRecord.of(new[0]))  # its sharing group
'rna'
>>> history = fit_new_datasets(model, new, [new[0].dataset], epochs=2)
>>> len(history), model.embed(new).shape
(2, (50, 8))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch

from dglgene.data import GraphCollection
from dglgene.errors import require_at_least
from dglgene.models.graph_model import GraphModel
from dglgene.train.device import require_device
from dglgene.train.engine import TrainingPlan, run_training
from dglgene.train.fit import adam_step, edge_targets
from dglgene.train.settings import TrainConfig

__all__ = ["fit_new_datasets"]


class NewDatasetTraining(TrainingPlan):
    """The own layers of new datasets against the frozen reference, as a
    :class:`~dglgene.train.engine.TrainingPlan` (the arguments are
    :func:`fit_new_datasets`')."""

    label = "new-dataset epochs"

    def __init__(self, model: GraphModel, collection: GraphCollection, datasets: Sequence[str],
                 seed: int, lr_encoder: float, lr_decoder: float, device: str,
                 contrastive_genes: int | None) -> None:
        self.model, self.collection = model, collection
        self.contrastive_genes = contrastive_genes
        self.new = [k for k, g in enumerate(collection) if g.dataset in set(datasets)]
        reference = list(model.reference)
        self.n_reference = len(reference)
        # one collection for the overlaps: the new graphs after the reference ones
        self.overlaps = GraphCollection([*reference, *(collection[k] for k in self.new)]
                                        ).overlaps(seed=seed)
        dev = torch.device(device)
        self.reference_embeddings = [g.graph.ndata["feat"].to(dev) for g in reference]
        self.targets = edge_targets([collection[k] for k in self.new], dev)
        self.rng = np.random.default_rng(seed)
        model.to(dev)
        groups = model.parameter_groups(lr_encoder, lr_decoder,
                                        [collection[k].dataset for k in self.new])
        self.optimizer = torch.optim.Adam(groups)
        self.trainable = {id(p) for group in groups for p in group["params"]}

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """No gradients for the weights outside the new layers while training (less work,
        and they stay put); the flags are restored after."""
        flags = [(p, p.requires_grad) for p in self.model.parameters()]
        for p, _ in flags:
            p.requires_grad_(id(p) in self.trainable)
        try:
            yield
        finally:
            for p, flag in flags:
                p.requires_grad_(flag)

    def epoch(self, epoch: int) -> list[dict]:
        self.model.train()
        rows = []
        for pos in self.rng.permutation(len(self.new)):
            k, j = self.new[pos], int(self.rng.integers(self.n_reference))
            components = self.model.pair_losses(
                self.collection[k].dataset, self.model.encode(self.collection, k),
                self.reference_embeddings[j], self.overlaps.get(self.n_reference + int(pos), j),
                self.targets[pos], self.rng, self.contrastive_genes, self.overlaps.mean_weight)
            rows.append(adam_step(self.model, self.optimizer, components, epoch=epoch, i=k, j=j))
        return rows


def fit_new_datasets(model: GraphModel, collection: GraphCollection, datasets: Sequence[str],
                     epochs: int = TrainConfig.epochs, seed: int = 0,
                     lr_encoder: float = 1e-2, lr_decoder: float = 1e-2, device: str = "cpu",
                     contrastive_genes: int | None = TrainConfig.contrastive_genes
                     ) -> pd.DataFrame:
    """Train the own layers of ``datasets`` (graphs of ``collection``, added to ``model``
    with :meth:`~dglgene.models.GraphModel.add_dataset`) against ``model.reference``.

    The arguments after ``datasets`` are :func:`~dglgene.train.fit`'s (the run's
    ``[train]`` table), the learning rates excepted (module docstring). Returns the loss
    history, one row per step (``i``: the dataset's index in ``collection``, ``j``: the
    partner's in ``model.reference``).
    """
    if model.reference is None:
        raise ValueError("the model has no reference datasets; save it with "
                         "save_muse_gnn and read it back with dglgene.models.load")
    require_at_least("epochs", epochs)
    require_device(device)
    plan = NewDatasetTraining(model, collection, datasets, seed, lr_encoder, lr_decoder,
                              device, contrastive_genes)
    with plan.frozen():
        return pd.DataFrame(run_training(plan, epochs, seed, device))
