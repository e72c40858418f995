"""scTransNet against the expression-free and the unsupervised floor on planted networks.

On the SERGIO benchmark (:data:`~dglgene.grn.SERGIO_BENCHMARK`, data seed 0, transductive
split seed 0) scTransNet's test AUROC must beat both Pearson |r| and the per-TF prior by
at least :data:`MARGIN`. Measured with this code: 0.666 against Pearson 0.625 and the
prior 0.618 at seed 0; over split seeds 0-2 (``dglgene bench-grn --data sergio``) the
README table gives the spread. Everything runs on CPU in about a minute.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from dglgene.benchmarks import BENCHMARK_SETTINGS, benchmark_datasets, compare_grn
from dglgene.errors import DglgeneInputError
from dglgene.eval.grn_metrics import auroc
from dglgene.grn import (
    GRNSettings,
    baseline_scores,
    encoder_encodings,
    make_splits,
    train_scores,
)

#: AUROC by which scTransNet must beat each baseline
MARGIN = 0.03


def test_sctransnet_beats_pearson_and_the_per_tf_prior_on_sergio():
    data = benchmark_datasets(["sergio"])["sergio"]
    splits = make_splits(data, "transductive", seed=0)
    settings = GRNSettings()
    scores, _ = train_scores(data, splits, encoder_encodings(data, settings=settings),
                             settings, seed=0)
    labels = splits["test"]["label"].to_numpy()
    model = auroc(labels, scores)
    floor = {name: auroc(labels, s) for name, s in
             baseline_scores(data, splits, 0, ("per-TF prior", "Pearson |r|")).items()}
    assert all(model >= value + MARGIN for value in floor.values()), (model, floor)


def test_unknown_early_stopping_criterion_is_a_one_line_error():
    with pytest.raises(ValueError, match="unknown select_by 'f1'; choose one of loss, auroc"):
        GRNSettings(select_by="f1")


def test_a_benchmark_trains_with_its_own_settings_and_the_others_with_the_given(monkeypatch):
    """CollecTRI's larger batches reach its runs only; the given settings the rest."""
    import dglgene.benchmarks.grn as benchmarks

    seen = []

    def spy(data, splits, source, settings, seed, device):
        seen.append(settings)
        return np.zeros(len(splits["test"])), None

    monkeypatch.setattr(benchmarks, "train_scores", spy)
    data = benchmark_datasets(["sergio"])["sergio"]
    given = GRNSettings(epochs=3)
    compare_grn({"collectri": data, "sergio": data}, splits=["transductive"], seeds=[0],
                settings=given, methods=["GENELink (no transformer)"],
                baselines=("per-TF prior",))
    assert seen == [replace(given, **BENCHMARK_SETTINGS["collectri"]), given]
    assert seen[0].batch_size == 4096 != given.batch_size


def test_benchmark_groups_stand_for_their_members():
    from dglgene.benchmarks import BENCHMARK_GROUPS, benchmark_names

    members = BENCHMARK_GROUPS["collectri-pbmc"]
    assert benchmark_names(["collectri-pbmc"]) == list(members)
    # order kept, each once, whether named alone or through its group
    assert benchmark_names(["mdc", members[2], "collectri-pbmc"]) == \
        ["mdc", members[2], *[m for m in members if m != members[2]]]
    with pytest.raises(DglgeneInputError, match="collectri-pbmc"):  # listed among the choices
        benchmark_datasets(["nope"])


def test_encoder_cells_all_real_pretrains_on_every_real_set_for_collectri_only(monkeypatch):
    import dglgene.benchmarks.grn as benchmarks
    from dglgene.datasets.collectri import DATASETS

    given = []

    def spy(data, encoder, checkpoint, settings, device, pretrain_cells=None):
        given.append(pretrain_cells)
        raise KeyboardInterrupt  # what it was given is all this test needs

    monkeypatch.setattr(benchmarks, "encoder_encodings", spy)
    immune = benchmark_datasets(["collectri"])["collectri"]
    with pytest.raises(KeyboardInterrupt):
        compare_grn({"collectri": immune}, encoder_cells="all-real")
    frames = given[0]
    assert len(frames) == len(DATASETS) and all(list(f.index) == immune.genes for f in frames)
    assert sum(f.shape[1] for f in frames) > 2 * immune.n_cells
    with pytest.raises(KeyboardInterrupt):
        compare_grn({"collectri": immune})
    assert given[1] is None  # default: its own cells
    sergio = benchmark_datasets(["sergio"])["sergio"]
    for bad, words in ((dict(encoder_cells="all-real"), "not built on the built-in real"),
                       (dict(encoder_cells="everything"), "unknown encoder cells")):
        with pytest.raises(DglgeneInputError, match=words):
            compare_grn({"sergio": sergio}, **bad)
    assert len(given) == 2  # refused before any encoder work


def test_genie3_fits_each_target_once_per_benchmark_whatever_the_seeds(monkeypatch):
    """GENIE3 sees no labels, so its forests (seed 0) serve every split and seed: a target
    is fitted once, and every seed's scores are those of a plain seed-0 fit."""
    from sklearn.ensemble import RandomForestRegressor

    from dglgene.datasets import simulate_sergio_grn
    from dglgene.models.grn_baselines import genie3_scores

    data = simulate_sergio_grn(n_tfs=10, n_targets=12, n_cells=40, seed=0)
    fits = []
    fit = RandomForestRegressor.fit

    def counted(self, x, y, *args, **kwargs):
        fits.append(x.shape)
        return fit(self, x, y, *args, **kwargs)

    monkeypatch.setattr(RandomForestRegressor, "fit", counted)
    table = compare_grn({"tiny": data}, splits=["transductive", "held-out-tf"], seeds=[0, 1],
                        methods=[], baselines=("GENIE3",))
    assert len(fits) == data.n_genes - (data.expression.std(axis=1) == 0).sum()
    for seed in (0, 1):
        test = make_splits(data, "transductive", seed)["test"]
        plain = genie3_scores(data.expression, data.tfs, test, seed=0)
        row = table[(table["seed"] == seed) & (table["split"] == "transductive")]
        assert row["auroc"].item() == pytest.approx(auroc(test["label"], plain))
        # TF by TF: the same scores over each test TF's own pairs, TFs by name
        per_tf = table.attrs["per_tf"]
        mine = per_tf[(per_tf["seed"] == seed) & (per_tf["split"] == "transductive")]
        names = np.asarray(data.genes, dtype=object)[test["tf"]]
        for tf, group in test.groupby(names):
            if group["label"].nunique() == 2:
                value = mine.loc[mine["tf"] == tf, "auroc"].item()
                assert value == pytest.approx(auroc(group["label"], plain[group.index]))
            else:
                assert tf not in set(mine["tf"])
    held_out = table.attrs["per_tf"].query("split == 'held-out-tf' and seed == 0")
    test = make_splits(data, "held-out-tf", 0)["test"]
    assert set(held_out["tf"]) <= {data.genes[t] for t in test["tf"]}


def test_parallel_jobs_give_the_rows_of_one_job_on_one_thread(one_thread):
    """Every model of the table (all methods, two split kinds) trained two at a time in
    forked one-thread workers: the same table, bit for bit."""
    data = benchmark_datasets(["sergio"])["sergio"]
    settings = GRNSettings(epochs=3, pretrain_epochs=1)
    kwargs = dict(splits=["transductive", "held-out-tf"], seeds=[1], settings=settings,
                  baselines=("per-TF prior",))
    one = compare_grn({"sergio": data}, **kwargs)
    two = compare_grn({"sergio": data}, jobs=2, **kwargs)
    assert len(one) == 2 * 5
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    with pytest.raises(DglgeneInputError, match="use one job"):
        compare_grn({"sergio": data}, jobs=2, device="cuda", **kwargs)
