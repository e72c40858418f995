"""SERGIO simulations of a planted human regulatory network: a GRN benchmark with a known answer.

SERGIO (Dibaeinia & Sinha 2020; package ``sergio-scSim``, SERGIO v2) simulates single-cell
expression from a gene regulatory network with stochastic differential equations: master
regulators (genes with no regulator) are produced at a rate set per cell type, every other
gene through a sum of Hill functions of its regulators, with intrinsic noise. Its technical
noise model (outliers, library size, dropout, Poisson UMI sampling) then turns the clean
expression into counts that look like droplet data.

:func:`simulate_sergio_grn` plants a sub-network of real human edges and simulates it:

1. **Network.** Edges come from RegNetwork (Liu et al. 2015) as shipped in
   ``SERGIO/GRN/ref/human.source`` (gene -> gene edges; microRNA edges and self-loops
   dropped), see :func:`regnetwork_edges`. A connected set of ``n_tfs`` regulators with at
   least 10 gene targets each is grown from a random one over regulator-regulator edges
   (either direction); TF-TF edges are kept while they keep the network acyclic, so SERGIO
   gets master regulators. Then ``n_targets`` non-regulator genes are drawn round-robin
   over the TFs (each TF picks one of its RegNetwork targets in turn), so every TF gets
   about ``n_targets / n_tfs`` targets; each target also keeps up to ``max_regulators - 1``
   other picked TFs that regulate it in RegNetwork. Every planted edge is a RegNetwork
   edge, and the network is a DAG. With ``cascade=False`` the TF-TF edges are left out
   (the TFs are still picked as a connected set): every TF is then a master regulator.
2. **Simulation.** SERGIO's own API: ``grn_from_file`` (random interaction strengths, 75%
   activating, Hill coefficient 2, decay 0.8), ``mrProfile.build_rnd`` (master-regulator
   production per cell type), ``sergio.simulate`` (steady state) and ``getSimExpr``.
3. **Technical noise** (``noise=True``): SERGIO's ``splatModel`` with the parameters of
   SERGIO's README example (:class:`SergioNoise`); the result is UMI counts.

The result is a :class:`~dglgene.data.grn_data.GRNData`: expression is genes x cells
(human gene symbols as RegNetwork spells them, sorted; cells ``type_<k>_cell_<i>``),
``network`` the planted edges, ``tfs`` the planted regulators and ``targets`` every gene
(BEELINE's Target.csv). Counts are not normalised; SERGIO's library sizes (about 100 UMIs
before dropout) leave a few cells with no counts (1 of 300 at the default size), which a
method that divides by library size must drop. The same arguments give the same data
in every process; the global NumPy random state (which SERGIO draws from) is restored
afterwards. At the default size (20 TFs, 100 targets, 300 cells) it takes about 3 s.

>>> grn = simulate_sergio_grn(n_tfs=4, n_targets=12, n_cells=60, seed=0)
>>> grn.n_genes, grn.n_cells, len(grn.tfs), set(grn.network["tf"]) <= set(grn.tfs)
(16, 60, 4, True)
"""

from __future__ import annotations

import contextlib
import functools
import io
import types
from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from dglgene.data.grn_data import GRNData
from dglgene.datasets.real import _locate

__all__ = ["REGNETWORK_PATH", "SergioNoise", "regnetwork_edges", "simulate_sergio_grn"]

_PACKAGE, _VERSION = "sergio-scSim", "1.9.3"
#: RegNetwork edges inside the sergio-scSim distribution.
REGNETWORK_PATH = "SERGIO/GRN/ref/human.source"
# A TF needs enough targets to give several to the round-robin draw.
_MIN_TARGETS = 10


@dataclass(frozen=True)
class SergioNoise:
    """SERGIO's technical-noise parameters (defaults: SERGIO's README steady-state example).

    ``outlier_*``: a gene is an outlier with probability ``outlier_prob`` and is scaled by a
    LogNormal(``outlier_mean``, ``outlier_scale``) factor; ``library_*``: each cell's total
    is drawn from LogNormal(``library_mean``, ``library_scale``); ``dropout_*``: a value is
    kept with probability sigmoid(``dropout_shape`` * (log(x+1) - the
    ``dropout_percentile``-th percentile of log(x+1))). Then Poisson UMI counts.
    """

    outlier_prob: float = 0.01
    outlier_mean: float = 0.8
    outlier_scale: float = 1.0
    library_mean: float = 4.6
    library_scale: float = 0.4
    dropout_shape: float = 6.5
    dropout_percentile: float = 82.0


# ----------------------------------------------------------------------------- SERGIO


@functools.cache
def _sergio() -> types.SimpleNamespace:
    """SERGIO's simulator, GRN reader, MR profile and noise model (imported once)."""
    _locate(_PACKAGE, "SERGIO/_sergio.py", _VERSION)  # one-line error when not installed
    from SERGIO import sergio
    from SERGIO.GRN import grn_from_file
    from SERGIO.MR import mrProfile
    from SERGIO.Noise._noise import splatModel  # imports cma (pinned in the lock)

    return types.SimpleNamespace(sergio=sergio, grn_from_file=grn_from_file,
                                 mrProfile=mrProfile, splatModel=splatModel)


@contextlib.contextmanager
def _numpy_global_seed(seed: int) -> Iterator[None]:
    """Seed NumPy's global generator (SERGIO only draws from it) and restore it after."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


# ----------------------------------------------------------------------------- RegNetwork


@functools.cache
def _regnetwork() -> pd.DataFrame:
    path = _locate(_PACKAGE, REGNETWORK_PATH, _VERSION)
    # dtype=str and no NA parsing: gene symbols are never numbers or missing values.
    raw = pd.read_csv(path, sep="\t", header=None, dtype=str, keep_default_na=False,
                      names=["tf", "tf_id", "target", "target_id"])
    # Genes carry Entrez ids (digits); microRNAs carry miRBase ids (MIMAT...).
    genes = raw["tf_id"].str.isdigit() & raw["target_id"].str.isdigit()
    edges = raw.loc[genes & (raw["tf"] != raw["target"]), ["tf", "target"]]
    return edges.drop_duplicates().sort_values(["tf", "target"]).reset_index(drop=True)


def regnetwork_edges() -> pd.DataFrame:
    """RegNetwork's gene -> gene edges from sergio-scSim (columns tf, target; a copy).

    150,044 edges from 1,412 regulators to 20,230 genes; microRNA edges, self-loops and
    duplicates are dropped. Symbols are RegNetwork's (2015), e.g. ``EIF2C2`` for AGO2.
    """
    return _regnetwork().copy()


@functools.cache
def _targets_of() -> dict[str, frozenset[str]]:
    edges = _regnetwork()
    return {tf: frozenset(t) for tf, t in edges.groupby("tf", sort=True)["target"]}


def _plant_network(n_tfs: int, n_targets: int, max_regulators: int, rng: np.random.Generator,
                   cascade: bool = True) -> tuple[list[str], list[str], nx.DiGraph]:
    """Pick a connected acyclic sub-network of RegNetwork (see the module docstring)."""
    out = _targets_of()
    eligible = sorted(tf for tf, t in out.items() if len(t) >= _MIN_TARGETS)
    if n_tfs > len(eligible):
        raise ValueError(f"n_tfs={n_tfs} exceeds the {len(eligible)} RegNetwork regulators "
                         f"with >= {_MIN_TARGETS} gene targets; choose n_tfs <= {len(eligible)}")
    eligible_set = set(eligible)
    regulated_by: dict[str, list[str]] = {}
    for tf in eligible:
        for t in out[tf] & eligible_set:
            regulated_by.setdefault(t, []).append(tf)

    graph = nx.DiGraph()
    first = eligible[rng.integers(len(eligible))]
    graph.add_node(first)
    picked = [first]
    while len(picked) < n_tfs:
        # Edges that join one new regulator to the picked ones, either direction; a new
        # regulator of a picked TF only while that TF is under max_regulators.
        frontier = sorted(
            {(p, t) for p in picked for t in out[p] & eligible_set if t not in graph}
            | {(r, p) for p in picked if graph.in_degree(p) < max_regulators
               for r in regulated_by.get(p, ()) if r not in graph})
        if not frontier:
            raise ValueError(f"n_tfs={n_tfs} is more than the {len(picked)} regulators "
                             "connected to the first one; choose fewer TFs or another seed")
        reg, tar = frontier[rng.integers(len(frontier))]
        new = tar if reg in graph else reg
        picked.append(new)
        if cascade:
            graph.add_edge(reg, tar)  # adds the new node; a tree edge cannot close a cycle
        else:
            graph.add_node(new)
    picked_set = set(picked)
    extra = [(a, b) for a in picked for b in sorted(out[a] & picked_set)
             if not graph.has_edge(a, b)] if cascade else []
    for i in rng.permutation(len(extra)):
        a, b = extra[i]
        if graph.in_degree(b) < max_regulators and not nx.has_path(graph, b, a):
            graph.add_edge(a, b)

    targets: list[str] = []
    chosen: set[str] = set()
    while len(targets) < n_targets:
        added = False
        for i in rng.permutation(len(picked)):
            if len(targets) == n_targets:
                break
            tf = picked[i]
            pool = sorted(out[tf] - picked_set - chosen)
            if not pool:
                continue
            target = pool[rng.integers(len(pool))]
            targets.append(target)
            chosen.add(target)
            graph.add_edge(tf, target)
            others = [r for r in picked if r != tf and target in out[r]]
            for j in rng.permutation(len(others))[: max_regulators - 1]:
                graph.add_edge(others[j], target)
            added = True
        if not added:
            raise ValueError(f"n_targets={n_targets} exceeds the {len(targets)} genes these "
                             "TFs regulate in RegNetwork; choose fewer targets")
    return picked, targets, graph


# ----------------------------------------------------------------------------- simulation


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _add_noise(expr: np.ndarray, noise: SergioNoise) -> np.ndarray:
    model = _sergio().splatModel()
    x = model.outlier_effect(expr.copy(), outlier_prob=noise.outlier_prob,
                             mean=noise.outlier_mean, scale=noise.outlier_scale)
    x = model.lib_size_effect(x, mean=noise.library_mean, scale=noise.library_scale)
    x = x * model.dropout_indicator(x, shape=noise.dropout_shape,
                                    percentile=noise.dropout_percentile)
    return model.convert_to_UMIcounts(x).astype(np.float64)


def simulate_sergio_grn(n_tfs: int = 20, n_targets: int = 100, n_cells: int = 300,
                        n_cell_types: int = 3, seed: int = 0,
                        noise: bool | SergioNoise = True, max_regulators: int = 3,
                        intrinsic_noise: float = 1.0, cascade: bool = True) -> GRNData:
    """Simulate single cells from a planted RegNetwork sub-network with SERGIO.

    ``n_tfs`` regulators and ``n_targets`` further genes (``n_tfs + n_targets`` genes);
    ``n_cells`` cells split evenly over ``n_cell_types`` steady-state cell types (the
    master regulators' production differs between types); ``max_regulators``: at most that
    many regulators per gene; ``intrinsic_noise``: SERGIO's ``noise_s``. ``noise=True``
    adds SERGIO's technical noise with :class:`SergioNoise` defaults and returns UMI counts,
    a :class:`SergioNoise` sets the parameters, ``noise=False`` returns SERGIO's clean
    expression (non-negative reals). ``cascade``: plant the TF-TF edges too; without
    them every TF is a master regulator whose level is set per cell type, independently
    of the others. Deterministic in all arguments; see the module docstring for how the
    network is drawn.

    Which one to benchmark on: with the cascade, the default network has 3 master
    regulators among 20 TFs, every gene is a function of those 3 production rates, and
    co-expression can hardly tell a direct target from an indirect one: ``|r|`` of all TF-gene
    pairs separates the edges at AUROC 0.60 even without technical noise (seed 0). At the
    size of ``dglgene.benchmarks.SERGIO_BENCHMARK`` (200 targets, 900 cells, 9 cell
    types as in SERGIO's published DS1-3) the same measure is 0.82 without the cascade and 0.74 with
    it on clean expression; SERGIO's technical noise brings both down to 0.65 and 0.64.
    """
    n_tfs = _check_int("n_tfs", n_tfs, 1)
    n_targets = _check_int("n_targets", n_targets, 1)
    n_cell_types = _check_int("n_cell_types", n_cell_types, 1)
    n_cells = _check_int("n_cells", n_cells, n_cell_types)
    max_regulators = _check_int("max_regulators", max_regulators, 1)
    seed = _check_int("seed", seed, 0)
    if seed >= 2**32:
        raise ValueError(f"seed must be below 2**32, got {seed}")
    if not isinstance(noise, (bool, SergioNoise)):
        raise ValueError(f"noise must be True, False or a SergioNoise, got {noise!r}")
    if not np.isfinite(intrinsic_noise) or intrinsic_noise <= 0:
        raise ValueError(f"intrinsic_noise must be a positive number, got {intrinsic_noise!r}")

    rng = np.random.default_rng(seed)
    tfs, targets, graph = _plant_network(n_tfs, n_targets, max_regulators, rng, cascade)
    genes = tfs + targets
    # Neutral ids in SERGIO's table: its CSV reader would turn a symbol like "NA" into NaN.
    ids = {g: f"g{i}" for i, g in enumerate(genes)}
    table = "index,reg,coop,tar,k,n,h,reg_decay,tar_decay\n" + "".join(
        f"{i},{ids[a]},0,{ids[b]},,,,,\n" for i, (a, b) in enumerate(graph.edges()))
    per_type = np.full(n_cell_types, n_cells // n_cell_types)
    per_type[: n_cells % n_cell_types] += 1

    s = _sergio()
    with _numpy_global_seed(seed):
        grn = s.grn_from_file(io.StringIO(table), parameterize=True)
        # get_mrs() lists a set; sorted, the profile draws do not depend on hash order.
        profile = s.mrProfile(MR_names=sorted(grn.get_mrs()), n_types=n_cell_types)
        profile.build_rnd()
        grn.init(profile, update_half_resp=True)
        sim = s.sergio(grn)
        sim.simulate(nCells=per_type, noise_s=float(intrinsic_noise))
        clean = sim.getSimExpr()
        names = {v: k for k, v in ids.items()}
        values = clean.to_numpy(dtype=np.float64)
        if noise is not False:
            values = _add_noise(values, SergioNoise() if noise is True else noise)

    expr = pd.DataFrame(values, index=[names[g] for g in clean.index],
                        columns=list(clean.columns)).sort_index()
    network = pd.DataFrame(sorted(graph.edges()), columns=["tf", "target"])
    name = (f"sergio-{n_tfs}TFs-{n_targets}targets-seed{seed}" + ("" if cascade else "-flat")
            + ("" if noise else "-clean"))
    return GRNData(expr, network, tfs=sorted(tfs), targets=list(expr.index), name=name)
