"""A multi-dataset single-cell simulator with a planted answer: gene modules.

:func:`simulate_collection` draws one global gene universe split into co-varying
*modules* plus independent *background* genes, then a collection of datasets
(scRNA-seq, ATAC gene activity, spatial) that each see a random subset of that
universe.  A gene-embedding method that works should place genes of one module
together across datasets; :class:`SimulatedCollection` keeps the truth.

Generative model
----------------
Universe: ``G = n_modules * genes_per_module + n_background`` genes named
``g0001 .. gG`` in a random order (the name does not reveal the module).
Module ``m(g) in {0..M-1}`` for module genes, ``-1`` for background genes.
Gene parameters shared by all datasets::

    b_g ~ Normal(0, 1)                      baseline log-rate
    l_g ~ Uniform(0.6, 1.2)                 loading (module genes) or own-noise sd
    theta_g ~ Uniform(5, 20)                NB inverse dispersion

Dataset ``d`` (modality ``mod_d``) keeps ``round(f_d * G)`` genes,
``f_d ~ Uniform(gene_fraction)``, has ``n_d ~ UniformInt(cells)`` cells, a small
batch shift ``s_dg ~ Normal(0, 0.2)`` and a mean depth
``D_d = D0[mod_d] * 2**u_d`` with ``u_d`` stratified over ``[-1, 1]``
(so mean depths differ by up to 4x; ``D0`` = 2000 rna, 1500 spatial, 200 atac).
For cell (spot) ``c``::

    depth_c = D_d * LogNormal(-0.4**2 / 2, 0.4)
    a_ck    ~ Normal(0, 1)                               rna, atac
    a_ck    = 0.9 * z(P_dk(x_c, y_c)) + 0.45 * Normal(0, 1) spatial
    eta_cg  = b_g + s_dg + l_g * a_c,m(g) + 0.25 * e_cg       module gene
    eta_cg  = b_g + s_dg + l_g * e_cg                         background gene
    mu_cg   = depth_c * exp(eta_cg) / sum_g' exp(eta_cg')     (depth times proportion)

with ``e_cg ~ Normal(0, 1)`` independent, ``P_dk`` a random smooth pattern per
module (Gaussian blob, linear gradient or sine stripe) on the spot grid and
``z`` standardisation over spots.  Background genes get a private noise of the
same size as a module gene's shared signal, so marginal variance does not give
the answer away; only co-variation does.  Counts::

    rna, spatial:  X_cg ~ NegBinomial(mean mu_cg, inverse dispersion theta_g)
    atac:          X_cg = min(Poisson(mu_cg), 2)      (low depth, mostly 0/1)

Spatial spots lie row-major on a ``ceil(sqrt(n)) x ceil(sqrt(n))`` grid, unit
spacing, in ``obsm["spatial"]``.

Case and control
----------------
:func:`simulate_case_control` draws the same universe, then *rewires* some module
genes in the case datasets: ``m_case(g) != m(g)`` for ``g`` in the rewired set, so
that there ``eta_cg`` uses ``a_c,m_case(g)``.  A method that co-embeds case and
control datasets should move exactly those genes.

Example
-------
>>> from dglgene.datasets.simulated import simulate_collection
>>> sim = simulate_collection(n_datasets=4, seed=1)
>>> [a.uns["dataset"] for a in sim.adatas]
['sim0_rna', 'sim1_rna', 'sim2_atac', 'sim3_spatial']
>>> spatial = sim.adatas[3]
>>> genes = sim.spatial_genes(spatial)
>>> bool((sim.module_of(genes) >= 0).all()), "spatial" in spatial.obsm
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

MODALITIES = ("rna", "atac", "spatial")
DEFAULT_MODALITY_CYCLE = ("rna", "rna", "atac", "spatial")
TISSUES = ("sim_tissue_a", "sim_tissue_b")

# Mean library size per modality before the per-dataset 2**u factor.
_BASE_DEPTH = {"rna": 2000.0, "spatial": 1500.0, "atac": 200.0}
_CELL_DEPTH_SD = 0.4  # log-normal sd of per-cell depth around the dataset mean
_GENE_NOISE_SD = 0.25  # private noise of a module gene on top of the module activity
_BATCH_SD = 0.2  # per-dataset shift of each gene's baseline
_SPATIAL_SIGNAL, _SPATIAL_NOISE = 0.9, 0.45
_ATAC_MAX = 2


@dataclass
class SimulatedCollection:
    """Simulated datasets plus the planted truth.

    ``modules`` is indexed by every gene of the universe (not only those kept by
    some dataset); value = module id, ``-1`` for background genes.  The truth is
    deliberately not stored in the AnnData objects so that a method cannot read it.
    """

    adatas: list[ad.AnnData]
    modules: pd.Series

    def module_of(self, genes: Sequence[str] | pd.Index) -> np.ndarray:
        """Module id (-1 = background) of each gene; KeyError for unknown genes."""
        genes = pd.Index(genes)
        missing = genes.difference(self.modules.index)
        if len(missing):
            raise KeyError(f"genes not in the simulated universe: {list(missing[:5])}")
        return self.modules.loc[genes].to_numpy(dtype=np.int64)

    def spatial_genes(self, adata: ad.AnnData | str) -> list[str]:
        """Genes of ``adata`` (or dataset name) with a planted spatial pattern.

        These are the module genes present in a spatial dataset; non-spatial
        datasets have none.
        """
        if isinstance(adata, str):
            adata = self.dataset(adata)
        if adata.uns.get("modality") != "spatial":
            return []
        names = adata.var_names
        return list(names[self.module_of(names) >= 0])

    def dataset(self, name: str) -> ad.AnnData:
        """The dataset whose ``uns["dataset"]`` is ``name``."""
        for a in self.adatas:
            if a.uns["dataset"] == name:
                return a
        raise KeyError(f"no simulated dataset named {name!r}")

    def __len__(self) -> int:
        return len(self.adatas)


def _validate(
    n_datasets: int,
    n_modules: int,
    genes_per_module: int,
    n_background: int,
    modalities: Sequence[str] | None,
    gene_fraction: tuple[float, float],
    cells: tuple[int, int],
) -> list[str]:
    for name, value, low in (
        ("n_datasets", n_datasets, 1),
        ("n_modules", n_modules, 1),
        ("genes_per_module", genes_per_module, 2),  # co-variation needs a pair
        ("n_background", n_background, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if modalities is None:
        mods = [DEFAULT_MODALITY_CYCLE[i % len(DEFAULT_MODALITY_CYCLE)] for i in range(n_datasets)]
    else:
        if isinstance(modalities, str):
            raise ValueError("modalities must be a list of strings, not a single string")
        mods = list(modalities)
        if len(mods) != n_datasets:
            raise ValueError(f"modalities has {len(mods)} entries for n_datasets={n_datasets}")
        bad = [m for m in mods if m not in MODALITIES]
        if bad:
            raise ValueError(f"unknown modality {bad[0]!r}; expected one of {MODALITIES}")
    if len(gene_fraction) != 2:
        raise ValueError(f"gene_fraction must be a (low, high) pair, got {gene_fraction!r}")
    lo, hi = (float(x) for x in gene_fraction)
    if not (0.0 < lo <= hi <= 1.0):
        raise ValueError(f"gene_fraction must satisfy 0 < low <= high <= 1, got {gene_fraction!r}")
    if len(cells) != 2:
        raise ValueError(f"cells must be a (low, high) pair, got {cells!r}")
    c_lo, c_hi = cells
    if not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in cells):
        raise ValueError(f"cells must be integers, got {cells!r}")
    if not (2 <= c_lo <= c_hi):
        raise ValueError(f"cells must satisfy 2 <= low <= high, got {cells!r}")
    return mods


def _spatial_patterns(
    coords: np.ndarray, n_modules: int, rng: np.random.Generator
) -> np.ndarray:
    """One smooth standardised pattern per module on the spots: (n_spots, n_modules)."""
    span = coords.max(axis=0) - coords.min(axis=0)
    scale = float(max(span.max(), 1.0))
    xy = (coords - coords.min(axis=0)) / scale  # in [0, 1]^2
    out = np.empty((len(coords), n_modules))
    for k in range(n_modules):
        kind = rng.integers(3)
        if kind == 0:  # Gaussian blob
            centre = rng.uniform(0.15, 0.85, size=2)
            width = rng.uniform(0.12, 0.3)
            p = np.exp(-((xy - centre) ** 2).sum(axis=1) / (2 * width**2))
        else:
            angle = rng.uniform(0, 2 * np.pi)
            proj = xy @ np.array([np.cos(angle), np.sin(angle)])
            if kind == 1:  # linear gradient
                p = proj
            else:  # stripes
                p = np.sin(2 * np.pi * rng.uniform(1.0, 2.5) * proj + rng.uniform(0, 2 * np.pi))
        sd = p.std()
        out[:, k] = (p - p.mean()) / (sd if sd > 0 else 1.0)
    return out


def _sample_counts(
    mu: np.ndarray, theta: np.ndarray, modality: str, rng: np.random.Generator
) -> np.ndarray:
    if modality == "atac":
        # Peaks summed per gene are few and near-binary: Poisson at low depth, capped.
        return np.minimum(rng.poisson(mu), _ATAC_MAX)
    # NB as a gamma-Poisson mixture: Var = mu + mu^2 / theta.
    lam = rng.gamma(shape=theta, scale=mu / theta)
    return rng.poisson(lam)


@dataclass(frozen=True)
class _Universe:
    """Gene parameters shared by all datasets, and each dataset's log2 depth offset."""

    names: np.ndarray
    labels: np.ndarray  # module id per gene, -1 = background
    baseline: np.ndarray
    loading: np.ndarray
    theta: np.ndarray
    log2_depth: np.ndarray
    n_modules: int


def _draw_universe(
    n_datasets: int,
    n_modules: int,
    genes_per_module: int,
    n_background: int,
    gene_names: Sequence[str] | None,
    rng: np.random.Generator,
) -> _Universe:
    n_module_genes = n_modules * genes_per_module
    n_genes = n_module_genes + n_background
    width = max(4, len(str(n_genes)))
    names = np.array([f"g{i + 1:0{width}d}" for i in range(n_genes)], dtype=object)
    if gene_names is not None:
        given = list(dict.fromkeys(gene_names))
        if len(given) < n_genes or len(given) != len(gene_names):
            raise ValueError(f"gene_names must hold at least {n_genes} unique names, got "
                             f"{len(given)} unique of {len(gene_names)}")
        names = np.array(given[:n_genes], dtype=object)
    # Shuffle labels over names so that name order says nothing about membership.
    labels = np.concatenate(
        [np.repeat(np.arange(n_modules), genes_per_module), np.full(n_background, -1)]
    )[rng.permutation(n_genes)].astype(np.int64)
    baseline = rng.normal(0.0, 1.0, n_genes)
    loading = rng.uniform(0.6, 1.2, n_genes)  # module loading, or own-noise sd for background
    theta = rng.uniform(5.0, 20.0, n_genes)
    # Stratified log2 depth offsets: spread over [-1, 1] whatever n_datasets is.
    strata = rng.permutation(n_datasets)
    log2_depth = -1.0 + 2.0 * (strata + rng.uniform(size=n_datasets)) / n_datasets
    return _Universe(names, labels, baseline, loading, theta, log2_depth, n_modules)


def _sample_dataset(
    universe: _Universe,
    labels: np.ndarray,
    d: int,
    name: str,
    modality: str,
    gene_fraction: tuple[float, float],
    cells: tuple[int, int],
    rng: np.random.Generator,
) -> ad.AnnData:
    """Dataset ``d`` of the module docstring's model, its genes following ``labels``."""
    n_genes, n_modules = len(universe.names), universe.n_modules
    f_lo, f_hi = (float(x) for x in gene_fraction)
    frac = rng.uniform(f_lo, f_hi)
    n_keep = min(n_genes, max(1, round(frac * n_genes)))
    keep = np.sort(rng.choice(n_genes, size=n_keep, replace=False))
    n_cells = int(rng.integers(cells[0], cells[1] + 1))

    obsm = {}
    if modality == "spatial":
        side = math.ceil(math.sqrt(n_cells))
        idx = np.arange(n_cells)
        coords = np.column_stack([idx % side, idx // side]).astype(np.float64)
        pattern = _spatial_patterns(coords, n_modules, rng)
        activity = _SPATIAL_SIGNAL * pattern + _SPATIAL_NOISE * rng.normal(
            size=(n_cells, n_modules)
        )
        obsm["spatial"] = coords
    else:
        activity = rng.normal(size=(n_cells, n_modules))

    g_mod = labels[keep]
    g_is_mod = g_mod >= 0
    noise = rng.normal(size=(n_cells, n_keep))
    shared = np.where(g_is_mod, activity[:, np.maximum(g_mod, 0)], 0.0)
    eta = (
        universe.baseline[keep]
        + rng.normal(0.0, _BATCH_SD, n_keep)
        + universe.loading[keep] * np.where(g_is_mod, shared, noise)
        + np.where(g_is_mod, _GENE_NOISE_SD * noise, 0.0)
    )
    eta -= eta.max(axis=1, keepdims=True)  # exp without overflow; proportions unchanged
    rate = np.exp(eta)
    depth = (
        _BASE_DEPTH[modality]
        * 2.0 ** universe.log2_depth[d]
        * rng.lognormal(-(_CELL_DEPTH_SD**2) / 2, _CELL_DEPTH_SD, n_cells)
    )
    mu = depth[:, None] * rate / rate.sum(axis=1, keepdims=True)
    counts = _sample_counts(mu, universe.theta[keep], modality, rng)

    X = sp.csr_matrix(counts.astype(np.float32))
    obs = pd.DataFrame(
        {"depth": depth}, index=pd.Index([f"{name}_c{i:04d}" for i in range(n_cells)])
    )
    adata = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=pd.Index(universe.names[keep])))
    adata.layers["counts"] = X.copy()
    for key, value in obsm.items():
        adata.obsm[key] = value
    adata.uns.update(
        dataset=name,
        modality=modality,
        tissue=TISSUES[d % len(TISSUES)],  # by parity: sim0/sim4 (rna) share a tissue
        species="human",
        counts=True,
        simulated=True,
    )
    return adata


def _modules(universe: _Universe) -> pd.Series:
    return pd.Series(universe.labels, index=pd.Index(universe.names, name="gene"),
                     name="module")


def simulate_collection(
    n_datasets: int = 6,
    n_modules: int = 8,
    genes_per_module: int = 25,
    n_background: int = 150,
    modalities: Sequence[str] | None = None,
    gene_fraction: tuple[float, float] = (0.7, 0.9),
    cells: tuple[int, int] = (150, 400),
    seed: int = 0,
    gene_names: Sequence[str] | None = None,
) -> SimulatedCollection:
    """Simulate ``n_datasets`` single-cell datasets sharing planted gene modules.

    See the module docstring for the generative model.  ``modalities`` gives one
    of ``"rna" | "atac" | "spatial"`` per dataset (default cycles rna, rna, atac,
    spatial); ``gene_fraction`` and ``cells`` are inclusive ranges for the share
    of the universe each dataset keeps and its cell count.  Only
    ``np.random.default_rng(seed)`` is used, so the result is a function of the
    arguments. ``gene_names`` (at least ``n_modules * genes_per_module + n_background``
    unique names, the first ones used) replaces the neutral names, e.g. with real gene
    symbols so that simulated datasets share genes with real ones.
    """
    mods = _validate(
        n_datasets, n_modules, genes_per_module, n_background, modalities, gene_fraction, cells
    )
    rng = np.random.default_rng(seed)
    universe = _draw_universe(n_datasets, n_modules, genes_per_module, n_background,
                              gene_names, rng)
    adatas = [_sample_dataset(universe, universe.labels, d, f"sim{d}_{modality}", modality,
                              gene_fraction, cells, rng)
              for d, modality in enumerate(mods)]
    return SimulatedCollection(adatas=adatas, modules=_modules(universe))


def simulate_case_control(
    n_control: int = 2,
    n_case: int = 2,
    n_rewired: int = 20,
    seed: int = 0,
    n_modules: int = 8,
    genes_per_module: int = 25,
    n_background: int = 150,
    modalities: Sequence[str] | None = None,
    gene_fraction: tuple[float, float] = (0.7, 0.9),
    cells: tuple[int, int] = (150, 400),
    gene_names: Sequence[str] | None = None,
) -> tuple[SimulatedCollection, pd.Series]:
    """Control and case datasets of one universe; in the cases some genes change module.

    The universe (genes, modules, gene parameters) is drawn as in
    :func:`simulate_collection` and shared by every dataset.  ``n_rewired`` module genes,
    drawn at random, are *rewired* in the case datasets: there they follow the activity of
    another module (uniform over the other modules, the same one in every case dataset),
    as a disease may recruit genes into another programme.  Datasets ``sim0 ..`` are the
    ``n_control`` controls, then the ``n_case`` cases, named ``sim{d}_{modality}_{condition}``
    with ``uns["condition"]`` = ``"control"`` or ``"case"``; ``modalities`` defaults to
    ``"rna"`` for all, so that condition is not confounded with modality.

    Returns the collection (whose ``modules`` are the control modules) and the rewired
    genes: a Series gene -> module in the case datasets.

    >>> sim, rewired = simulate_case_control(n_rewired=5, seed=0)
    >>> [a.uns["condition"] for a in sim.adatas]
    ['control', 'control', 'case', 'case']
    >>> bool((sim.module_of(rewired.index) != rewired.to_numpy()).all())
    True
    """
    n_datasets = n_control + n_case
    for label, value in (("n_control", n_control), ("n_case", n_case)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{label} must be an integer >= 1, got {value!r}")
    mods = _validate(n_datasets, n_modules, genes_per_module, n_background,
                     ["rna"] * n_datasets if modalities is None else modalities,
                     gene_fraction, cells)
    n_module_genes = n_modules * genes_per_module
    if n_modules < 2:
        raise ValueError(f"rewiring needs n_modules >= 2, got {n_modules}")
    if isinstance(n_rewired, bool) or not isinstance(n_rewired, (int, np.integer)) or not (
            0 <= n_rewired <= n_module_genes):
        raise ValueError(f"n_rewired must be an integer in [0, {n_module_genes}] (the module "
                         f"genes), got {n_rewired!r}")
    rng = np.random.default_rng(seed)
    universe = _draw_universe(n_datasets, n_modules, genes_per_module, n_background,
                              gene_names, rng)
    moved = np.sort(rng.choice(np.flatnonzero(universe.labels >= 0), n_rewired, replace=False))
    case_labels = universe.labels.copy()
    # A shift in 1..M-1 (mod M) lands uniformly on one of the other modules.
    case_labels[moved] = (case_labels[moved] + rng.integers(1, n_modules, n_rewired)) % n_modules
    adatas = []
    for d, modality in enumerate(mods):
        condition = "control" if d < n_control else "case"
        labels = universe.labels if condition == "control" else case_labels
        adata = _sample_dataset(universe, labels, d, f"sim{d}_{modality}_{condition}",
                                modality, gene_fraction, cells, rng)
        adata.uns["condition"] = condition
        adatas.append(adata)
    rewired = pd.Series(case_labels[moved], index=pd.Index(universe.names[moved], name="gene"),
                        name="case_module")
    return SimulatedCollection(adatas=adatas, modules=_modules(universe)), rewired
