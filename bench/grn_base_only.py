"""What scTransNet's representation-free base alone scores on held-out TFs.

    python bench/grn_base_only.py --data sergio mdc

The base is the head's logistic model of the per-TF bias (the intercept for an unseen TF),
the pair's correlation and, with ``target_degree``, the target's number of known
regulators; :func:`~dglgene.train.fit_links.fit_base` fits it to its optimum, which is a
trained model's epoch 0. No representation is used (a constant embedding stands in for
one). Prints one JSON line per (dataset, seed): the number of TFs in each split and the
base's validation and test AUROC without and with the target-degree feature.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from dglgene.benchmarks import benchmark_datasets
from dglgene.eval.grn_metrics import auroc
from dglgene.eval.tables import SEEDS
from dglgene.grn import make_splits
from dglgene.models.sctransnet import ScTransNet
from dglgene.nn.gene_representation import FixedEmbedding
from dglgene.train.fit_links import fit_base, score_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["sergio", "mdc"])
    parser.add_argument("--split", default="held-out-tf")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    args = parser.parse_args()
    for name, data in benchmark_datasets(args.data).items():
        expression = torch.as_tensor(data.expression.to_numpy(np.float32))
        for seed in args.seeds:
            parts = make_splits(data, args.split, seed)
            train = parts["train"]
            row = {}
            for degree in (False, True):
                model = ScTransNet(expression, FixedEmbedding(np.zeros((data.n_genes, 1))),
                                   gnn=None, target_degree=degree)
                fit_base(model, torch.as_tensor(train["tf"].to_numpy()),
                         torch.as_tensor(train["target"].to_numpy()),
                         torch.as_tensor(train["label"].to_numpy(np.float32)))
                for split in ("val", "test"):
                    key = f"base{' + degree' if degree else ''} {split}"
                    row[key] = round(auroc(parts[split]["label"],
                                           score_pairs(model, None, parts[split])), 3)
            tfs = {k: int(v["tf"].nunique()) for k, v in parts.items()}
            print(json.dumps({"data": name, "split": args.split, "seed": seed, "tfs": tfs,
                              **row}), flush=True)


if __name__ == "__main__":
    main()
