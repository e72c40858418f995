"""Joint gene selection: a core chosen across datasets, then each dataset's own genes."""

from __future__ import annotations

import dataclasses
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from dglgene.data import GraphRecipe, build_collection, gene_selection
from dglgene.datasets import simulate_collection


class FakeMeta:
    def __init__(self, dataset: str) -> None:
        self.dataset = dataset


class FakeExpression:
    def __init__(self, dataset: str, scores: dict[str, float]) -> None:
        self.meta = FakeMeta(dataset)
        self.genes = np.array(list(scores))
        self.scores = np.array(list(scores.values()))


def test_core_is_the_best_mean_percentile_and_own_genes_fill_up(monkeypatch) -> None:
    monkeypatch.setattr(gene_selection, "gene_scores", lambda expr, recipe: (expr.scores, "s"))
    a = FakeExpression("A", {"g1": 4.0, "g2": 3.0, "g3": 2.0, "a1": 1.0})
    b = FakeExpression("B", {"g1": 1.0, "g2": 3.0, "g3": 4.0, "b1": 2.0})
    c = FakeExpression("C", {"g2": 2.0, "c1": 1.0})
    # percentiles (1 = best; 0 where absent): g1 (1 + .25 + 0)/3 = .417,
    # g2 (.75 + .75 + 1)/3 = .833, g3 (.5 + 1 + 0)/3 = .5, a1 .083, b1 .167, c1 .167
    recipe = GraphRecipe(n_hvg=3, shared_genes=2)  # core: g2, g3
    (sel_a, _), (sel_b, _), (sel_c, _) = gene_selection.joint_gene_selection([a, b, c], recipe)
    assert set(a.genes[sel_a]) == {"g2", "g3", "g1"}  # own best after the core: g1
    assert set(b.genes[sel_b]) == {"g2", "g3", "b1"}  # b1 (2.0) beats g1 (1.0) in B
    assert set(c.genes[sel_c]) == {"g2", "c1"}
    assert all(np.all(np.diff(s) > 0) for s in (sel_a, sel_b, sel_c))  # ascending indices


def test_joint_core_raises_shared_genes_on_simulated_data() -> None:
    sim = simulate_collection(n_datasets=3, n_modules=4, genes_per_module=15, n_background=60,
                              seed=3)
    recipe = GraphRecipe(n_hvg=60, n_components=16)
    own = build_collection(sim.adatas, recipe)
    joint = build_collection(sim.adatas, dataclasses.replace(recipe, shared_genes=40))

    def pairwise_common(coll) -> list[int]:
        return [len(set(g.genes) & set(h.genes)) for g, h in combinations(coll, 2)]

    assert all(g.n_genes == 60 for g in joint)
    assert sum(pairwise_common(joint)) > sum(pairwise_common(own))
    held = pd.Series([gene for g in joint for gene in g.genes]).value_counts()
    assert (held == 3).sum() >= 30  # most of the core is in every dataset


def test_shared_genes_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="shared_genes must lie in"):
        GraphRecipe(n_hvg=10, shared_genes=11)
