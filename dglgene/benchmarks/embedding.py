"""Gene-embedding benchmarks: MuSe-GNN against its baselines (Table 1) and on gene function.

Every method of :data:`EMBEDDING_METHODS` gets the same graphs, seeds and epoch budget;
per-dataset PCA, which needs no training, stands beside them. ``dglgene bench-embed`` and
the demo run :func:`compare_methods`; :func:`compare_gene_function` scores the same runs'
embeddings on GO terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import anndata as ad
import pandas as pd

from dglgene.benchmarks.method import Method, method_table
from dglgene.data import GraphCollection
from dglgene.embed import collection_metrics
from dglgene.eval.gene_function import evaluate_gene_function, summarize_function
from dglgene.eval.metrics import METRICS, summarize_methods
from dglgene.eval.tables import SEEDS
from dglgene.models import GAE, VGAE, MuSeGNN, muse_ablation, pca_embedding
from dglgene.progress import progress
from dglgene.train import TrainConfig, fit

__all__ = ["EMBEDDING_METHODS", "compare_gene_function", "compare_methods"]

_MUSE = "Liu et al. 2023, MuSe-GNN"
#: The trained methods of MuSe-GNN's Table 1
EMBEDDING_METHODS: dict[str, Method] = method_table(
    Method("MuSe-GNN", "weight-shared graph transformers, three losses", _MUSE,
           make=lambda coll, seed: MuSeGNN(coll, seed=seed)),
    Method("MuSe-GNN (recon only)", "MuSe-GNN trained on graph reconstruction alone", _MUSE,
           make=lambda coll, seed: muse_ablation(coll, seed=seed)),
    Method("GAE", "graph autoencoder, one per dataset", "Kipf & Welling 2016",
           make=lambda coll, seed: GAE(coll, seed=seed)),
    Method("VGAE", "variational graph autoencoder, one per dataset", "Kipf & Welling 2016",
           make=lambda coll, seed: VGAE(coll, seed=seed)),
)


def compare_gene_function(runs: dict, collection: GraphCollection, seeds: Sequence[int],
                          ontology: str = "bp", splits: Sequence[str] = ("test",),
                          methods: Sequence[str] | None = None
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GO-term prediction (:func:`~dglgene.eval.evaluate_gene_function`) of the runs of
    :func:`compare_methods` (``methods``: which; default all) and of the floors, each seed
    on its own folds, the terms of ``splits``.

    Returns the per-term scores (method, seed, view, term, ...) and their summary
    (:func:`~dglgene.eval.summarize_function`, MuSe-GNN as the reference of the paired
    tests, with the sd over seeds).
    """
    tables = []
    for seed in progress(seeds, "gene function"):
        chosen = {name: emb for (name, s), (emb, _) in runs.items()
                  if s == seed and (methods is None or name in methods)}
        _, scores = evaluate_gene_function(chosen, collection, ontology, seed=seed,
                                           splits=splits)
        tables.append(scores.assign(seed=seed))
    scores = pd.concat(tables, ignore_index=True)
    return scores, summarize_function(scores, "MuSe-GNN", split="all")



def compare_methods(collection: GraphCollection, seeds: Sequence[int] = SEEDS,
                    epochs: int = TrainConfig.epochs, methods: Mapping[str, Method] | None = None,
                    evaluate: Callable[[ad.AnnData, int], dict[str, float]] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Table-1 comparison: every method on the same graphs, seeds and epoch budget.

    Returns the per-seed table (method, seed, six metrics, avg_score, avg_rank; the last
    two computed across methods within each seed), its mean and standard deviation per
    method, and ``{(method, seed): (embedding, history or None)}``. ``evaluate(emb, seed)``
    adds columns of its own (e.g. planted-module or GO scores) after Avg Score and Avg Rank,
    which do not include them. ``methods``: the trained methods, a method table (default
    :data:`EMBEDDING_METHODS`); PCA is always one.
    """
    methods = EMBEDDING_METHODS if methods is None else methods
    rows, runs = [], {}
    for seed in progress(seeds, "seeds"):
        runs["PCA", seed] = (pca_embedding(collection, seed=seed), None)
        for name, method in methods.items():
            model = method.make(collection, seed)
            history = fit(model, collection, epochs=epochs, seed=seed)
            runs[name, seed] = (model.embed(collection), history)
        table = pd.DataFrame({name: collection_metrics(runs[name, seed][0], collection, seed)
                              for name in ["PCA", *methods]}).T[list(METRICS)]
        summary = summarize_methods(table)
        if evaluate is not None:
            summary = summary.join(pd.DataFrame({
                name: evaluate(runs[name, seed][0], seed) for name in summary.index}).T)
        summary["seed"] = seed
        rows.append(summary)
    per_seed = pd.concat(rows).rename_axis("method").reset_index()
    stats = per_seed.drop(columns="seed").groupby("method", sort=False).agg(["mean", "std"])
    return per_seed, stats, runs
