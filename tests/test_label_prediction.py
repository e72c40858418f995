"""Gene-label prediction by kNN: by hand, against sklearn, floors and bad labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gene_knn_cases import folds_of, knn_cases, on_circle, planted, sklearn_scores
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from dglgene.eval.gene_knn import random_embedding
from dglgene.eval.label_prediction import predict_gene_labels

# --------------------------------------------------------------------------- gene labels
GENES9 = [f"g{i}" for i in range(9)]
ANGLES9 = [0, 10, 45, 40, 52, 60, 80, 90, 102]


def test_label_prediction_by_hand() -> None:
    # Classes a = g0-g2, b = g3-g5, c = g6-g8. StratifiedKFold(3, shuffle, seed 0) makes
    # folds {g2 g4 g6}, {g1 g5 g8}, {g0 g3 g7}: one gene of each class per fold. Nearest
    # gene of the other folds (k=1), by angle: g0 -> g1 (a), g1 -> g0 (a), g2 -> g3 (b, wrong),
    # g3 -> g2 (a, wrong), g4 -> g5, g5 -> g4, g6 -> g7, g7 -> g6, g8 -> g7: accuracy 7/9.
    # AUROC of class a: positives score 1, 1, 0; negatives 1 (g3), 0 x 5: 13.5 / 18 = 0.75;
    # class b likewise 0.75; class c 1: macro (0.75 + 0.75 + 1) / 3 = 5/6.
    # Majority: every training fold holds 2 + 2 + 2 genes, the tie goes to 'a': 3/9; all
    # scores equal, AUROC 0.5. u0 (unlabelled, at 41 degrees) must never be a neighbour;
    # class d has 2 < 3 genes and is dropped; zz has no embedding.
    assert folds_of([0, 0, 0, 1, 1, 1, 2, 2, 2], 3, seed=0) == [2, 1, 0, 2, 0, 1, 0, 2, 1]
    unified = on_circle([*ANGLES9, 41, 85, 86], [*GENES9, "u0", "h0", "h1"])
    labels = pd.Series([*"aaabbbccc", "d", "d", "a"], index=[*GENES9, "h0", "h1", "zz"])
    result = predict_gene_labels(unified, labels, k=1, n_folds=3, seed=0)
    m = result.metrics
    assert m["knn"] == {"accuracy": pytest.approx(7 / 9), "auroc": pytest.approx(5 / 6)}
    assert m["majority"] == {"accuracy": pytest.approx(1 / 3), "auroc": pytest.approx(0.5)}
    assert "degree" not in m
    assert (m["n_genes"], m["n_classes"], m["n_not_embedded"]) == (9, 3, 1)
    assert m["dropped_classes"] == {"d": 2}
    assert result.per_class["recall"].tolist() == pytest.approx([2 / 3, 2 / 3, 1])
    assert result.per_class["knn_auroc"].tolist() == pytest.approx([0.75, 0.75, 1])
    assert result.predictions.set_index("gene").loc[["g2", "g3"], "predicted"].tolist() == [
        "b", "a"]


def test_label_prediction_reads_a_csv(tmp_path) -> None:
    path = tmp_path / "labels.csv"
    rows = [f"{g},{c}" for g, c in zip(GENES9, "aaabbbccc")]
    path.write_text("gene,label,note\n" + "\n".join(rows) + "\ng0,a,repeated\ng9,,no label\n")
    from_csv = predict_gene_labels(on_circle(ANGLES9, GENES9), path, k=1, n_folds=3)
    assert from_csv.metrics["knn"]["accuracy"] == pytest.approx(7 / 9)
    assert from_csv.metrics["n_incomplete_rows"] == 1


@settings(max_examples=30)
@given(knn_cases(), st.integers(2, 4))
def test_label_fast_knn_equals_sklearn(case, n_classes: int) -> None:
    x, k, n_folds, seed, rng = case
    n = len(x)
    assume(n >= n_classes * n_folds)
    codes = np.concatenate([np.repeat(np.arange(n_classes), n_folds),
                            rng.integers(0, n_classes, n - n_classes * n_folds)])
    rng.shuffle(codes)
    genes = [f"g{i:02d}" for i in range(n)]
    labels = pd.Series(np.array(list("pqrs"))[codes], index=genes)
    result = predict_gene_labels(pd.DataFrame(x, index=genes), labels, k=k, n_folds=n_folds,
                                 seed=seed)
    expected = sklearn_scores(x, codes, k, n_folds, seed)
    assert result.predictions["predicted"].tolist() == list(
        np.array(list("pqrs"))[expected.argmax(axis=1)])
    assert result.metrics["knn"]["accuracy"] == pytest.approx(
        np.mean(expected.argmax(axis=1) == codes))
    auroc = (roc_auc_score(codes, expected[:, 1]) if n_classes == 2 else
             roc_auc_score(codes, expected, multi_class="ovr", average="macro"))
    assert result.metrics["knn"]["auroc"] == pytest.approx(auroc, abs=1e-12)


def test_planted_labels_are_found_and_floors_stay_at_chance() -> None:
    unified, modules = planted(n_background=0)
    labels = pd.Series({g: name for name, genes in modules.items() for g in genes})
    result = predict_gene_labels(unified, labels)
    assert result.metrics["knn"]["accuracy"] > 0.95 and result.metrics["knn"]["auroc"] > 0.95
    assert result.metrics["majority"]["accuracy"] == pytest.approx(0.25)  # 4 equal classes
    assert abs(result.metrics["majority"]["auroc"] - 0.5) < 0.05
    noise = predict_gene_labels(random_embedding(unified, seed=1), labels).metrics["knn"]
    assert abs(noise["accuracy"] - 0.25) < 0.12 and abs(noise["auroc"] - 0.5) < 0.1


def test_degree_floor_learns_the_direction_of_degree() -> None:
    # 'low' genes have low degree: the raw degree's AUROC for the positive class would be
    # 0, but a model trained on the folds reads the direction and separates them.
    unified, modules = planted(n_modules=2, n_background=0)
    labels = pd.Series({**dict.fromkeys(modules["module 0"], "high"),
                        **dict.fromkeys(modules["module 1"], "low")})
    degree = pd.Series(np.where(labels == "high", 50.0, 2.0), index=labels.index)
    degree += np.arange(len(degree)) % 3  # not constant within a class
    floor = predict_gene_labels(unified, labels, degree=degree).metrics["degree"]
    assert floor == {"accuracy": 1.0, "auroc": 1.0}
    with pytest.raises(ValueError, match="degree is missing for 1 of the 60 genes"):
        predict_gene_labels(unified, labels, degree=degree.iloc[1:])


@pytest.mark.parametrize("labels, message", [
    (pd.Series(["a"] * 5 + ["b"] * 5, index=[f"x{i}" for i in range(10)]),
     "none of the 10 labelled genes is in the embedding"),
    (pd.Series(["a"] * 9, index=GENES9), "fewer than 2 classes"),
    (pd.Series([*"aaaaaaab", "b"], index=GENES9), "fewer than 2 classes"),
    (pd.Series([*"aaabbbccc", "b"], index=[*GENES9, "g0"]), "'g0' has 2 different labels"),
])
def test_bad_labels_are_named_in_one_line(labels: pd.Series, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        predict_gene_labels(on_circle(ANGLES9, GENES9), labels, k=1, n_folds=3)
    assert "\n" not in str(error.value)


def test_bad_label_csv_is_named_in_one_line(tmp_path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("symbol,class\ng0,a\n")
    with pytest.raises(ValueError, match="not 'gene' and 'label'") as error:
        predict_gene_labels(on_circle(ANGLES9, GENES9), path)
    assert "\n" not in str(error.value)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="not a readable CSV"):
        predict_gene_labels(on_circle(ANGLES9, GENES9), path)
