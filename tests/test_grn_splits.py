"""GRN splits: no leakage, held-out TFs really held out, documented class ratios, determinism,
degree-aware negatives that a degree heuristic cannot use."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dglgene.data.beeline import read_split
from dglgene.data.grn_data import GRNData
from dglgene.datasets.beeline import load_beeline_mdc
from dglgene.eval.grn_metrics import auroc
from dglgene.grn.degree_matched import degree_matched_negatives
from dglgene.grn.splits import (
    GENELINK_FILES,
    SPLIT_KINDS,
    SPLITS,
    candidate_pairs,
    check_splits,
    degree_aware_split,
    held_out_tf_split,
    make_splits,
    read_genelink_splits,
    split_counts,
    transductive_split,
    write_genelink_splits,
)
from dglgene.models.grn_baselines import degree_product, per_tf_prior

RATIOS = (0.67, 0.10, 0.23)


@st.composite
def networks(draw) -> GRNData:
    """Small random GRNs: 4-16 genes, 1-5 TFs, random edges, a random candidate list."""
    n_genes = draw(st.integers(4, 16))
    genes = [f"g{i}" for i in range(n_genes)]
    n_tfs = draw(st.integers(1, min(5, n_genes - 1)))
    tfs = genes[:n_tfs]
    edges = draw(st.sets(st.tuples(st.integers(0, n_tfs - 1), st.integers(0, n_genes - 1))
                         .filter(lambda e: e[0] != e[1]), min_size=1, max_size=40))
    target_mask = draw(st.lists(st.booleans(), min_size=n_genes, max_size=n_genes))
    targets = [g for g, keep in zip(genes, target_mask) if keep] or genes
    expr = pd.DataFrame(np.arange(n_genes * 3, dtype=float).reshape(n_genes, 3), index=genes,
                        columns=["a", "b", "c"])
    net = pd.DataFrame(sorted(edges), columns=["tf", "target"]).map(lambda i: genes[i])
    return GRNData(expr, net, tfs=tfs, targets=targets, name="h")


def pair_set(df: pd.DataFrame, label: int | None = None) -> set[tuple[int, int]]:
    if label is not None:
        df = df[df["label"] == label]
    return set(zip(df["tf"].tolist(), df["target"].tolist()))


def known_edges(grn: GRNData) -> set[tuple[int, int]]:
    tf, target = grn.edge_index()
    return set(zip(tf.tolist(), target.tolist()))


def assert_no_leakage(grn: GRNData, parts: dict[str, pd.DataFrame]) -> None:
    check_splits(parts)  # no pair twice
    sets = [pair_set(parts[s]) for s in SPLITS]
    assert sum(map(len, sets)) == sum(len(parts[s]) for s in SPLITS)  # no duplicate rows
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    known = known_edges(grn)
    train_pos = pair_set(parts["train"], 1)
    for name in ("val", "test"):
        assert not train_pos & pair_set(parts[name], 0), f"train positive as {name} negative"
    for name in SPLITS:
        assert pair_set(parts[name], 1) <= known
        assert not pair_set(parts[name], 0) & known  # a negative is never a known edge
        assert parts[name].dtypes.tolist() == [np.int64] * 3
        assert list(parts[name].columns) == ["tf", "target", "label"]


# ---------------------------------------------------------------- split_counts

def test_split_counts_follow_genelink_floors():
    rng = np.random.default_rng(0)
    assert split_counts(100, RATIOS, rng) == (67, 10, 23)
    assert split_counts(118, RATIOS, rng) == (79, 11, 28)  # int(79.06), int(90.86) - 79
    assert split_counts(10, RATIOS, rng) == (6, 1, 3)
    assert split_counts(3, RATIOS, rng) == (1, 1, 1)  # GENELink: (2, 0, 1)
    assert split_counts(2, RATIOS, rng) == (1, 0, 1)
    assert split_counts(0, RATIOS, rng) == (0, 0, 0)
    ones = {split_counts(1, RATIOS, rng) for _ in range(50)}
    assert ones == {(1, 0, 0), (0, 0, 1)}  # train or test, as GENELink's p_val = 0.5
    assert split_counts(1, (0.9, 0.1, 0.0), rng) == (1, 0, 0)
    assert split_counts(29, (0.71, 0.0, 0.29), rng) == (20, 0, 9)  # no float drop to 19


@given(n=st.integers(0, 3000), train=st.floats(0.05, 0.9), val=st.floats(0.0, 0.3))
def test_split_counts_sum_and_bounds(n, train, val):
    val = min(val, 1 - train)
    ratios = (train, val, 1 - train - val)
    counts = split_counts(n, ratios, np.random.default_rng(0))
    assert sum(counts) == n and min(counts) >= 0
    active = sum(r > 0 for r in ratios)
    if n >= active:
        for c, r in zip(counts, ratios):
            assert (c > 0) == (r > 0)
            assert abs(c - n * r) <= 2 + active  # floors, plus the at-least-one fix


# ---------------------------------------------------------------- transductive

@given(grn=networks(), seed=st.integers(0, 3), negatives=st.sampled_from(["hard", "balanced"]))
def test_transductive_never_leaks(grn, seed, negatives):
    parts = transductive_split(grn, seed=seed, negatives=negatives)
    assert_no_leakage(grn, parts)
    # every known edge is used exactly once
    assert set().union(*(pair_set(parts[s], 1) for s in SPLITS)) == known_edges(grn)


@given(grn=networks(), seed=st.integers(0, 3))
def test_transductive_hard_uses_every_candidate_with_documented_counts(grn, seed):
    parts = transductive_split(grn, seed=seed)
    every = set().union(*(pair_set(parts[s]) for s in SPLITS))
    rng = np.random.default_rng(0)
    for tf, (pos, neg) in candidate_pairs(grn).items():
        assert every >= {(tf, int(t)) for t in np.append(pos, neg)}
        for label, pool in ((1, pos), (0, neg)):
            counts = tuple(int(((parts[s].tf == tf) & (parts[s].label == label)).sum())
                           for s in SPLITS)
            if len(pool) == 1:
                assert counts in {(1, 0, 0), (0, 0, 1)}
            else:
                assert counts == split_counts(len(pool), RATIOS, rng)
    # TFs without a known target take no part, and self-pairs never occur
    for s in SPLITS:
        assert set(parts[s].tf) <= set(candidate_pairs(grn))
        assert not (parts[s].tf == parts[s].target).any()


@given(grn=networks(), seed=st.integers(0, 3))
def test_balanced_has_one_negative_per_positive(grn, seed):
    parts = transductive_split(grn, seed=seed, negatives="balanced")
    hard = transductive_split(grn, seed=seed, negatives="hard")
    for s in SPLITS:
        df = parts[s]
        for _tf, group in df.groupby("tf"):
            n_pos, n_neg = int(group.label.sum()), int((group.label == 0).sum())
            assert n_neg <= n_pos
        # the balanced negatives are a subset of the hard split's part: same partition
        assert pair_set(df, 0) <= pair_set(hard[s], 0)


def test_transductive_real_data_ratios():
    grn = load_beeline_mdc("specific")
    parts = transductive_split(grn, seed=0)
    assert_no_leakage(grn, parts)
    sizes = np.array([len(parts[s]) for s in SPLITS])
    n_pairs = 20 * 820  # 20 TFs with edges x (821 candidates - the TF itself)
    assert sizes.sum() == n_pairs
    np.testing.assert_allclose(sizes / n_pairs, RATIOS, atol=0.02)
    positives = [int(parts[s].label.sum()) for s in SPLITS]
    assert sum(positives) == 756
    for s in SPLITS:
        # hard negatives: each split keeps the data's positive rate, 756 / 16,400
        assert abs(parts[s].label.mean() - 756 / n_pairs) < 0.01
        assert parts[s].tf.nunique() == 20  # every TF in every split


def test_transductive_is_deterministic():
    grn = load_beeline_mdc("specific")
    a, b = transductive_split(grn, seed=3), transductive_split(grn, seed=3)
    c = transductive_split(grn, seed=4)
    for s in SPLITS:
        pd.testing.assert_frame_equal(a[s], b[s])
    assert not a["test"].equals(c["test"])


def test_bad_arguments():
    grn = load_beeline_mdc("specific")
    with pytest.raises(ValueError, match="summing to 1"):
        transductive_split(grn, ratios=(0.5, 0.1, 0.1))
    with pytest.raises(ValueError, match="negatives must be"):
        transductive_split(grn, negatives="random")
    with pytest.raises(ValueError, match="cannot hold out"):
        held_out_tf_split(grn, n_test_tfs=19)
    with pytest.raises(ValueError, match="val_by"):
        held_out_tf_split(grn, val_by="cell")


# ---------------------------------------------------------------- held-out TFs

def split_tfs(parts):
    return [set(parts[s].tf.tolist()) for s in SPLITS]


@given(grn=networks(), seed=st.integers(0, 3), val_by=st.sampled_from(["tf", "pair"]))
def test_held_out_tfs_never_train(grn, seed, val_by):
    n_tfs = len(candidate_pairs(grn))
    if n_tfs < 3:
        with pytest.raises(ValueError, match="cannot hold out"):
            held_out_tf_split(grn, seed=seed, n_test_tfs=1, val_by="tf", val_fraction=0.5)
        return
    parts = held_out_tf_split(grn, seed=seed, n_test_tfs=1, val_by=val_by, val_fraction=0.3)
    assert_no_leakage(grn, parts)
    train, val, test = split_tfs(parts)
    assert len(test) == 1 and not test & (train | val)
    if val_by == "tf":
        assert len(val) >= 1 and not val & train
    # the test TF's pairs are all there: every positive and hard negative
    (tf,) = test
    pos, neg = candidate_pairs(grn)[tf]
    assert pair_set(parts["test"]) == {(tf, int(t)) for t in np.append(pos, neg)}


def test_held_out_tf_real_data():
    grn = load_beeline_mdc("specific")
    parts = held_out_tf_split(grn, seed=0, n_test_tfs=5)
    assert_no_leakage(grn, parts)
    train, val, test = split_tfs(parts)
    assert len(test) == 5 and len(val) == 2 and len(train) == 13  # round(0.1 * 15) = 2
    assert not test & (train | val) and not val & train
    assert all(len(parts[s]) == 820 * n for s, n in zip(SPLITS, (13, 2, 5)))
    again = held_out_tf_split(grn, seed=0, n_test_tfs=5)
    pd.testing.assert_frame_equal(parts["test"], again["test"])
    assert split_tfs(held_out_tf_split(grn, seed=1, n_test_tfs=5))[2] != test
    # a fraction of the TFs; validation pairs from the training TFs
    frac = held_out_tf_split(grn, seed=0, n_test_tfs=0.25, val_by="pair")
    train, val, test = split_tfs(frac)
    assert len(test) == 5 and val <= train and not test & train


def test_genelink_files_round_trip(tmp_path):
    grn = load_beeline_mdc("specific")
    parts = transductive_split(grn, seed=0)
    write_genelink_splits(parts, tmp_path)
    for s in SPLITS:
        path = tmp_path / GENELINK_FILES[s]
        assert path.read_text().startswith(",TF,Target,Label\n0,")
        pd.testing.assert_frame_equal(read_split(path, grn), parts[s])


def test_genelink_split_files_read_back_exactly_and_leaks_are_refused(tmp_path):
    data = load_beeline_mdc("specific")
    parts = transductive_split(data, seed=1)
    write_genelink_splits(parts, tmp_path)
    back = read_genelink_splits(tmp_path, data)
    for name in parts:
        pd.testing.assert_frame_equal(back[name].reset_index(drop=True),
                                      parts[name].reset_index(drop=True), check_dtype=False)
    leaking = dict(parts, test=pd.concat([parts["test"], parts["train"].head(1)]))
    write_genelink_splits(leaking, tmp_path / "leak")
    with pytest.raises(ValueError, match="the splits leak"):
        read_genelink_splits(tmp_path / "leak", data)
    write_genelink_splits(dict(parts, val=parts["val"].drop(columns="label")), tmp_path / "nl")
    with pytest.raises(ValueError, match=r"Validation_set\.csv has no Label column"):
        read_genelink_splits(tmp_path / "nl", data)


# ---------------------------------------------------------------- degree-aware split

def per_node_counts(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Positives and negatives of each TF (column='tf') or target (column='target')."""
    return df.groupby([column, "label"]).size().unstack(fill_value=0).reindex(
        columns=[0, 1], fill_value=0)


@given(tf_target=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), min_size=1,
                          max_size=30), known=st.sets(st.integers(0, 143), max_size=40),
       seed=st.integers(0, 5))
def test_degree_matched_negatives_keep_the_tfs_and_avoid_forbidden_pairs(tf_target, known,
                                                                        seed):
    tf, target = (np.array(c, np.int64) for c in zip(*tf_target))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        neg_tf, neg_target = degree_matched_negatives(tf, target, 12, set(known),
                                                      np.random.default_rng(seed))
    keys = (neg_tf * 12 + neg_target).tolist()
    assert not set(keys) & known and len(set(keys)) == len(keys) and (neg_tf != neg_target).all()
    assert set(neg_target.tolist()) <= set(target.tolist())
    excess = pd.Series(neg_tf).value_counts().sub(pd.Series(tf).value_counts(), fill_value=0)
    assert (excess <= 0).all()  # no TF gets more negatives than it has positives
    dropped = len(tf) - len(neg_tf)
    assert (dropped > 0) == any("could not avoid" in str(w.message) for w in caught)
    if dropped == 0:
        assert sorted(neg_tf.tolist()) == sorted(tf.tolist())


def test_degree_matched_negatives_repair_to_the_exact_stubs_when_the_network_allows():
    rng = np.random.default_rng(0)
    # sparse: 60 of 20 TFs x 200 targets, so no target is linked to half of the TFs
    pairs = rng.choice(20 * 200, size=60, replace=False)
    tf, target = pairs // 200, 20 + pairs % 200  # genes 0-19 are the TFs
    assert np.bincount(target).max() < 10
    forbidden = set((tf * 220 + target).tolist())
    neg_tf, neg_target = degree_matched_negatives(tf, target, 220, forbidden, rng)
    assert sorted(neg_tf.tolist()) == sorted(tf.tolist())
    assert sorted(neg_target.tolist()) == sorted(target.tolist())
    assert not set((neg_tf * 220 + neg_target).tolist()) & forbidden


@given(grn=networks(), seed=st.integers(0, 3))
def test_degree_aware_never_leaks_and_balances_every_tf(grn, seed):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = degree_aware_split(grn, seed=seed)
    assert_no_leakage(grn, parts)
    assert not any(pair_set(parts[s], 0) & known_edges(grn) for s in SPLITS)
    transductive = transductive_split(grn, seed=seed)
    assert set().union(*(pair_set(parts[s], 1) for s in SPLITS)) == set().union(
        *(pair_set(transductive[s], 1) for s in SPLITS))  # every known edge, once
    for name in SPLITS:
        counts = per_node_counts(parts[name], "tf")
        if not caught:  # nothing dropped: one negative per positive of each TF
            assert (counts[0] == counts[1]).all(), name
        else:
            assert (counts[0] <= counts[1]).all(), name


def scale_free_network(seed: int = 0, n_tfs: int = 40, n_genes: int = 600) -> GRNData:
    """Hub TFs and hub targets: TF out-degree and target popularity fall as a power of rank."""
    rng = np.random.default_rng(seed)
    genes = [f"g{i}" for i in range(n_genes)]
    popularity = 1.0 / np.arange(1, n_genes - n_tfs + 1) ** 0.9
    popularity /= popularity.sum()
    edges = []
    for rank in range(n_tfs):
        k = max(2, int(120 / (rank + 1) ** 0.9))
        for g in rng.choice(n_genes - n_tfs, size=k, replace=False, p=popularity):
            edges.append((genes[rank], genes[n_tfs + int(g)]))
    expr = pd.DataFrame(rng.normal(size=(n_genes, 5)), index=genes)
    return GRNData(expr, pd.DataFrame(edges, columns=["tf", "target"]), tfs=genes[:n_tfs],
                   targets=genes[n_tfs:], name="scale-free")


def test_degree_heuristic_scores_chance_on_the_degree_aware_split_only():
    grn = scale_free_network()
    for seed in range(3):
        degree_aware = degree_aware_split(grn, seed=seed)
        hard = transductive_split(grn, seed=seed)
        aware_auroc = auroc(degree_aware["test"]["label"],
                            degree_product(degree_aware["train"], degree_aware["test"]))
        hard_auroc = auroc(hard["test"]["label"], degree_product(hard["train"], hard["test"]))
        prior_auroc = auroc(degree_aware["test"]["label"],
                            per_tf_prior(degree_aware["train"], degree_aware["test"]))
        assert abs(aware_auroc - 0.5) <= 0.05, (seed, aware_auroc)
        assert abs(prior_auroc - 0.5) <= 0.05, (seed, prior_auroc)
        assert hard_auroc > 0.75, (seed, hard_auroc)  # the usual split rewards hubs


def test_degree_aware_real_data_keeps_every_edge_and_balances():
    grn = load_beeline_mdc("specific")
    parts = degree_aware_split(grn, seed=0)
    assert_no_leakage(grn, parts)
    assert sum(int(parts[s]["label"].sum()) for s in SPLITS) == len(candidate_pairs_edges(grn))
    for name in SPLITS:
        counts = per_node_counts(parts[name], "tf")
        assert (counts[0] == counts[1]).all()
    assert make_splits(grn, "degree-aware", seed=0)["test"].equals(parts["test"])


def candidate_pairs_edges(grn: GRNData) -> set[tuple[int, int]]:
    return {(tf, int(t)) for tf, (pos, _) in candidate_pairs(grn).items() for t in pos}


def test_cli_choices_are_the_split_kinds_encoder_cells_and_benchmarks():
    from dglgene.benchmarks import (
        BENCHMARK_GROUPS,
        COLLECTRI_BENCHMARKS,
        ENCODER_CELLS,
        GRN_METHODS,
    )
    from dglgene.cli.grn import BASELINES, GRN_BENCHMARKS
    from dglgene.cli.grn import ENCODER_CELLS as _ENCODER_CELLS
    from dglgene.cli.grn import GRN_METHODS as _GRN_METHODS
    from dglgene.cli.grn import SPLIT_KINDS as _SPLIT_KINDS
    from dglgene.grn import BASELINES as _BASELINES

    assert _SPLIT_KINDS == SPLIT_KINDS
    assert _ENCODER_CELLS == ENCODER_CELLS
    assert set(GRN_BENCHMARKS) == {"sergio", "sergio-cascade", "mdc", *COLLECTRI_BENCHMARKS,
                                   *BENCHMARK_GROUPS}
    assert tuple(GRN_METHODS) == _GRN_METHODS
    assert _BASELINES == BASELINES
