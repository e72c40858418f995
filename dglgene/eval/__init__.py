"""Evaluation: metrics and plots."""

from dglgene.eval.plots import plot_pair_overlaps

__all__ = ["plot_pair_overlaps"]
