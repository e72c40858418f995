"""Benchmarks as an API: method tables of named fields and one comparison per task.

- :mod:`~dglgene.benchmarks.method`: :class:`Method`, one row of a method table;
- :mod:`~dglgene.benchmarks.embedding`: :data:`EMBEDDING_METHODS`, MuSe-GNN's Table 1
  (:func:`compare_methods`) and GO-term prediction of the same runs
  (:func:`compare_gene_function`): ``dglgene bench-embed``;
- :mod:`~dglgene.benchmarks.grn`: :data:`GRN_METHODS`, the built-in GRN benchmarks
  (:func:`benchmark_datasets`) and :func:`compare_grn`: ``dglgene bench-grn``.

>>> from dglgene.benchmarks import EMBEDDING_METHODS, GRN_METHODS
>>> list(EMBEDDING_METHODS)[0], GRN_METHODS["no GNN"].settings
('MuSe-GNN', {'gnn': None})
"""

from dglgene.benchmarks.embedding import EMBEDDING_METHODS, compare_gene_function, compare_methods
from dglgene.benchmarks.grn import (
    BENCHMARK_GROUPS,
    BENCHMARK_SETTINGS,
    COLLECTRI_BENCHMARKS,
    ENCODER_CELLS,
    GRN_METHODS,
    SERGIO_BENCHMARK,
    benchmark_datasets,
    benchmark_names,
    compare_grn,
)
from dglgene.benchmarks.method import Method, method_table

__all__ = ["BENCHMARK_GROUPS", "BENCHMARK_SETTINGS", "COLLECTRI_BENCHMARKS",
           "EMBEDDING_METHODS", "ENCODER_CELLS", "GRN_METHODS", "SERGIO_BENCHMARK", "Method",
           "benchmark_datasets", "benchmark_names", "compare_gene_function", "compare_grn",
           "compare_methods", "method_table"]
