"""The built-in GRN benchmarks and ``dglgene bench-grn``'s loop over them.

Every method of :data:`GRN_METHODS` and every baseline sees the same splits and seeds. The
encoder is pre-trained once per dataset (seed 0, self-supervised on the cells: no labels
involved), as a foundation model is a fixed input; GENIE3, which sees no labels either, fits
its forests once per dataset (seed 0) for the same reason. The seeds vary the splits and
the GRN training.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch

from dglgene.benchmarks.method import Method, method_table
from dglgene.data.grn_data import GRNData
from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.eval.tables import SEEDS
from dglgene.grn.encoder import encoder_encodings
from dglgene.grn.methods import (
    BASELINES,
    EncoderSource,
    baseline_scores,
    method_metrics,
    train_scores,
)
from dglgene.grn.report import per_tf_auroc
from dglgene.grn.settings import GRNSettings
from dglgene.grn.splits import SPLIT_KINDS, make_splits
from dglgene.progress import progress

__all__ = ["BENCHMARK_GROUPS", "BENCHMARK_SETTINGS", "COLLECTRI_BENCHMARKS", "ENCODER_CELLS",
           "GRN_METHODS", "SERGIO_BENCHMARK", "benchmark_datasets", "benchmark_names",
           "compare_grn"]

_SCTRANSNET = "Kommu et al. 2024, scTransNet"
#: scTransNet and its ablations, each as changes to the run's settings
GRN_METHODS: dict[str, Method] = method_table(
    Method("scTransNet", "pooled transformer gene representations + a GAT over the known "
           "GRN", _SCTRANSNET, uses_encoder=True),
    Method("GENELink (no transformer)", "the GAT over the known GRN alone",
           "Chen & Liu 2022, GENELink"),
    Method("no GNN", "the transformer view alone", _SCTRANSNET, uses_encoder=True,
           settings={"gnn": None}),
    Method("mean pooling", "scTransNet with a mean instead of attention over cells",
           _SCTRANSNET, uses_encoder=True, settings={"pooling": "mean"}),
)

#: The SERGIO benchmark: 20 TFs, each a master regulator (no cascade, so co-expression can
#: tell direct targets from indirect ones), 200 targets, 900 cells over 9 cell types
#: (SERGIO's published DS1-3 setting), technical noise on.
SERGIO_BENCHMARK: dict = dict(n_tfs=20, n_targets=200, n_cells=900, n_cell_types=9,
                              cascade=False)


#: the CollecTRI benchmarks on real cells: name -> (built-in set, non-TF genes)
COLLECTRI_BENCHMARKS: dict[str, tuple[str, int]] = {
    "collectri": ("celltypist", 500), "collectri-1000": ("celltypist", 1000),
    "collectri-kang": ("kang-control", 500), "collectri-kang-1000": ("kang-control", 1000),
    "collectri-pbmc3k": ("pbmc3k", 500), "collectri-pbmc3k-1000": ("pbmc3k", 1000),
}

#: names that stand for several benchmarks
BENCHMARK_GROUPS: dict[str, tuple[str, ...]] = {
    "collectri-pbmc": ("collectri-kang", "collectri-kang-1000", "collectri-pbmc3k",
                       "collectri-pbmc3k-1000"),
}

#: what a benchmark changes in the settings, and why. CollecTRI's 72,000-130,000 training
#: pairs (CellTypist) take 280-510 steps of 256 per epoch (23 s an epoch on one core for
#: TFs + 500); 4096 pairs per step are 16 times fewer steps at the same validation AUROC
#: (transductive, seed 0: 0.9112 at 4096, 0.9106 at 2048, 0.9105 at 1024; 53, 76 and 186 s
#: a model on one core). Every CollecTRI benchmark uses it.
BENCHMARK_SETTINGS: dict[str, dict] = {name: {"batch_size": 4096}
                                       for name in COLLECTRI_BENCHMARKS}


#: what the encoder of :func:`compare_grn` is pre-trained on: each benchmark's own cells, or
#: (for the benchmarks on the built-in real human cells) every built-in real set's cells
#: over the benchmark's genes (:func:`~dglgene.datasets.collectri.real_cells`)
ENCODER_CELLS = ("own", "all-real")


def benchmark_names(names: Sequence[str]) -> list[str]:
    """``names`` with each group of :data:`BENCHMARK_GROUPS` replaced by its members,
    in order, each once.

    >>> benchmark_names(["sergio", "collectri-pbmc"])[:3]
    ['sergio', 'collectri-kang', 'collectri-kang-1000']
    """
    out: list[str] = []
    for name in names:
        for member in BENCHMARK_GROUPS.get(name, (name,)):
            if member not in out:
                out.append(member)
    return out


def benchmark_datasets(names: Sequence[str] = ("sergio", "mdc", "collectri")
                       ) -> dict[str, GRNData]:
    """The built-in GRN benchmarks by name (all offline); a group of
    :data:`BENCHMARK_GROUPS` stands for its members.

    ``sergio``: a SERGIO simulation from RegNetwork edges (planted answer,
    :data:`SERGIO_BENCHMARK`); ``sergio-cascade``: SERGIO's default cascade of 20 TFs
    driven by a few master regulators, 100 targets, 300 cells, 3 cell types (a hard case:
    co-expression hardly separates direct targets); ``mdc``: real BEELINE mouse dendritic
    cells, TFs + 500, cell-type-specific ChIP-seq; ``collectri*``: real human cells with
    CollecTRI edges (:data:`COLLECTRI_BENCHMARKS`: the CellTypist immune sample, Kang et
    al.'s control PBMCs and 10x PBMC 3k, TFs + 500 or TFs + 1000).
    """
    from dglgene.datasets import load_beeline_mdc, load_collectri_benchmark, simulate_sergio_grn

    makers = {
        "sergio": lambda: simulate_sergio_grn(**SERGIO_BENCHMARK, seed=0),
        "sergio-cascade": lambda: simulate_sergio_grn(seed=0),
        "mdc": lambda: load_beeline_mdc("specific"),
    }
    for name, (cells, n_genes) in COLLECTRI_BENCHMARKS.items():
        makers[name] = functools.partial(load_collectri_benchmark, cells, n_genes)
    names = benchmark_names(names)
    unknown = [n for n in names if n not in makers]
    if unknown:
        raise DglgeneInputError(f"unknown GRN benchmark {unknown[0]!r}; choose from "
                                f"{', '.join([*makers, *BENCHMARK_GROUPS])}")
    return {name: makers[name]() for name in names}


def compare_grn(datasets: Mapping[str, GRNData], splits: Sequence[str] = SPLIT_KINDS,
                seeds: Sequence[int] = SEEDS, settings: GRNSettings | None = None,
                methods: Sequence[str] = tuple(GRN_METHODS), baselines: Sequence[str] = BASELINES,
                checkpoints: Mapping[str, str | os.PathLike] | None = None,
                device: str = "cpu", encoder_cells: str = "own", jobs: int = 1
                ) -> pd.DataFrame:
    """Every method and baseline on every dataset, split kind and seed: one row each.

    ``checkpoints``: dataset name -> encoder checkpoint (default: pre-train one on the
    cells :data:`ENCODER_CELLS` ``encoder_cells`` names).
    A built-in benchmark's :data:`BENCHMARK_SETTINGS` change ``settings`` for it.
    ``jobs > 1`` trains that many models at once, each in a forked process on one thread
    (CPU only): the same rows, bit for bit, as ``jobs=1`` on one thread.
    Columns: dataset, split, seed, method, auroc, auprc, auprc_ratio, epr, positive_rate;
    ``attrs["per_tf"]``: every method's AUROC per test TF
    (:func:`~dglgene.grn.report.per_tf_auroc`, with dataset, split and seed, TFs by name),
    for paired comparisons across TFs (:func:`~dglgene.grn.report.paired_tf_comparison`).
    """
    if encoder_cells not in ENCODER_CELLS:
        raise DglgeneInputError(f"unknown encoder cells {encoder_cells!r}; choose one of "
                                f"{', '.join(ENCODER_CELLS)}")
    others = [name for name in datasets if name not in COLLECTRI_BENCHMARKS]
    if encoder_cells == "all-real" and others:
        raise DglgeneInputError(f"{others[0]} is not built on the built-in real human cells; "
                                "pre-training on all of them is for the collectri* "
                                "benchmarks only")
    require_at_least("jobs", jobs)
    if jobs > 1 and device != "cpu":
        raise DglgeneInputError("parallel jobs are CPU processes; use one job (--jobs 1) "
                                "on a GPU")
    base = settings or GRNSettings()
    checkpoints = checkpoints or {}
    rows, per_tf = [], []
    for name, data in datasets.items():
        settings = replace(base, **BENCHMARK_SETTINGS.get(name, {}))
        needs_encoder = any(GRN_METHODS[m].uses_encoder for m in methods)
        cells = None
        if needs_encoder and encoder_cells == "all-real" and name not in checkpoints:
            from dglgene.datasets.collectri import real_cells
            cells = list(real_cells(data.genes).values())
        source = encoder_encodings(data, "scbert", checkpoints.get(name), settings, device,
                                   pretrain_cells=cells) if needs_encoder else None
        parts = {(kind, seed): make_splits(data, kind, seed) for kind in splits for seed in seeds}
        tasks = [(key, method) for key in parts for method in methods]
        trained = dict(zip(tasks, _train_all(_Models(data, parts, source, settings, device),
                                             tasks, jobs, name)))
        # GENIE3 sees no labels: like the encoder, its forests are a fixed input, fitted
        # once per dataset (seed 0) and shared by every split and seed
        forests: dict = {}
        for (kind, seed), split in parts.items():
            scores = {method: trained[(kind, seed), method] for method in methods}
            scores.update(baseline_scores(data, split, seed, baselines, forests, genie3_seed=0))
            labels = split["test"]["label"].to_numpy()
            for method, metrics in method_metrics(labels, scores).items():
                rows.append({"dataset": name, "split": kind, "seed": seed,
                             "method": method, **metrics})
            tfs = per_tf_auroc(split["test"], scores)
            per_tf.append(tfs.assign(dataset=name, split=kind, seed=seed,
                                     tf=np.asarray(data.genes, dtype=object)[tfs["tf"]]))
    out = pd.DataFrame(rows)
    out.attrs["per_tf"] = pd.concat(per_tf, ignore_index=True) if per_tf else pd.DataFrame()
    return out


@dataclass
class _Models:
    """What every model of one benchmark is trained from; a task names the split and method."""

    data: GRNData
    parts: Mapping[tuple[str, int], Mapping[str, pd.DataFrame]]
    source: EncoderSource
    settings: GRNSettings
    device: str

    def __call__(self, task: tuple[tuple[str, int], str]) -> np.ndarray:
        (kind, seed), name = task
        method = GRN_METHODS[name]
        return train_scores(self.data, self.parts[kind, seed],
                            self.source if method.uses_encoder else None,
                            replace(self.settings, **method.settings), seed, self.device)[0]


_FORKED: list[_Models] = []  # what forked workers inherit instead of unpickling


def _in_fork(task: tuple[tuple[str, int], str]) -> np.ndarray:
    return _FORKED[0](task)


def _train_all(models: _Models, tasks: list, jobs: int, name: str) -> list[np.ndarray]:
    """Test scores of every task, in order, trained ``jobs`` at a time."""
    if jobs == 1:
        return [models(task) for task in progress(tasks, f"{name} models")]
    # fork: the workers share the encodings' open file and the data without copies
    _FORKED[:] = [models]
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=torch.set_num_threads, initargs=(1,)) as pool:
            return list(progress(pool.map(_in_fork, tasks), f"{name} models", len(tasks)))
    finally:
        _FORKED.clear()
