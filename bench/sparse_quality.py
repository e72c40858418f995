"""The quality cost of MuSe-GNN's sparse reconstruction path: the six metrics on the
simulated collection, dense default against sparse, per seed.

    python bench/sparse_quality.py --seeds 0 1 2

The collection is ``bench-embed --data simulated``'s (``simulate_collection(seed=0)``, 32
PCA features). *dense*: MuSe-GNN as it is (MLP decoder, dense BCE); *sparse*: the bilinear
pair decoder and ``recon-sampled`` in place of ``recon``, the other losses and weights
unchanged. Both train ``fit``'s default epochs with the same seed. Prints one JSON line per
(path, seed): training seconds and the six metrics.
"""

from __future__ import annotations

import argparse
import json
import time

from dglgene.data import build_collection
from dglgene.datasets import simulate_collection
from dglgene.embed import collection_metrics
from dglgene.eval.tables import SEEDS
from dglgene.models import MuSeGNN
from dglgene.models.muse_gnn import MUSE_LOSSES
from dglgene.train import fit

#: the sparse path: MuSe-GNN's losses with the sampled reconstruction, a pair decoder
SPARSE = {"decoder": "bilinear",
          "losses": {("recon-sampled" if k == "recon" else k): w for k, w in MUSE_LOSSES.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    args = parser.parse_args()
    collection = build_collection(simulate_collection(seed=0).adatas, n_components=32)
    for seed in args.seeds:
        for path, options in (("sparse", SPARSE), ("dense", {})):
            start = time.perf_counter()
            model = MuSeGNN(collection, seed=seed, **options)
            fit(model, collection, seed=seed)
            metrics = collection_metrics(model.embed(collection), collection, seed)
            print(json.dumps({"path": path, "seed": seed,
                              "seconds": round(time.perf_counter() - start),
                              **{k: round(v, 4) for k, v in metrics.items()}}), flush=True)


if __name__ == "__main__":
    main()
