"""``dglgene embed``: .h5ad files -> gene graphs -> MuSe-GNN -> embeddings, metrics, GO
enrichment of the clusters, plots.

Everything is written into a temporary directory that replaces ``out`` only when the whole
run succeeded, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import anndata as ad
import pandas as pd

from dglgene.atomic import atomic_path
from dglgene.config import RunConfig
from dglgene.data import GraphCollection, build_collection
from dglgene.datasets.go import go_gene_sets
from dglgene.eval.embedding import annotate_embedding
from dglgene.eval.enrichment import embedding_clusters, enrich_clusters, plot_enrichment
from dglgene.eval.gene_knn import coexpression_degree, unified_embedding
from dglgene.eval.go_prediction import summarize_go_prediction
from dglgene.eval.metrics import METRICS, embedding_metrics, summarize_methods
from dglgene.eval.plots import plot_training, plot_umap
from dglgene.models import GAE, VGAE, MuSeGNN, muse_ablation, pca_embedding
from dglgene.progress import progress
from dglgene.train import fit

# The comparison of MuSe-GNN's Table 1: trained methods get the same seeds and epochs.
TRAINED_METHODS = {
    "MuSe-GNN": lambda coll, seed: MuSeGNN(coll, seed=seed),
    "MuSe-GNN (recon only)": lambda coll, seed: muse_ablation(coll, seed=seed),
    "GAE": lambda coll, seed: GAE(coll, seed=seed),
    "VGAE": lambda coll, seed: VGAE(coll, seed=seed),
}


def collection_metrics(emb: ad.AnnData, collection: GraphCollection, seed: int = 0
                       ) -> dict[str, float]:
    """The six MuSe-GNN metrics of an embedding of ``collection`` (rows in its order)."""
    adjacency = {g.dataset: g.adjacency() for g in collection}
    return embedding_metrics(emb.X, emb.obs["gene"].astype(str).to_numpy(),
                             emb.obs["dataset"].astype(str).to_numpy(), adjacency, seed=seed)


def train_muse(collection: GraphCollection, config: RunConfig, seed: int, device: str,
               checkpoint: str | Path | None = None, resume: bool = False
               ) -> tuple[MuSeGNN, pd.DataFrame]:
    model = MuSeGNN(collection, **config.model)
    history = fit(model, collection, seed=seed, device=device, checkpoint=checkpoint,
                  resume=resume, **config.train)
    return model, history


def run_embed(inputs: Sequence[str | Path | ad.AnnData], out: str | Path, config: RunConfig,
              seed: int = 0, device: str = "cpu", checkpoint: str | Path | None = None,
              resume: bool = False) -> dict[str, float]:
    """Build graphs, train MuSe-GNN, write embeddings, metrics and plots to ``out``.

    With ``checkpoint``, training state is saved there after every epoch; ``resume=True``
    continues from it (to exactly the result of an uninterrupted run, on CPU)."""
    if len(inputs) < 2:
        raise ValueError(f"MuSe-GNN needs at least two datasets, got {len(inputs)}; "
                         "pass two or more .h5ad files")
    collection = build_collection(inputs, config.recipe())
    model, history = train_muse(collection, config, seed, device, checkpoint, resume)
    emb = model.embed(collection)
    metrics = collection_metrics(emb, collection, seed)
    with atomic_path(out, directory=True) as tmp:
        write_embedding_outputs(tmp, emb, history, seed)
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def write_embedding_outputs(out: Path, emb: ad.AnnData, history: pd.DataFrame, seed: int
                            ) -> pd.DataFrame:
    """Cluster and lay out ``emb`` (in place), then write its files under ``out``, each
    atomically: gene_embeddings.h5ad, training_history.csv, enrichment.csv, umap.png,
    training.png, enrichment.png. Returns the cluster enrichment table."""
    annotate_embedding(emb, seed=seed)
    enrichment = cluster_enrichment(emb)
    with atomic_path(out / "gene_embeddings.h5ad") as tmp:
        emb.write_h5ad(tmp)
    with atomic_path(out / "training_history.csv") as tmp:
        history.to_csv(tmp, index=False)
    with atomic_path(out / "enrichment.csv") as tmp:
        enrichment.to_csv(tmp, index=False)
    plot_umap(emb, out / "umap.png")
    plot_training(history, out / "training.png")
    plot_enrichment(enrichment, out / "enrichment.png")
    return enrichment


def cluster_enrichment(emb: ad.AnnData, ontology: str = "bp") -> pd.DataFrame:
    """GO enrichment of each cluster of an annotated embedding, all embedded genes as the
    background (hypergeometric test, BH FDR per cluster)."""
    return enrich_clusters(embedding_clusters(emb), go_gene_sets(ontology))


def compare_gene_function(runs: dict, seeds: Sequence[int]) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    """Median GO-term prediction AUROC (BP, MF, CC) of every run of :func:`compare_methods`,
    beside a random embedding and the co-expression degree, on the same genes and folds.

    Returns the per-seed table (method, seed, BP, MF, CC) and its mean and sd per method.
    """
    first = runs[next(iter(runs))][0]
    degree = coexpression_degree(first)
    rows = []
    for seed in progress(seeds, "GO prediction"):
        methods = {name: unified_embedding(emb) for (name, s), (emb, _) in runs.items()
                   if s == seed}
        table = summarize_go_prediction(methods, degree=degree, seed=seed)
        rows.append(table.assign(seed=seed))
    per_seed = pd.concat(rows).rename_axis("method").reset_index()
    stats = per_seed.drop(columns="seed").groupby("method", sort=False).agg(["mean", "std"])
    return per_seed, stats


def compare_methods(collection: GraphCollection, seeds: Sequence[int] = (0, 1, 2),
                    epochs: int = 100,
                    evaluate: Callable[[ad.AnnData, int], dict[str, float]] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Table-1 comparison: every method on the same graphs, seeds and epoch budget.

    Returns the per-seed table (method, seed, six metrics, avg_score, avg_rank; the last
    two computed across methods within each seed), its mean and standard deviation per
    method, and ``{(method, seed): (embedding, history or None)}``. ``evaluate(emb, seed)``
    adds columns of its own (e.g. planted-module or GO scores) after Avg Score and Avg Rank,
    which do not include them.
    """
    rows, runs = [], {}
    for seed in progress(seeds, "seeds"):
        runs["PCA", seed] = (pca_embedding(collection, seed=seed), None)
        for name, make in TRAINED_METHODS.items():
            model = make(collection, seed)
            history = fit(model, collection, epochs=epochs, seed=seed)
            runs[name, seed] = (model.embed(collection), history)
        table = pd.DataFrame({name: collection_metrics(runs[name, seed][0], collection, seed)
                              for name in ["PCA", *TRAINED_METHODS]}).T[list(METRICS)]
        summary = summarize_methods(table)
        if evaluate is not None:
            summary = summary.join(pd.DataFrame({
                name: evaluate(runs[name, seed][0], seed) for name in summary.index}).T)
        summary["seed"] = seed
        rows.append(summary)
    per_seed = pd.concat(rows).rename_axis("method").reset_index()
    stats = per_seed.drop(columns="seed").groupby("method", sort=False).agg(["mean", "std"])
    return per_seed, stats, runs
