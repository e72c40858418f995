"""GO enrichment: hypergeometric p-values and BH values checked against hand arithmetic."""

from __future__ import annotations

import math

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from dglgene.eval.enrichment import (
    COLUMNS,
    embedding_clusters,
    enrich,
    enrich_clusters,
    plot_enrichment,
)

BACKGROUND = list("abcdefghij")  # N = 10, C(10, 3) = 120
QUERY = ["a", "b", "c", "zz"]  # "zz" is outside the background: n = 3
SETS = {
    "S1": ["a", "b", "c", "d", "zz"],  # K = 4 ("zz" dropped), k = 3
    "S2": ["a", "b", "e", "f"],  # K = 4, k = 2
    "S3": ["a", "g"],  # K = 2, k = 1
    "S4": ["h", "i", "j"],  # K = 3, k = 0: not in the table, counts in BH
    "S5": ["x", "y"],  # K = 0: not tested, does not count
}


def test_p_values_by_hand() -> None:
    table = enrich(QUERY, SETS, BACKGROUND).set_index("Term")
    # S1: P[X >= 3] = C(4,3) C(6,0) / C(10,3) = 4 / 120 = 1/30
    # S2: P[X >= 2] = [C(4,2) C(6,1) + C(4,3) C(6,0)] / C(10,3) = (36 + 4) / 120 = 1/3
    # S3: P[X >= 1] = 1 - C(2,0) C(8,3) / C(10,3) = 1 - 56 / 120 = 8/15
    np.testing.assert_allclose(table.loc[["S1", "S2", "S3"], "P-value"], [1 / 30, 1 / 3, 8 / 15])
    assert list(table.loc[["S1", "S2", "S3"], "Overlap"]) == ["3/4", "2/4", "1/2"]
    assert list(table.loc[["S1", "S2", "S3"], "Genes"]) == ["a;b;c", "a;b", "a"]


def test_benjamini_hochberg_by_hand() -> None:
    table = enrich(QUERY, SETS, BACKGROUND).set_index("Term")
    # m = 4 tested sets (S1-S4; S5 has no member in the background), sorted p:
    # 1/30, 1/3, 8/15, 1 (S4). q_(i) = min_{j >= i} p_(j) * 4 / j:
    # q4 = 1; q3 = 8/15 * 4/3 = 32/45; q2 = min(1/3 * 4/2, 32/45) = 2/3;
    # q1 = min(1/30 * 4, 2/3) = 2/15.
    np.testing.assert_allclose(table.loc[["S1", "S2", "S3"], "Adjusted P-value"],
                               [2 / 15, 2 / 3, 32 / 45])


def test_table_layout() -> None:
    table = enrich(QUERY, SETS, BACKGROUND)
    assert list(table.columns) == COLUMNS == ["Term", "Overlap", "P-value", "Adjusted P-value",
                                              "Genes"]
    assert list(table["Term"]) == ["S1", "S2", "S3"]  # by P-value; k = 0 sets left out
    empty = enrich(["zz"], SETS, BACKGROUND)
    assert empty.empty and list(empty.columns) == COLUMNS


def test_genes_outside_the_background_are_ignored() -> None:
    base = enrich(["a", "b", "c"], {k: [g for g in v if g in BACKGROUND] for k, v in SETS.items()},
                  BACKGROUND)
    pd.testing.assert_frame_equal(enrich(QUERY, SETS, BACKGROUND), base)


def naive_enrich(query: set, sets: dict, background: set) -> dict:
    """The definition, set by set, with exact binomials and BH by its formula."""
    n_bg, query = len(background), query & background
    p = {}
    for term, members in sets.items():
        members = set(members) & background
        if members:
            k, big_k, n = len(query & members), len(members), len(query)
            p[term] = (k, sum(math.comb(big_k, x) * math.comb(n_bg - big_k, n - x)
                              for x in range(k, min(n, big_k) + 1)) / math.comb(n_bg, n))
    order = sorted(p, key=lambda t: p[t][1])
    m = len(order)
    q = {t: min(p[u][1] * m / (j + 1) for j, u in enumerate(order) if j >= i)
         for i, t in enumerate(order)}
    return {t: (p[t][1], min(q[t], 1.0)) for t in p if p[t][0] >= 1}


def test_vectorised_equals_the_definition_on_random_input() -> None:
    rng = np.random.default_rng(0)
    genes = [f"g{i}" for i in range(60)]
    for _ in range(5):
        background = set(rng.choice(genes, 45, replace=False))
        query = set(rng.choice(genes, 12, replace=False))
        sets = {f"t{j}": list(rng.choice(genes, rng.integers(1, 15), replace=False))
                for j in range(30)}
        table = enrich(sorted(query), sets, sorted(background)).set_index("Term")
        expected = naive_enrich(query, sets, background)
        assert set(table.index) == set(expected)
        for term, (p, q) in expected.items():
            assert table.loc[term, "P-value"] == pytest.approx(p, rel=1e-9)
            assert table.loc[term, "Adjusted P-value"] == pytest.approx(q, rel=1e-9)


@pytest.fixture(scope="module")
def planted() -> tuple[pd.Series, dict]:
    """Five clusters of 30 genes among 200; each has a GO-like set of 20 of its genes plus 5
    others, beside 100 random sets."""
    rng = np.random.default_rng(1)
    genes = np.array([f"G{i:03d}" for i in range(200)])
    labels = np.repeat(np.arange(7), [30, 30, 30, 30, 30, 25, 25]).astype(str)
    clusters = pd.Series(labels, index=genes)
    sets = {f"own {c}": [*rng.choice(genes[labels == str(c)], 20, replace=False),
                         *rng.choice(genes, 5, replace=False)] for c in range(5)}
    sets.update({f"random {j}": list(rng.choice(genes, 20, replace=False)) for j in range(100)})
    return clusters, sets


def test_enrich_clusters_finds_each_planted_set_first(planted) -> None:
    clusters, sets = planted
    table = enrich_clusters(clusters, sets)
    assert list(table.columns) == ["Cluster", *COLUMNS]
    assert list(pd.unique(table["Cluster"])) == [str(c) for c in range(7)]
    for c in range(5):
        own = table[table["Cluster"] == str(c)].iloc[0]
        assert own["Term"] == f"own {c}"
        assert own["Adjusted P-value"] < 1e-10
    # Clusters 5 and 6 have no planted set: nothing survives the correction.
    assert (table[table["Cluster"].isin(["5", "6"])]["Adjusted P-value"] > 0.01).all()


def test_enrich_clusters_is_enrich_per_cluster(planted) -> None:
    clusters, sets = planted
    table = enrich_clusters(clusters, sets, min_size=26)  # skips clusters 5 and 6 (25 genes)
    assert list(pd.unique(table["Cluster"])) == ["0", "1", "2", "3", "4"]
    one = table[table["Cluster"] == "3"].drop(columns="Cluster").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        one, enrich(list(clusters.index[clusters == "3"]), sets, list(clusters.index)))


def test_embedding_clusters_lists_a_gene_under_each_of_its_clusters() -> None:
    obs = pd.DataFrame({"gene": ["a", "a", "b", "c", "b"], "dataset": ["d1", "d2", "d1", "d1",
                                                                        "d2"],
                        "cluster": pd.Categorical(["10", "2", "2", "2", "2"])},
                       index=[f"r{i}" for i in range(5)])
    emb = ad.AnnData(np.zeros((5, 2), dtype=np.float32), obs=obs)
    clusters = embedding_clusters(emb)
    assert list(clusters.items()) == [("a", "2"), ("b", "2"), ("c", "2"), ("a", "10")]
    table = enrich_clusters(clusters, {"AB": ["a", "b"]}, min_size=1)
    # background = the 3 embedded genes; cluster 2 holds all of them, so P = 1
    assert table.set_index("Cluster").loc["2", "P-value"] == pytest.approx(1.0)
    # cluster 10 = {a}: P[X >= 1] with N = 3, K = 2, n = 1 is 2/3
    assert table.set_index("Cluster").loc["10", "P-value"] == pytest.approx(2 / 3)


def test_plot_enrichment_writes_png(planted, tmp_path) -> None:
    clusters, sets = planted
    table = enrich_clusters(clusters, sets)
    for name, frame in (("dots.png", table), ("empty.png", table.iloc[:0]),
                        ("one.png", enrich(list(clusters.index[:30]), sets, clusters.index))):
        path = plot_enrichment(frame, tmp_path / name, max_clusters=3)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
