r"""Atlas-size count files, written a block of cells at a time: the simulator at scale, and
real cells resampled.

:func:`write_simulated_atlas` draws cells of ``n_types`` types over ``n_genes`` genes, with
planted co-expression modules. For cell :math:`c` of type :math:`t_c`, gene :math:`g`:

.. math::
    x_{cg} \sim \operatorname{Poisson}\big(D_c\, p_{t_c g}\, a_{c, m(g)}\big),\qquad
    p_{tg} \propto e^{b_g + \ell_{tg}},

with log base expression :math:`b_g \sim N(0, 2.2^2)` (a few genes take most counts),
type effects :math:`\ell_{tg} \sim N(0, 1)` on 10 % of the genes of each type (0
elsewhere), depth :math:`D_c` log-normal around ``mean_depth`` (sd 0.5 on the log scale),
and module activity :math:`a_{cm} = e^{N(0, 0.6^2)}` shared by the ``genes_per_module``
genes of module :math:`m`, drawn among the 10 % most expressed genes (1 for the other
genes). At the defaults a cell has about 5,000
counts over about 2,000 genes (10 % non-zero), as droplet data do. ``var["module"]`` holds
each gene's module (-1: none), ``obs["cell_type"]`` each cell's type.

:func:`write_resampled_cells` draws cells from a real dataset: each new cell copies a cell
picked uniformly at random and redraws each of its non-zero counts as
:math:`\operatorname{Poisson}(x_{cg})` (a parametric bootstrap that keeps the cell's zeros,
its type and its co-expression).

>>> import tempfile, pathlib, anndata as ad
>>> path = pathlib.Path(tempfile.mkdtemp()) / "atlas.h5ad"
>>> _ = write_simulated_atlas(path, n_cells=300, n_genes=500, n_modules=3,
...                           genes_per_module=10, seed=0)
>>> atlas = ad.read_h5ad(path)
>>> atlas.shape, int((atlas.var["module"] >= 0).sum())
((300, 500), 30)
"""

from __future__ import annotations

import os
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata.io import sparse_dataset, write_elem

from dglgene.data.cell_chunks import block_slices


def write_simulated_atlas(path: str | os.PathLike, n_cells: int, n_genes: int = 20_000,
                          n_types: int = 10, n_modules: int = 20, genes_per_module: int = 30,
                          mean_depth: float = 5_000.0, seed: int = 0) -> Path:
    """Write ``n_cells`` simulated cells (see the module docstring) as raw counts (CSR,
    float32) to the ``.h5ad`` file ``path``; return ``path``."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0.0, 2.2, n_genes)
    effects = rng.normal(0.0, 1.0, (n_types, n_genes)) * (rng.random((n_types, n_genes)) < 0.1)
    shares = np.exp(base + effects)
    shares /= shares.sum(1, keepdims=True)
    module = np.full(n_genes, -1)
    # modules among the 10 % most expressed genes, where a co-expression test can see them
    expressed = np.argsort(-base)[: max(n_genes // 10, n_modules * genes_per_module)]
    planted = rng.choice(expressed, n_modules * genes_per_module, replace=False)
    module[planted] = np.repeat(np.arange(n_modules), genes_per_module)
    cell_type = rng.integers(0, n_types, n_cells)
    depth = mean_depth * np.exp(rng.normal(0.0, 0.5, n_cells) - 0.125)  # mean: mean_depth
    in_module = module >= 0

    def block(rows: slice, block_rng: np.random.Generator) -> sp.csr_matrix:
        mu = depth[rows, None] * shares[cell_type[rows]]
        activity = np.exp(block_rng.normal(0.0, 0.6, (len(mu), n_modules)))
        mu[:, in_module] *= activity[:, module[in_module]]
        return sp.csr_matrix(block_rng.poisson(mu).astype(np.float32))

    obs = pd.DataFrame({"cell_type": pd.Categorical([f"type{t}" for t in cell_type])},
                       index=[f"cell{i}" for i in range(n_cells)])
    var = pd.DataFrame({"module": module}, index=[f"gene{g:05d}" for g in range(n_genes)])
    uns = {"dataset": Path(path).stem, "modality": "rna", "tissue": "simulated",
           "species": "simulated", "seed": seed}
    return _write_blocks(path, obs, var, uns, block, seed)


def write_resampled_cells(adata: ad.AnnData, path: str | os.PathLike, n_cells: int,
                          seed: int = 0) -> Path:
    """Write ``n_cells`` cells resampled from ``adata``'s raw counts (see the module
    docstring) to the ``.h5ad`` file ``path``, with ``adata``'s genes, ``uns`` and the
    ``obs`` columns of the cells drawn; return ``path``."""
    rng = np.random.default_rng(seed)
    source = rng.integers(0, adata.n_obs, n_cells)
    counts = sp.csr_matrix(adata.layers.get("counts", adata.X))

    def block(rows: slice, block_rng: np.random.Generator) -> sp.csr_matrix:
        picked = counts[source[rows]].astype(np.float32)
        picked.data = block_rng.poisson(picked.data).astype(np.float32)
        picked.eliminate_zeros()
        return picked

    obs = adata.obs.iloc[source].reset_index(drop=True)
    obs.index = [f"cell{i}" for i in range(n_cells)]
    uns = {**{k: v for k, v in adata.uns.items() if isinstance(v, str | int | float)},
           "resampled_from": str(adata.uns.get("dataset", "")), "seed": seed}
    return _write_blocks(path, obs, adata.var[[]].copy(), uns, block, seed)


def _write_blocks(path: str | os.PathLike, obs: pd.DataFrame, var: pd.DataFrame, uns: dict,
                  block, seed: int) -> Path:
    """Write the metadata, then ``X`` a block of cells at a time, block ``k`` drawn by
    ``block(rows, generator seeded (seed, k))``."""
    path = Path(path)
    ad.AnnData(obs=obs, var=var, uns=uns).write_h5ad(path)
    with h5py.File(path, "a") as f:
        stored = None
        for k, where in enumerate(block_slices((len(obs), len(var)))):
            x = block(where, np.random.default_rng([seed, k]))
            if stored is None:
                write_elem(f, "X", x)
                stored = sparse_dataset(f["X"])
            else:
                stored.append(x)
    return path
