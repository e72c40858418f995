"""Embedding metrics (dglgene.eval.metrics): hand-computed cases, brute-force twins, properties."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from dglgene.eval.metrics import (
    METRICS,
    common_gene_asw,
    common_gene_mask,
    common_gene_ratio,
    edge_auc,
    embedding_metrics,
    graph_connectivity,
    ilisi,
    knn_graph,
    leiden_clusters,
    lisi,
    neighbour_overlap,
    summarize_methods,
)


# --------------------------------------------------------------------------- brute-force twins
def lisi_brute(x: np.ndarray, labels: np.ndarray, perplexity: float) -> np.ndarray:
    """LISI exactly as immunogenomics/LISI's compute_simpson_index, one row at a time."""
    n = len(x)
    k = min(int(np.floor(3 * perplexity)), n - 1)
    full = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    out = np.empty(n)
    for i in range(n):
        order = [j for j in np.argsort(full[i], kind="stable") if j != i][:k]
        d = full[i, order]

        def hbeta(beta, d=d):
            p = np.exp(-d * beta)
            s = p.sum()
            return np.log(s) + beta * (d * p).sum() / s, p / s

        beta, lo, hi = 1.0, -np.inf, np.inf
        h, p = hbeta(beta)
        tries = 0
        while abs(h - np.log(perplexity)) > 1e-5 and tries < 50:
            if h - np.log(perplexity) > 0:
                lo = beta
                beta = beta * 2 if hi == np.inf else (beta + hi) / 2
            else:
                hi = beta
                beta = beta / 2 if lo == -np.inf else (beta + lo) / 2
            h, p = hbeta(beta)
            tries += 1
        simpson = sum(p[labels[order] == b].sum() ** 2 for b in np.unique(labels))
        out[i] = 1 / simpson
    return out


def neighbour_overlap_brute(genes, datasets, adjacency, clusters) -> float:
    """The reference's double loop over rows of a cluster, with Python sets."""
    genes, datasets, clusters = map(np.asarray, (genes, datasets, clusters))
    nbrs = {}
    for d, a in adjacency.items():
        rows = np.flatnonzero(datasets == d)
        dense = np.asarray(sp.csr_matrix(a).todense()) != 0
        dense = dense | dense.T
        for li, r in enumerate(rows):
            nbrs[r] = {genes[rows[lj]] for lj in np.flatnonzero(dense[li])}
    total = 0.0
    for c in np.unique(clusters):
        idx = np.flatnonzero(clusters == c)
        vals = []
        for r, s in itertools.product(idx, idx):
            if datasets[r] != datasets[s]:
                union = nbrs[r] | nbrs[s]
                vals.append(len(nbrs[r] & nbrs[s]) / len(union) if union else 0.0)
        total += (np.mean(vals) if vals else 0.0) * len(idx) / len(genes)
    return total


def silhouette_brute(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    full = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    s = np.zeros(len(x))
    for i in range(len(x)):
        own = (labels == labels[i]) & (np.arange(len(x)) != i)
        if not own.any():
            continue  # singleton: 0
        a = full[i, own].mean()
        b = min(full[i, labels == other].mean() for other in set(labels) - {labels[i]})
        s[i] = (b - a) / max(a, b)
    return s


def random_case(seed: int, n_genes: int = 12, n_datasets: int = 3, dim: int = 3,
                density: float = 0.3):
    """Datasets holding random subsets of a gene pool, random graphs, random embedding."""
    rng = np.random.default_rng(seed)
    genes, datasets, adjacency = [], [], {}
    for d in range(n_datasets):
        chosen = rng.choice(n_genes, size=rng.integers(2, n_genes + 1), replace=False)
        if 0 not in chosen:
            chosen[0] = 0  # g0 in every dataset: there is a common gene
        genes += [f"g{g}" for g in chosen]
        datasets += [f"d{d}"] * len(chosen)
        a = (rng.random((len(chosen), len(chosen))) < density).astype(float)
        adjacency[f"d{d}"] = sp.csr_matrix(a)  # asymmetric, diagonal included on purpose
    emb = rng.normal(size=(len(genes), dim))
    return emb, np.array(genes), np.array(datasets), adjacency, rng


# --------------------------------------------------------------------------- hand-computed cases
def test_edge_auc_by_hand():
    # A: edges 0-1, 2-3 (cos 0.995) above every non-edge (cos <= 0.199): AUROC 1.
    # B: edge 0-1 has cos 0; non-edges 0-2, 1-2 have cos 0.707: AUROC 0.
    # C: three identical rows, every cos = 1: the edge ties every non-edge: AUROC 1/2.
    # Mean (1 + 0 + 1/2) / 3 = 1/2, whichever non-edges are sampled.
    emb = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1],
                    [1, 0], [0, 1], [1, 1],
                    [2, 2], [1, 1], [3, 3]], dtype=float)
    datasets = ["A"] * 4 + ["B"] * 3 + ["C"] * 3
    adj = {"A": sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])),
           "B": sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]])),  # self-loops, one-sided
           "C": sp.csr_matrix(np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]]))}
    for negatives in ("sampled", "all"):
        for seed in range(5):
            assert edge_auc(emb, datasets, adj, seed=seed, negatives=negatives) == 0.5


def test_common_gene_asw_by_hand():
    # One cluster, common rows g1@A=0, g2@A=2, g1@B=1, g2@B=3 (g3 is not common):
    # s(0) = (2 - 2)/2 = 0, s(2) = (1 - 2)/2 = -1/2, s(1) = -1/2, s(3) = 0
    # ASW = mean(1, 1/2, 1/2, 1) = 3/4.
    emb = np.array([[0.0], [2.0], [1.0], [3.0], [100.0]])
    genes, datasets = ["g1", "g2", "g1", "g2", "g3"], ["A", "A", "B", "B", "A"]
    assert common_gene_asw(emb, genes, datasets, clusters=[0, 0, 0, 0, 0]) == 0.75
    # scib skips a cluster whose common rows are all from one dataset: still 3/4
    emb2 = np.vstack([emb, [[50.0], [51.0], [60.0]]])
    genes2 = [*genes, "g4", "g5", "g4"]
    datasets2 = [*datasets, "A", "A", "B"]
    assert common_gene_asw(emb2, genes2, datasets2, clusters=[0, 0, 0, 0, 0, 1, 1, 2]) == 0.75
    # nothing scib can score: one-dataset clusters score 0, all-distinct clusters 1
    assert common_gene_asw(emb, genes, datasets, clusters=[0, 1, 2, 3, 4]) == 0.0
    assert common_gene_asw(emb, genes, datasets, clusters=[0, 1, 0, 1, 2]) == 1.0
    assert common_gene_asw(emb, genes, datasets, clusters=[0, 0, 1, 2, 3]) == 0.0  # mean(0, 0, 0)
    # {g1@A, g1@B} -> 1, {g2@A} -> 0, {g2@B} -> 0: mean 1/3
    assert common_gene_asw(emb, genes, datasets, clusters=[0, 1, 0, 2, 3]) == pytest.approx(
        1 / 3, abs=1e-12)


def test_graph_connectivity_by_hand():
    # 1-D, k=2 (one nearest other row): edges a-a (0, 0.1), b-b (1, 1.1), c-c (50, 51).
    # Cluster 0 = {a, b, a, b}: two pieces of 2 -> 2/4; cluster 1 = {c, c}: 2/2. GC = 3/4.
    emb = np.array([[0.0], [1.0], [0.1], [1.1], [50.0], [51.0]])
    genes, datasets = ["a", "b", "a", "b", "c", "c"], ["X", "X", "Y", "Y", "X", "Y"]
    assert graph_connectivity(emb, genes, datasets, k=2, clusters=[0, 0, 0, 0, 1, 1]) == 0.75
    # The graph is built on all rows, then restricted to common rows: a@X=0 and a@Y=1.1 are
    # linked only through the non-common z=0.5, so the common subgraph has no edge: 1/2.
    emb = np.array([[0.0], [0.5], [1.1]])
    assert graph_connectivity(emb, ["a", "z", "a"], ["X", "X", "Y"], k=2,
                              clusters=[0, 0, 0]) == 0.5
    assert knn_graph(emb, k=2).toarray().tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]


def test_lisi_by_hand():
    # Regular simplex (e1..e4): all neighbours equally far, so the weights are uniform
    # whatever beta. perplexity 1 -> k = 3 neighbours.
    # labels A,A,A,B: an A row sees 2 A + 1 B: 1 / ((2/3)^2 + (1/3)^2) = 9/5; B sees 3 A: 1.
    values = lisi(np.eye(4), ["A", "A", "A", "B"], perplexity=1)
    np.testing.assert_allclose(values, [1.8, 1.8, 1.8, 1.0], rtol=0, atol=1e-12)
    # iLISI = (median - 1) / (B - 1) = (1.8 - 1) / 1 = 0.8
    assert ilisi(np.eye(4), ["A", "A", "A", "B"], perplexity=1) == pytest.approx(0.8, abs=1e-12)
    # A,A,B,B: every row sees 1 same + 2 other: 9/5 again
    assert ilisi(np.eye(4), ["A", "A", "B", "B"], perplexity=1) == pytest.approx(0.8, abs=1e-12)


def test_lisi_survives_what_the_reference_underflows():
    # Far-apart equidistant points: exp(-d * beta) underflows in LISI's code (Simpson -1);
    # shifting by the nearest distance keeps the exact answer.
    assert lisi(1e4 * np.eye(4), list("AABB"), perplexity=1) == pytest.approx([1.8] * 4)


def test_common_gene_ratio_by_hand():
    # clusters {a@1, a@2, b@3}, {b@1, b@2}, {c@3}: distinct genes 2 + 1 + 1 = 4 of N = 6
    # CGR = 1 - 4/6 = 1/3 (= 3/6 (1 - 2/3) + 2/6 (1 - 1/2) + 1/6 (1 - 1))
    genes = ["a", "b", "a", "b", "b", "c"]
    datasets = [1, 1, 2, 2, 3, 3]
    value = common_gene_ratio(np.zeros((6, 2)), genes, datasets, clusters=[0, 1, 0, 1, 0, 2])
    assert value == pytest.approx(1 / 3, abs=1e-12)


def test_neighbour_overlap_by_hand():
    # A: x-y, x-z; B: x-y. N(xA)={y,z}, N(yA)={x}, N(zA)={x}, N(xB)={y}, N(yB)={x}.
    a = sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]]))
    b = sp.csr_matrix(np.array([[0, 1], [1, 0]]))
    genes, datasets = ["x", "y", "z", "x", "y"], ["A", "A", "A", "B", "B"]
    emb = np.zeros((5, 2))
    # one cluster: xA-xB 1/2, xA-yB 0, yA-xB 0, yA-yB 1, zA-xB 0, zA-yB 1 -> 2.5 / 6
    assert neighbour_overlap(emb, genes, datasets, {"A": a, "B": b},
                             clusters=[0] * 5) == pytest.approx(2.5 / 6, abs=1e-12)
    # clusters {xA, yA, xB, yB} (1.5 / 4, weight 4/5) and {zA} (no cross pairs: 0): 0.3
    assert neighbour_overlap(emb, genes, datasets, {"A": a, "B": b},
                             clusters=[0, 0, 1, 0, 0]) == pytest.approx(0.3, abs=1e-12)
    # a self-loop on x in A puts x in N(xA) = {x, y, z}: xA-xB 1/3, xA-yB 1/3 -> (8/3) / 6
    a_loop = a.toarray()
    a_loop[0, 0] = 1
    assert neighbour_overlap(emb, genes, datasets, {"A": a_loop, "B": b},
                             clusters=[0] * 5) == pytest.approx(4 / 9, abs=1e-12)
    # no edges anywhere: every union is empty -> 0 (the reference would divide by zero)
    empty = {"A": sp.csr_matrix((3, 3)), "B": sp.csr_matrix((2, 2))}
    assert neighbour_overlap(emb, genes, datasets, empty, clusters=[0] * 5) == 0.0


def test_summarize_methods_by_hand():
    # m1 0.9/0.5/0.7 -> scaled 1/0/0.5, ranks 1/3/2; m2 0.1/0.3/0.3 -> 0/1/1, ranks 3/1.5/1.5
    # m3 constant -> scaled 0, ranks 2/2/2.
    # avg_score: a (1+0+0)/3 = 1/3, b (0+1+0)/3 = 1/3, c (0.5+1+0)/3 = 1/2
    # avg_rank: a (1+3+2)/3 = 2, b (3+1.5+2)/3 = 13/6, c (2+1.5+2)/3 = 11/6
    table = pd.DataFrame({"m1": [0.9, 0.5, 0.7], "m2": [0.1, 0.3, 0.3], "m3": [0.4] * 3},
                         index=["a", "b", "c"])
    out = summarize_methods(table)
    np.testing.assert_allclose(out["avg_score"], [1 / 3, 1 / 3, 1 / 2], atol=1e-12)
    np.testing.assert_allclose(out["avg_rank"], [2, 13 / 6, 11 / 6], atol=1e-12)
    assert list(out.index) == ["a", "b", "c"]
    pd.testing.assert_frame_equal(out[table.columns], table)  # metrics untouched
    assert "avg_score" not in table  # no in-place change


# --------------------------------------------------------------------------- brute-force twins
@pytest.mark.parametrize("perplexity", [2.5, 5, 30])  # 1: by hand (brute underflows)
@pytest.mark.parametrize("seed", range(3))
def test_lisi_matches_brute_force(seed, perplexity):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(25, 3))
    labels = rng.integers(0, 3, size=25)
    want = lisi_brute(x, labels, perplexity)
    assert np.isfinite(want).all()
    np.testing.assert_allclose(lisi(x, labels, perplexity), want, rtol=1e-9, atol=0)


@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_neighbour_overlap_matches_reference_loop(seed, n_clusters):
    emb, genes, datasets, adjacency, rng = random_case(seed)
    clusters = rng.integers(0, n_clusters, size=len(genes))
    got = neighbour_overlap(emb, genes, datasets, adjacency, clusters=clusters)
    assert got == pytest.approx(neighbour_overlap_brute(genes, datasets, adjacency, clusters),
                                abs=1e-12)


@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(2, 6))
def test_asw_and_gc_match_brute_force(seed, n_clusters, k):
    emb, genes, datasets, _, rng = random_case(seed, n_datasets=2)
    clusters = rng.integers(0, n_clusters, size=len(genes))
    common = common_gene_mask(genes, datasets)
    # ASW: scib's rule, silhouettes by hand
    scores, fallback = [], []
    for c in np.unique(clusters[common]):
        idx = np.flatnonzero(common & (clusters == c))
        n_ds = len(set(datasets[idx]))
        if n_ds == 1:
            fallback.append(0.0)
        elif n_ds == len(idx):
            fallback.append(1.0)
        else:
            scores.append(np.mean(1 - np.abs(silhouette_brute(emb[idx], datasets[idx]))))
    want = np.mean(scores if scores else fallback)
    assert common_gene_asw(emb, genes, datasets, clusters=clusters) == pytest.approx(want, abs=1e-9)
    # GC: k-NN of all rows by sorting, subgraph per cluster with networkx
    full = np.sqrt(((emb[:, None] - emb[None]) ** 2).sum(-1))
    g = nx.Graph()
    g.add_nodes_from(range(len(emb)))
    for i in range(len(emb)):
        order = [j for j in np.argsort(full[i], kind="stable") if j != i][: k - 1]
        g.add_edges_from((i, j) for j in order)
    fracs = []
    for c in np.unique(clusters[common]):
        idx = np.flatnonzero(common & (clusters == c))
        sub = g.subgraph(idx.tolist())
        fracs.append(max(len(cc) for cc in nx.connected_components(sub)) / len(idx))
    got = graph_connectivity(emb, genes, datasets, k=k, clusters=clusters)
    assert got == pytest.approx(np.mean(fracs), abs=1e-12)


def test_edge_auc_all_negatives_is_the_full_auroc():
    from sklearn.metrics import roc_auc_score

    emb, _, datasets, adjacency, _ = random_case(7, n_genes=30, dim=4)
    aucs = []
    for d, a in adjacency.items():
        x = emb[datasets == d]
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        sym = (a.toarray() != 0) | (a.toarray() != 0).T
        i, j = np.triu_indices(len(x), k=1)
        aucs.append(roc_auc_score(sym[i, j], (xn[i] * xn[j]).sum(1)))
    assert edge_auc(emb, datasets, adjacency, negatives="all") == pytest.approx(np.mean(aucs))


# --------------------------------------------------------------------------- invariances
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(8, 60), dim=st.integers(1, 5),
       n_ds=st.integers(2, 4), perplexity=st.sampled_from([1.0, 2.0, 5.0, 30.0]))
def test_ilisi_invariant_to_row_permutation_and_rotation(seed, n, dim, n_ds, perplexity):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)) * rng.uniform(0.1, 10)
    datasets = np.arange(n) % n_ds  # every dataset present
    base = ilisi(x, datasets, perplexity)
    perm = rng.permutation(n)
    assert ilisi(x[perm], datasets[perm], perplexity) == pytest.approx(base, abs=1e-9)
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))  # random orthogonal matrix
    shift = rng.normal(size=dim) * 5
    assert ilisi(x @ q + shift, datasets, perplexity) == pytest.approx(base, abs=1e-9)
    assert 0.0 <= base <= 1.0 + 1e-12


@given(st.integers(0, 2**32 - 1))
def test_cluster_metrics_invariant_to_row_permutation(seed):
    emb, genes, datasets, adjacency, rng = random_case(seed)
    clusters = rng.integers(0, 3, size=len(genes))
    perm = rng.permutation(len(genes))
    # permuting rows permutes each dataset's rows too: reorder its adjacency to match
    adj_perm = {}
    for d, a in adjacency.items():
        old_rows = np.flatnonzero(datasets == d)
        new_order = [int(np.flatnonzero(old_rows == r)[0]) for r in perm if datasets[r] == d]
        adj_perm[d] = a[new_order][:, new_order]
    args = (emb[perm], genes[perm], datasets[perm])
    cl = clusters[perm]
    assert common_gene_ratio(*args, clusters=cl) == pytest.approx(
        common_gene_ratio(emb, genes, datasets, clusters=clusters), abs=1e-12)
    assert neighbour_overlap(*args, adj_perm, clusters=cl) == pytest.approx(
        neighbour_overlap(emb, genes, datasets, adjacency, clusters=clusters), abs=1e-12)
    assert common_gene_asw(*args, clusters=cl) == pytest.approx(
        common_gene_asw(emb, genes, datasets, clusters=clusters), abs=1e-9)
    assert auc_or_none(emb[perm], datasets[perm], adj_perm) == pytest.approx(
        auc_or_none(emb, datasets, adjacency), abs=1e-12)


def auc_or_none(emb, datasets, adjacency):
    try:
        return edge_auc(emb, datasets, adjacency, negatives="all")
    except ValueError:  # no dataset with both edges and non-edges
        return None


# --------------------------------------------------------------------------- properties
def families(n_datasets: int = 3, n_families: int = 4, per_family: int = 25, dim: int = 8,
             seed: int = 0):
    """Genes in tight, far-apart families; every gene in every dataset, rows identical."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=50, size=(n_families, dim))
    pos = np.repeat(centres, per_family, axis=0) + rng.normal(size=(n_families * per_family, dim))
    n_genes = len(pos)
    genes = np.tile([f"g{i}" for i in range(n_genes)], n_datasets)
    datasets = np.repeat([f"d{j}" for j in range(n_datasets)], n_genes)
    family = np.tile(np.repeat(np.arange(n_families), per_family), n_datasets)
    adjacency = {f"d{j}": sp.csr_matrix((family[:n_genes, None] == family[None, :n_genes])
                                        .astype(float)) for j in range(n_datasets)}
    return pos, genes, datasets, family, adjacency


def test_perfectly_integrated_embedding_scores_top():
    pos, genes, datasets, family, adjacency = families()
    n_datasets = 3
    emb = np.tile(pos, (n_datasets, 1))  # each gene's rows identical across datasets
    clusters = leiden_clusters(emb)
    # each gene's copies share a cluster, so CGR reaches its maximum 1 - G/N = 1 - 1/D
    out = embedding_metrics(emb, genes, datasets, adjacency)
    assert set(out) == set(METRICS)
    assert out["common_gene_ratio"] == pytest.approx(1 - 1 / n_datasets, abs=1e-12)
    assert out["graph_connectivity"] == 1.0
    # identical copies: s(i) = -1/m in a cluster of m genes, so ASW = mean_C (1 - 1/m_C);
    # Leiden makes small clusters of such tight copies, so this is well below 1 here
    # (distances of identical rows are ~1e-7, not 0, in sklearn's silhouette: tolerance)
    m = np.bincount(clusters)[np.unique(clusters)] / n_datasets
    assert out["common_gene_asw"] == pytest.approx(np.mean(1 - 1 / m), abs=1e-6)
    # a row's own copies (other datasets) sit at distance 0 and dominate its weights,
    # so neighbourhoods lean to the other datasets: high, not exactly 1
    assert out["ilisi"] > 0.85
    # graphs = families, rows cluster by family: adjacency is a monotone function of similarity
    assert out["edge_auc"] > 0.99
    assert out["neighbour_overlap"] == pytest.approx(1.0, abs=1e-12)  # clusters within families
    # with the families as clusters the numbers are exact
    assert common_gene_asw(emb, genes, datasets, clusters=family) == pytest.approx(
        1 - 1 / 25, abs=1e-6)
    assert neighbour_overlap(emb, genes, datasets, adjacency, clusters=family) == pytest.approx(
        1.0, abs=1e-12)


def test_dataset_separated_embedding_scores_bottom():
    pos, genes, datasets, _, adjacency = families()
    offsets = np.repeat(np.arange(3)[:, None] * 1e4, len(pos), axis=0)
    emb = np.tile(pos, (3, 1)) + offsets  # each dataset in its own far-away region
    out = embedding_metrics(emb, genes, datasets, adjacency)
    assert out["ilisi"] == 0.0            # every neighbourhood holds one dataset
    assert out["common_gene_asw"] == 0.0  # every cluster holds one dataset
    assert out["common_gene_ratio"] == 0.0
    assert out["neighbour_overlap"] == 0.0
    # within one everything-cluster, datasets are perfectly separable: ASW near 0
    assert common_gene_asw(emb, genes, datasets, clusters=np.zeros(len(emb))) < 0.05
    # ... and iLISI with a mixed embedding of the same rows is high
    assert ilisi(np.tile(pos, (3, 1)), datasets) > 0.85


def test_edge_auc_is_one_for_monotone_similarity_and_half_for_noise():
    rng = np.random.default_rng(3)
    emb, datasets, adjacency = [], [], {}
    for d, (n, n_comm) in enumerate([(60, 3), (45, 5)]):
        comm = rng.integers(0, n_comm, size=n)
        emb.append(np.eye(n_comm, 8)[comm] * rng.uniform(0.5, 2, size=(n, 1)))  # cos 1 or 0
        adjacency[d] = sp.csr_matrix((comm[:, None] == comm[None, :]).astype(float))
        datasets += [d] * n
    emb = np.vstack(emb)
    for seed in range(3):
        assert edge_auc(emb, datasets, adjacency, seed=seed) == 1.0
    # random embeddings on random sparse graphs: 0.5 up to sampling noise (sd ~ 0.01)
    datasets = np.repeat([0, 1], 300)
    adjacency = {d: sp.random(300, 300, density=0.03, random_state=d) for d in (0, 1)}
    noise = rng.normal(size=(600, 16))
    for seed in range(3):
        assert abs(edge_auc(noise, datasets, adjacency, seed=seed) - 0.5) < 0.05
    sampled = edge_auc(noise, datasets, adjacency, seed=0)
    assert sampled == edge_auc(noise, datasets, adjacency, seed=0)  # seeded
    assert abs(sampled - edge_auc(noise, datasets, adjacency, negatives="all")) < 0.03
    # a dense graph (most pairs linked) takes the enumeration path
    dense = {d: sp.csr_matrix(rng.random((300, 300)) < 0.8) for d in (0, 1)}
    assert abs(edge_auc(noise, datasets, dense, seed=1) - 0.5) < 0.05


def test_leiden_clusters_deterministic_and_respect_blobs():
    rng = np.random.default_rng(0)
    blob = np.repeat(np.arange(3), 40)
    emb = np.eye(3, 5)[blob] * 100 + rng.normal(size=(120, 5))
    a, b = leiden_clusters(emb, seed=4), leiden_clusters(emb, seed=4)
    np.testing.assert_array_equal(a, b)
    for c in np.unique(a):
        assert len(set(blob[a == c])) == 1  # no cluster spans two blobs


def test_summarize_methods_orders_the_methods():
    table = pd.DataFrame({m: [0.9, 0.5, 0.1] for m in METRICS}, index=["best", "mid", "worst"])
    out = summarize_methods(table)
    assert out["avg_score"].tolist() == [1.0, 0.5, 0.0]
    assert out["avg_rank"].tolist() == [1.0, 2.0, 3.0]


# --------------------------------------------------------------------------- bad input
def test_bad_input_is_one_line_value_error():
    emb = np.zeros((4, 2))
    genes, datasets = ["a", "b", "a", "b"], ["X", "X", "Y", "Y"]
    adj = {"X": sp.csr_matrix((2, 2)), "Y": sp.csr_matrix((2, 2))}
    cases = [
        (lambda: common_gene_ratio(emb, genes[:3], datasets, clusters=[0] * 4), "one entry per"),
        (lambda: common_gene_ratio(emb, genes, ["X"] * 4, clusters=[0] * 4), "at least 2 datasets"),
        (lambda: common_gene_asw(emb, ["a", "b", "c", "d"], datasets, clusters=[0] * 4),
         "no common genes"),
        (lambda: ilisi(np.array([[0.0], [np.nan]]), ["X", "Y"]), "NaN"),
        (lambda: ilisi(emb, ["X"] * 4), "at least 2 datasets"),
        (lambda: common_gene_ratio(emb, ["a", "a", "a", "b"], datasets, clusters=[0] * 4),
         "several rows"),
        (lambda: neighbour_overlap(emb, genes, datasets, {"X": adj["X"]}, clusters=[0] * 4),
         "no graph"),
        (lambda: neighbour_overlap(emb, genes, datasets, {**adj, "Y": sp.csr_matrix((3, 3))},
                                   clusters=[0] * 4), "must be 2 x 2"),
        (lambda: edge_auc(emb, datasets, {**adj, "Z": adj["X"]}), "unknown dataset"),
        (lambda: edge_auc(emb, datasets, adj), "no dataset has both"),
        (lambda: edge_auc(emb, datasets, adj, negatives="some"), "negatives"),
        (lambda: lisi(emb, datasets, perplexity=0), "perplexity"),
        (lambda: common_gene_ratio(np.zeros(4), genes, datasets), "2-D"),
        (lambda: summarize_methods(pd.DataFrame({"m": [0.1, np.nan]})), "NaN"),
        (lambda: summarize_methods(pd.DataFrame({"m": ["x", "y"]})), "numeric"),
        (lambda: summarize_methods(pd.DataFrame({"avg_rank": [1.0]})), "already"),
        (lambda: summarize_methods(pd.DataFrame()), "non-empty"),
    ]
    for call, fragment in cases:
        with pytest.raises(ValueError, match=fragment) as info:
            call()
        assert "\n" not in str(info.value)


def test_clustering_leaves_torch_thread_count_alone() -> None:
    """UMAP's numba must not raise torch's OpenMP threads above OMP_NUM_THREADS (it did:
    1 -> 2, and training beside another job slowed 7x). A fresh interpreter, since numba
    reads its threading layer once."""
    code = ("import dglgene, numpy as np, torch\n"
            "from dglgene.eval.metrics import leiden_clusters\n"
            "leiden_clusters(np.random.default_rng(0).random((200, 4)))\n"
            "print(torch.get_num_threads())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"}, check=True)
    assert done.stdout.strip().splitlines()[-1] == "1"


def test_an_embedding_of_many_rows_gets_clusters_and_a_layout() -> None:
    # 8,550 rows: past the size where scanpy's default neighbour search would take over
    import anndata as ad

    from dglgene.eval import annotate_embedding

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, (3, 8))
    blob = np.repeat(np.arange(3), 2850)
    emb = annotate_embedding(ad.AnnData((centres[blob] + rng.normal(0, 1, (8550, 8)))
                                        .astype(np.float32)), seed=0)
    layout = emb.obsm["X_umap"]
    assert layout.shape == (8550, 2)
    # every cluster lies within one blob, and the blobs lie apart in the layout
    purity = pd.crosstab(emb.obs["cluster"], blob).max(axis=1).sum() / len(blob)
    assert purity > 0.99
    middle = np.stack([layout[blob == b].mean(0) for b in range(3)])
    spread = max(layout[blob == b].std(0).max() for b in range(3))
    gaps = [np.linalg.norm(middle[a] - middle[b]) for a, b in itertools.combinations(range(3), 2)]
    assert min(gaps) > 3 * spread
