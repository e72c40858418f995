"""``dglgene embed``: .h5ad files -> gene graphs -> MuSe-GNN -> embeddings, metrics, GO
enrichment of the clusters, plots, and the trained model (``out/model``).

With ``--model`` (:func:`embed_with_model`), a saved model embeds the files instead:
those it was trained on with their own layers, new ones after training only theirs.

Everything is written into a temporary directory that replaces ``out`` only when the whole
run succeeded, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from dglgene.atomic import atomic_path
from dglgene.config import RunConfig, parse_config, table_values, with_epochs
from dglgene.data import Expression, GraphCollection, GraphRecipe, build_collection
from dglgene.datasets.go import go_gene_sets
from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.eval.embedding import annotate_embedding, cluster_embedding
from dglgene.eval.enrichment import embedding_clusters, enrich_clusters, plot_enrichment
from dglgene.eval.gene_function import (
    evaluate_gene_function,
    plot_function_scores,
    summarize_function,
)
from dglgene.eval.metrics import embedding_metrics
from dglgene.eval.plots import plot_training, plot_umap
from dglgene.models import (
    DatasetRecord,
    MuSeGNN,
    load,
    pca_embedding,
)
from dglgene.progress import Stages
from dglgene.train import fit, fit_new_datasets
from dglgene.train.distributed import Ranks, current_ranks


def collection_metrics(emb: ad.AnnData, collection: GraphCollection, seed: int = 0
                       ) -> dict[str, float]:
    """The six MuSe-GNN metrics of an embedding of ``collection`` (rows in its order), on
    its ``obs["cluster"]`` (:func:`~dglgene.eval.cluster_embedding`, added if missing)."""
    adjacency = {g.dataset: g.adjacency() for g in collection}
    clusters = cluster_embedding(emb, seed=seed).obs["cluster"].astype(int).to_numpy()
    return embedding_metrics(emb.X, emb.obs["gene"].astype(str).to_numpy(),
                             emb.obs["dataset"].astype(str).to_numpy(), adjacency, seed=seed,
                             clusters=clusters)


def train_muse(collection: GraphCollection, config: RunConfig, seed: int, device: str,
               checkpoint: str | Path | None = None, resume: bool = False
               ) -> tuple[MuSeGNN, pd.DataFrame]:
    model = MuSeGNN(collection, **table_values(config.model))
    history = fit(model, collection, seed=seed, device=device, checkpoint=checkpoint,
                  resume=resume, **table_values(config.train))
    return model, history


def run_embed(inputs: Sequence[str | Path | ad.AnnData], out: str | Path, config: RunConfig,
              seed: int = 0, device: str = "cpu", checkpoint: str | Path | None = None,
              resume: bool = False) -> dict[str, float]:
    """Build graphs, train MuSe-GNN, write embeddings, metrics, gene-function scores
    (:func:`function_scores`), plots and the model (``out/model``,
    :func:`~dglgene.models.save_muse_gnn`) to ``out``.

    With ``checkpoint``, training state is saved there after every epoch; ``resume=True``
    continues from it (to exactly the result of an uninterrupted run, on CPU)."""
    if len(inputs) < 2:
        raise DglgeneInputError(f"MuSe-GNN needs at least two datasets, got {len(inputs)}; "
                                "pass two or more .h5ad files")
    stages = Stages()
    with stages("graphs"):
        collection = build_collection(inputs, config.graphs)
    if not any(g.n_edges for g in collection):
        raise DglgeneInputError(
            f"no co-expression edge in any of the {len(collection)} graphs (their genes look "
            "independent), so there is nothing to embed; check that X holds counts of real "
            "cells, or keep more genes and cells")
    with stages("overlaps"):
        collection.overlaps(seed=seed)  # kept by the collection for training
    with stages("training"):
        model, history = train_muse(collection, config, seed, device, checkpoint, resume)
    ranks = current_ranks()
    if not ranks.is_first:  # the weights are rank 0's: it alone embeds and writes
        return {}
    with stages("evaluation"):
        emb = annotate_embedding(model.embed(collection), seed=seed)  # clustered once
        metrics = collection_metrics(emb, collection, seed)
        scores = function_scores(emb, collection, seed)
    with stages("writing"), atomic_path(out, directory=True) as tmp:
        write_embedding_outputs(tmp, emb, history, seed)
        write_function_outputs(tmp, scores)
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2))
        record = {**run_record(history, ranks, seed, device), "seconds": stages.seconds,
                  "graph_seconds": graph_seconds(collection)}
        (tmp / RUN_FILE).write_text(json.dumps(record, indent=2))
        model.save(tmp / "model", collection, saved_config(config), embedding=emb)
    return metrics


#: what ``dglgene embed`` writes of how the run was made
RUN_FILE = "run.json"


def run_record(history: pd.DataFrame, ranks: Ranks, seed: int, device: str) -> dict:
    """How a training run was made: seed, device, world size, backend and the number of
    steps (pairs) each rank computed."""
    steps = (history["rank"].value_counts().reindex(range(ranks.world_size), fill_value=0)
             .tolist() if "rank" in history else [len(history)])
    return {"seed": seed, "device": device, "world_size": ranks.world_size,
            "backend": ranks.backend, "steps_per_rank": [int(n) for n in steps]}


def graph_seconds(collection: GraphCollection) -> dict[str, float]:
    """Seconds spent in each step of graph building, summed over the datasets (they are
    built in parallel, so the sum may exceed the wall time)."""
    total: dict[str, float] = {}
    for g in collection:
        for step, seconds in g.info.get("step_seconds", {}).items():
            total[step] = round(total.get(step, 0.0) + seconds, 3)
    return total


def saved_config(config: RunConfig) -> dict:
    """The run's tables as a saved model keeps them: every ``[graphs]`` value the recipe
    used, defaults included (a later default must not change how new datasets are built),
    and the ``[train]`` table."""
    return {"graphs": table_values(config.graphs), "train": table_values(config.train)}


def _keep_known_genes(known: Mapping[str, DatasetRecord], recipe: GraphRecipe,
                      model_dir: str | os.PathLike) -> GraphRecipe:
    """``recipe`` with a gene selection that gives a dataset the model knows exactly the
    model's genes for it (a joint selection would depend on the other inputs), and a new
    dataset its own top genes."""
    def select(expr: Expression, recipe: GraphRecipe) -> tuple[np.ndarray, str]:
        record = known.get(expr.meta.dataset)
        if record is None:
            return own(expr, recipe)
        where = pd.Index(expr.genes).get_indexer(list(record.genes))
        if (where < 0).any():
            missing = np.asarray(record.genes)[where < 0]
            raise DglgeneInputError(
                f"{expr.meta.dataset}: the model in {model_dir} knows a dataset of this name "
                f"but {len(missing)} of its {record.n_genes} genes ({', '.join(missing[:3])}"
                f"{', ...' if len(missing) > 3 else ''}) are not in this input after QC; to "
                "embed it as a new dataset, give it another name (adata.uns['dataset'])")
        return np.sort(where), f"the model's {record.n_genes} genes"

    own = recipe.select_genes
    return dataclasses.replace(recipe, shared_genes=0, select_genes=select)


def _join_model(model: MuSeGNN, collection: GraphCollection,
                known: Mapping[str, DatasetRecord], model_dir: str | os.PathLike, seed: int
                ) -> list[str]:
    """Check the datasets the model knows; give each new one its own layers (in the sharing
    group it would have had). Returns the new datasets' names."""
    vocabulary = set(model.reference.vocabulary)
    new = []
    for g in collection:
        record = DatasetRecord.of(g)
        if g.dataset in known:
            if record.n_feats != known[g.dataset].n_feats:
                raise DglgeneInputError(
                    f"{g.dataset}: node features of width {record.n_feats}, but the model in "
                    f"{model_dir} was trained on width {known[g.dataset].n_feats} (other "
                    "cells?); give it another name to embed it as a new dataset")
            continue
        if not vocabulary & set(g.genes):
            raise DglgeneInputError(
                f"{g.dataset}: none of its genes is among the model's {len(vocabulary)}; check "
                "that it uses the same gene naming (e.g. HGNC symbols, not Ensembl ids)")
        model.add_dataset(record, seed=seed)
        new.append(g.dataset)
    return new


def embed_with_model(inputs: Sequence[str | Path | ad.AnnData], model_dir: str | os.PathLike,
                     out: str | Path, seed: int = 0, device: str = "cpu",
                     epochs: int | None = None) -> dict:
    """Embed ``inputs`` with the MuSe-GNN saved in ``model_dir``; write to ``out`` what
    :func:`run_embed` writes (metrics with two or more datasets; ``model/`` when new
    datasets joined: the model with their layers).

    Graphs are built with the model's recipe. A dataset the model knows (same name, same
    genes) is embedded with its own layers; a new one gets its own first layer and decoder,
    trained for ``epochs`` (default: the model's ``[train]`` epochs) against the frozen
    rest (:func:`~dglgene.train.fit_new_datasets`, at its own learning rates). Returns
    ``known``, ``new``, the training ``seconds``, ``epochs`` and ``metrics``.
    """
    if current_ranks().world_size > 1:
        raise DglgeneInputError("embedding with a saved model (--model) runs in one process; "
                                "start it without torchrun")
    model = load(model_dir, device)
    if not isinstance(model, MuSeGNN):
        raise DglgeneInputError(f"{model_dir}: an scTransNet model (`dglgene grn`); --model "
                                "needs the model directory that `dglgene embed` wrote")
    # checked as a config file is; TOML has no null: None is those keys' default
    graphs = {k: v for k, v in model.config["graphs"].items() if v is not None}
    config = parse_config({"graphs": graphs, "train": model.config["train"]})
    if epochs is not None:
        require_at_least("--epochs", epochs)
        config = with_epochs(config, epochs)
    known = {r.dataset: r for r in model.records}
    stages = Stages()
    with stages("graphs"):
        collection = build_collection(inputs, _keep_known_genes(known, config.graphs,
                                                                model_dir))
    new = _join_model(model, collection, known, model_dir, seed)
    history, start = None, time.perf_counter()
    if new:  # at fit_new_datasets' own learning rates, not those of a full model's training
        with stages("training"):
            history = fit_new_datasets(model, collection, new, seed=seed, device=device,
                                       epochs=config.train.epochs,
                                       contrastive_genes=config.train.contrastive_genes)
    seconds = time.perf_counter() - start
    with stages("evaluation"):
        emb = annotate_embedding(model.embed(collection), seed=seed)
        metrics = collection_metrics(emb, collection, seed) if len(collection) > 1 else {}
    with stages("writing"), atomic_path(out, directory=True) as tmp:
        write_embedding_outputs(tmp, emb, history, seed)
        if metrics:
            (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2))
        if new:
            model.save(tmp / "model", collection, embedding=emb)
    return {"known": [g.dataset for g in collection if g.dataset in known], "new": new,
            "seconds": seconds, "epochs": config.train.epochs, "metrics": metrics}


def write_embedding_outputs(out: Path, emb: ad.AnnData, history: pd.DataFrame | None,
                            seed: int) -> pd.DataFrame:
    """Lay out ``emb`` (in place; its clusters are :func:`~dglgene.eval.cluster_embedding`'s,
    computed once), then write its files under ``out``, each atomically:
    gene_embeddings.h5ad, training_history.csv, enrichment.csv, umap.png, training.png,
    enrichment.png (no training files without a ``history``). Returns the cluster
    enrichment table."""
    if "X_umap" not in emb.obsm:
        annotate_embedding(emb, seed=seed)
    enrichment = cluster_enrichment(emb)
    with atomic_path(out / "gene_embeddings.h5ad") as tmp:
        emb.write_h5ad(tmp)
    if history is not None:
        with atomic_path(out / "training_history.csv") as tmp:
            history.to_csv(tmp, index=False)
        plot_training(history, out / "training.png")
    with atomic_path(out / "enrichment.csv") as tmp:
        enrichment.to_csv(tmp, index=False)
    plot_umap(emb, out / "umap.png")
    plot_enrichment(enrichment, out / "enrichment.png")
    return enrichment


def cluster_enrichment(emb: ad.AnnData, ontology: str = "bp") -> pd.DataFrame:
    """GO enrichment of each cluster of an annotated embedding, all embedded genes as the
    background (hypergeometric test, BH FDR per cluster)."""
    return enrich_clusters(embedding_clusters(emb), go_gene_sets(ontology))


def function_scores(emb: ad.AnnData, collection: GraphCollection, seed: int
                    ) -> pd.DataFrame | None:
    """Per-term scores of ``emb`` (MuSe-GNN), per-dataset PCA and the floors on the GO-BP
    test terms (:func:`~dglgene.eval.gene_function.evaluate_gene_function`), or None (with a
    note on stderr) where too few genes are annotated human genes to score (other species,
    or unmapped names)."""
    methods = {"MuSe-GNN": emb, "PCA": pca_embedding(collection, dim=emb.n_vars, seed=seed)}
    try:
        return evaluate_gene_function(methods, collection, seed=seed)[1]
    except DglgeneInputError as error:
        print(f"gene-function scores skipped: {error}", file=sys.stderr)
        return None


def write_function_outputs(out: Path, scores: pd.DataFrame | None) -> pd.DataFrame | None:
    """Write :func:`function_scores`' ``scores`` as ``function.csv`` (per term),
    ``function_summary.csv`` and ``function.png`` under ``out``; return the summary (None
    and nothing written without scores)."""
    if scores is None:
        return None
    with atomic_path(out / "function.csv") as tmp:
        scores.to_csv(tmp, index=False)
    plot_function_scores(scores, out / "function.png")
    summary = summarize_function(scores, "MuSe-GNN")
    with atomic_path(out / "function_summary.csv") as tmp:
        summary.to_csv(tmp, index=False)
    return summary
