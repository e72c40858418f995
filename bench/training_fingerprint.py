"""Digests of what every training loop produces at fixed seeds: the loss history and the
final weights of MuSe-GNN (one pair per step and two), VGAE, new-dataset training,
scTransNet (link training with early stopping) and scBERT pre-training, on small simulated
data, on CPU with one thread.

    OMP_NUM_THREADS=1 python bench/training_fingerprint.py > before.txt
    # ... change the training code ...
    OMP_NUM_THREADS=1 python bench/training_fingerprint.py | diff before.txt -

Equal lines say a change to the training code left each loop's result bit for bit as it
was (same machine, same thread count).
"""

from __future__ import annotations

import hashlib
import tempfile

import anndata as ad
import numpy as np
import pandas as pd
import torch

from dglgene.data import build_collection
from dglgene.datasets import simulate_collection, simulate_sergio_grn
from dglgene.grn.methods import train_model
from dglgene.grn.settings import GRNSettings
from dglgene.grn.splits import transductive_split
from dglgene.models import VGAE, DatasetRecord, MuSeGNN, load, save_muse_gnn
from dglgene.train import fit, fit_new_datasets, pretrain_scbert


def digest(history: pd.DataFrame, module: torch.nn.Module) -> str:
    """A short digest of a history's values (time columns left out) and a module's weights."""
    h = hashlib.sha256()
    values = history.drop(columns=[c for c in history.columns if c == "seconds"])
    h.update(pd.util.hash_pandas_object(values, index=True).to_numpy().tobytes())
    for name, tensor in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    torch.set_num_threads(1)
    sim = simulate_collection(n_datasets=3, n_modules=4, genes_per_module=15, n_background=60,
                              cells=(150, 200), seed=1)
    coll = build_collection(sim.adatas, n_components=16)
    for name, make, options in [
        ("MuSe-GNN", lambda: MuSeGNN(coll, dim=8), {}),
        ("MuSe-GNN, 2 pairs per step", lambda: MuSeGNN(coll, dim=8), {"pairs_per_step": 2}),
        ("VGAE", lambda: VGAE(coll, dim=8), {}),
    ]:
        model = make()
        print(f"{name}: {digest(fit(model, coll, epochs=3, seed=3, **options), model)}")

    rna = simulate_collection(n_datasets=3, modalities=["rna"] * 3, n_modules=4,
                              genes_per_module=15, n_background=60, cells=(150, 200), seed=2)
    known = build_collection(rna.adatas[:2], n_components=16)
    model = MuSeGNN(known, dim=8)
    fit(model, known, epochs=2, seed=0)
    model = load(save_muse_gnn(model, tempfile.mkdtemp() + "/m", known))
    new = build_collection(rna.adatas[2:], n_components=16)
    model.add_dataset(DatasetRecord.of(new[0]))
    history = fit_new_datasets(model, new, [new[0].dataset], epochs=3, seed=1)
    print(f"new datasets: {digest(history, model)}")

    data = simulate_sergio_grn(n_tfs=8, n_targets=40, n_cells=90, seed=1)
    splits = transductive_split(data, seed=0)
    model, _, history = train_model(data, splits, None, GRNSettings(epochs=30), seed=2)
    print(f"scTransNet (no encoder), best epoch {history.attrs['best_epoch']}: "
          f"{digest(history, model)}")

    rng = np.random.default_rng(0)
    counts = rng.poisson(rng.lognormal(0.5, 0.5, 30)[None] * rng.choice([1.0, 6.0], (80, 30)))
    result = pretrain_scbert(ad.AnnData(counts.astype(np.float32)), epochs=3, seed=0,
                             config=dict(dim=8, depth=1, heads=2, dim_head=4))
    print(f"scBERT pre-training: {digest(result.history, result.model)}")


if __name__ == "__main__":
    main()
