"""The yardstick's own settings, chosen on development terms: the logistic scorer's C and
the kNN scorer's k, for a saved MuSe-GNN embedding, per-dataset PCA and the floors.

    python bench/function_settings.py out/pbmc/emb/topk10.h5ad out/pbmc/graphs/<recipe>

Prints one line per setting: the mean AUROC of every method in the unified view over the
GO-BP development terms.
"""

from __future__ import annotations

import argparse
import json

import anndata as ad

from dglgene.data import GraphCollection
from dglgene.eval import function_floors, function_scores, function_task
from dglgene.eval.gene_function import unified_degree
from dglgene.models import pca_embedding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("embedding")
    parser.add_argument("graphs")
    parser.add_argument("--C", type=float, nargs="+", default=[0.01, 0.1, 1.0, 10.0])
    parser.add_argument("--k", type=int, nargs="+", default=[10, 25, 50])
    args = parser.parse_args()
    collection = GraphCollection.load(args.graphs)
    methods = {"MuSe-GNN": ad.read_h5ad(args.embedding),
               "PCA": pca_embedding(collection, seed=0)}
    task = function_task([g for graph in collection for g in graph.genes], "bp",
                         splits=("dev",))
    degree = unified_degree(task, collection)
    settings = [("logistic", {"C": c}) for c in args.C] + [("knn", {"k": k}) for k in args.k]
    for scorer, option in settings:
        means = {name: function_scores(task, emb, views=("unified",), scorer=scorer,
                                       degree=degree, **option)["auroc"].mean()
                 for name, emb in methods.items()}
        if scorer == "logistic":
            floors = function_floors(task, collection, methods["MuSe-GNN"],
                                     views=("unified",), degree=degree, **option)
            means.update({name: table["auroc"].mean() for name, table in floors.items()})
        print(json.dumps({"scorer": scorer, **option,
                          **{k: round(float(v), 4) for k, v in means.items()}}), flush=True)


if __name__ == "__main__":
    main()
