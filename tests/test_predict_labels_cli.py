"""`dglgene predict-labels`: outputs and floors on success; one-line errors, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from error_lines import error_lines

from dglgene.cli import main

CLASSES = ("kinase", "ribosome", "secreted")
PER_CLASS = 10


def write_embedding(path: Path, degree: bool) -> Path:
    """Two datasets embedding the same 30 genes; each class sits around its own axis."""
    rng = np.random.default_rng(0)
    genes = [f"G{i:02d}" for i in range(len(CLASSES) * PER_CLASS)]
    centres = np.repeat(np.eye(len(CLASSES), 8), PER_CLASS, axis=0)
    rows = [centres + 0.05 * rng.standard_normal(centres.shape) for _ in ("d1", "d2")]
    obs = pd.DataFrame({"gene": genes * 2, "dataset": ["d1"] * 30 + ["d2"] * 30,
                        "modality": "rna", "tissue": "blood"},
                       index=[f"{d}:{g}" for d in ("d1", "d2") for g in genes])
    if degree:
        obs["degree"] = np.tile(np.arange(30) % 7, 2).astype(float)
    ad.AnnData(np.vstack(rows).astype(np.float32), obs=obs).write_h5ad(path)
    return path


def write_labels(path: Path) -> Path:
    genes = [f"G{i:02d}" for i in range(len(CLASSES) * PER_CLASS)]
    labels = pd.DataFrame({"gene": [*genes, "NOT_EMBEDDED"],
                           "label": [c for c in CLASSES for _ in range(PER_CLASS)] + ["kinase"]})
    labels.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("degree", [False, True])
def test_predict_labels_writes_its_outputs(tmp_path, capsys, degree: bool) -> None:
    emb = write_embedding(tmp_path / "gene_embeddings.h5ad", degree)
    out = tmp_path / "out"
    code = main(["predict-labels", str(emb), str(write_labels(tmp_path / "labels.csv")),
                 "--out", str(out), "--k", "3", "--folds", "5", "--seed", "1"])
    printed = capsys.readouterr().out
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["n_genes"], metrics["n_classes"], metrics["n_not_embedded"]) == (30, 3, 1)
    assert (metrics["k"], metrics["n_folds"], metrics["seed"]) == (3, 5, 1)
    # well-separated classes: kNN is perfect, the majority floor is at chance (3 equal classes)
    assert metrics["knn"] == {"accuracy": 1.0, "auroc": 1.0}
    assert metrics["majority"]["accuracy"] == pytest.approx(1 / 3)
    per_class = pd.read_csv(out / "label_prediction.csv")
    assert per_class["class"].tolist() == list(CLASSES)
    assert per_class["n_genes"].tolist() == [PER_CLASS] * 3
    assert ("degree" in metrics) == degree
    assert ("degree floor omitted" in printed) != degree
    assert "knn" in printed and "majority" in printed


def failure(tmp_path: Path, capsys, emb: Path, labels: Path) -> str:
    out = tmp_path / "out"
    code = main(["predict-labels", str(emb), str(labels), "--out", str(out)])
    assert code == 2
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_predict_labels_bad_input(tmp_path, capsys) -> None:
    emb = write_embedding(tmp_path / "gene_embeddings.h5ad", degree=False)
    wrong_columns = tmp_path / "wrong.csv"
    wrong_columns.write_text("symbol,class\nG00,kinase\n")
    assert "'gene' and 'label'" in failure(tmp_path, capsys, emb, wrong_columns)
    strangers = tmp_path / "strangers.csv"
    strangers.write_text("gene,label\n" + "".join(f"X{i},{i % 2}\n" for i in range(10)))
    assert "none of the 10 labelled genes" in failure(tmp_path, capsys, emb, strangers)
    one_class = tmp_path / "one_class.csv"
    one_class.write_text("gene,label\n" + "".join(f"G{i:02d},kinase\n" for i in range(10)))
    assert "fewer than 2 classes" in failure(tmp_path, capsys, emb, one_class)
    assert "no such label file" in failure(tmp_path, capsys, emb, tmp_path / "missing.csv")
    junk = tmp_path / "junk.h5ad"
    junk.write_text("no")
    assert "not a readable .h5ad" in failure(tmp_path, capsys, junk, wrong_columns)
