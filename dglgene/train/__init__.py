"""Training: MuSe-GNN's Algorithm-1 loop, link prediction with early stopping, pre-training."""

from dglgene.train.fit import fit
from dglgene.train.fit_links import fit_links, score_pairs, training_graph
from dglgene.train.pretrain import pretrain_scbert, run_pretrain

__all__ = ["fit", "fit_links", "pretrain_scbert", "run_pretrain", "score_pairs", "training_graph"]
