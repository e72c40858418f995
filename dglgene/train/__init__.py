"""Training: MuSe-GNN's Algorithm-1 loop, new datasets into a trained MuSe-GNN, link
prediction with early stopping, pre-training."""

from dglgene.train.fit import fit
from dglgene.train.fit_links import fit_links, score_pairs, training_graph
from dglgene.train.fit_new_datasets import fit_new_datasets
from dglgene.train.pretrain import pretrain_scbert
from dglgene.train.settings import LinkTrainConfig, PretrainConfig, TrainConfig

__all__ = ["LinkTrainConfig", "PretrainConfig", "TrainConfig", "fit", "fit_links",
           "fit_new_datasets", "pretrain_scbert", "score_pairs",
           "training_graph"]

