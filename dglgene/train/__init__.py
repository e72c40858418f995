"""Training: the Algorithm-1 loop with pair sampling, checkpoints and progress."""

from dglgene.train.fit import fit

__all__ = ["fit"]
