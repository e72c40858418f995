"""BEELINE / GENELink layout: exact file format, round trips, the vendored mDC data, bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dglgene.data.beeline import FILES, read_beeline, read_split, write_beeline, write_split
from dglgene.data.grn_data import GRNData
from dglgene.datasets.beeline import load_beeline_mdc

# A tiny directory written by hand, byte for byte in GENELink's layout.
EXPRESSION = """\
,cell1,cell2,cell3
GATA1,1.5,0.0,2.25
SPI1,0.0,3.0,1.0
KLF1,2.0,2.5,0.125
CEBPA,0.5,0.5,4.0
EPOR,1.0,0.0,0.0
"""
NETWORK = "Gene1,Gene2\nGATA1,KLF1\nGATA1,EPOR\nSPI1,CEBPA\nSPI1,GATA1\n"
TF = ",TF,index\n0,GATA1,0\n1,SPI1,1\n"
TARGET = ",Gene,index\n0,GATA1,0\n1,SPI1,1\n2,KLF1,2\n3,CEBPA,3\n4,EPOR,4\n"
LABEL = ",TF,Target\n0,0,2\n1,0,4\n2,1,3\n3,1,0\n"
SPLIT = ",TF,Target,Label\n0,0,2,1\n1,0,3,0\n2,1,0,1\n3,1,4,0\n"


def write_files(directory: Path, **replace: str | None) -> Path:
    files = {"expression": EXPRESSION, "network": NETWORK, "tfs": TF, "targets": TARGET,
             "labels": LABEL} | replace
    directory.mkdir(parents=True, exist_ok=True)
    for key, text in files.items():
        if text is not None:
            (directory / FILES[key]).write_text(text)
    return directory


@pytest.fixture
def toy_dir(tmp_path) -> Path:
    return write_files(tmp_path / "toy")


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message and message
    return message


def test_read_hand_written(toy_dir):
    grn = read_beeline(toy_dir)
    assert grn.name == "toy"
    assert grn.expression.shape == (5, 3)
    assert grn.expression.loc["GATA1", "cell3"] == 2.25
    assert list(grn.network.columns) == ["tf", "target"]
    assert list(zip(grn.network.tf, grn.network.target)) == [
        ("GATA1", "KLF1"), ("GATA1", "EPOR"), ("SPI1", "CEBPA"), ("SPI1", "GATA1")]
    assert grn.tfs == ["GATA1", "SPI1"]
    assert grn.targets == ["GATA1", "SPI1", "KLF1", "CEBPA", "EPOR"]
    assert grn.gene_index == {"GATA1": 0, "SPI1": 1, "KLF1": 2, "CEBPA": 3, "EPOR": 4}
    tf, target = grn.edge_index()
    assert tf.tolist() == [0, 0, 1, 1] and target.tolist() == [2, 4, 3, 0]


def test_label_file_is_optional(tmp_path):
    grn = read_beeline(write_files(tmp_path / "d", labels=None))
    assert len(grn.network) == 4


def test_write_matches_the_exact_format(toy_dir, tmp_path):
    out = write_beeline(read_beeline(toy_dir), tmp_path / "copy")
    for key in ("expression", "network", "tfs", "targets", "labels"):
        assert (out / FILES[key]).read_text() == (toy_dir / FILES[key]).read_text(), key


def test_round_trip_with_scores_and_awkward_floats(tmp_path):
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(7)]
    expr = pd.DataFrame(rng.lognormal(size=(7, 5)), index=genes,
                        columns=[f"c{j}" for j in range(5)])
    net = pd.DataFrame({"tf": ["G0", "G0", "G1"], "target": ["G2", "G3", "G0"],
                        "score": [1.5, 2.0, 7.25]})
    grn = GRNData(expr, net, tfs=["G0", "G1"], targets=genes[1:], name="x")
    back = read_beeline(write_beeline(grn, tmp_path / "x"))
    pd.testing.assert_frame_equal(back.expression, grn.expression)  # exact floats
    pd.testing.assert_frame_equal(back.network, grn.network)
    assert back.tfs == grn.tfs and back.targets == grn.targets
    assert (tmp_path / "x" / FILES["network"]).read_text().startswith("Gene1,Gene2,Score\n")


def test_write_replaces_an_existing_directory(toy_dir, tmp_path):
    grn = read_beeline(toy_dir)
    target = tmp_path / "out"
    write_beeline(grn, target)
    (target / "stale.txt").write_text("old")
    write_beeline(grn, target)
    assert not (target / "stale.txt").exists()


def test_failed_write_leaves_nothing(toy_dir, tmp_path, monkeypatch):
    grn = read_beeline(toy_dir)
    calls = []
    real = pd.DataFrame.to_csv

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    parent = tmp_path / "parent"
    parent.mkdir()
    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_beeline(grn, parent / "new")
    assert list(parent.iterdir()) == []  # no directory, no temp leftovers

    monkeypatch.setattr(pd.DataFrame, "to_csv", real)
    write_beeline(grn, parent / "old")
    before = {p.name: p.read_text() for p in (parent / "old").iterdir()}
    calls.clear()
    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    with pytest.raises(OSError):
        write_beeline(grn, parent / "old")
    assert {p.name: p.read_text() for p in (parent / "old").iterdir()} == before
    assert [p.name for p in parent.iterdir()] == ["old"]


def test_split_round_trip_exact_format(tmp_path):
    path = tmp_path / "Train_set.csv"
    path.write_text(SPLIT)
    split = read_split(path)
    assert list(split.columns) == ["tf", "target", "label"]
    assert split.to_numpy().tolist() == [[0, 2, 1], [0, 3, 0], [1, 0, 1], [1, 4, 0]]
    out = write_split(split, tmp_path / "again.csv")
    assert out.read_text() == SPLIT


def test_split_without_label(tmp_path):
    split = pd.DataFrame({"tf": [1, 0], "target": [3, 4]})
    path = write_split(split, tmp_path / "Test_set.csv")
    assert path.read_text() == ",TF,Target\n0,1,3\n1,0,4\n"
    back = read_split(path)
    assert list(back.columns) == ["tf", "target"]
    assert back.to_numpy().tolist() == [[1, 3], [0, 4]]


def test_split_with_gene_names_maps_to_rows(toy_dir, tmp_path):
    grn = read_beeline(toy_dir)
    path = tmp_path / "named.csv"
    path.write_text(",TF,Target,Label\n0,GATA1,KLF1,1\n1,SPI1,EPOR,0\n")
    assert read_split(path, grn).to_numpy().tolist() == [[0, 2, 1], [1, 4, 0]]


# ---------------------------------------------------------------- the vendored real data

@pytest.mark.parametrize("truth, edges, net_tfs, tfs", [
    ("specific", 756, 20, 323), ("non-specific", 3067, 250, 321), ("string", 4815, 264, 321)])
def test_vendored_mdc(truth, edges, net_tfs, tfs):
    grn = load_beeline_mdc(truth)
    assert grn.expression.shape == (821, 383)  # 821 genes x 383 cells
    assert grn.name == f"mDC-{truth}"
    assert len(grn.network) == edges
    assert grn.network["tf"].nunique() == net_tfs
    assert len(grn.tfs) == tfs and len(grn.targets) == 821
    assert set(grn.network["tf"]) <= set(grn.tfs)
    assert np.isfinite(grn.expression.to_numpy()).all()
    assert grn.expression.to_numpy().min() >= 0  # log expression


def test_vendored_mdc_row_order_is_per_folder():
    # The folders share genes and values but not row order: indices never transfer.
    a, b = load_beeline_mdc("specific"), load_beeline_mdc("string")
    assert set(a.genes) == set(b.genes) and a.genes != b.genes
    pd.testing.assert_frame_equal(a.expression, b.expression.loc[a.genes])


def test_vendored_loader_returns_copies():
    a = load_beeline_mdc()
    a.expression.iloc[0, 0] = -99.0
    assert load_beeline_mdc().expression.iloc[0, 0] != -99.0
    with pytest.raises(ValueError, match="unknown ground_truth"):
        load_beeline_mdc("chip")


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("key", ["expression", "network", "tfs", "targets"])
def test_missing_file(tmp_path, key):
    directory = write_files(tmp_path / "d", **{key: None})
    with pytest.raises(FileNotFoundError) as exc:
        read_beeline(directory)
    assert FILES[key] in one_line(exc)


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError) as exc:
        read_beeline(tmp_path / "nowhere")
    assert "nowhere" in one_line(exc)


@pytest.mark.parametrize("key, text, column", [
    ("network", "Gene1,Target\nGATA1,KLF1\n", "Gene2"),
    ("tfs", ",TF,row\n0,GATA1,0\n", "index"),
    ("targets", ",Name,index\n0,GATA1,0\n", "Gene"),
    ("labels", ",TF,Gene\n0,0,2\n", "Target"),
])
def test_missing_column(tmp_path, key, text, column):
    with pytest.raises(ValueError) as exc:
        read_beeline(write_files(tmp_path / "d", **{key: text}))
    message = one_line(exc)
    assert FILES[key] in message and column in message


@pytest.mark.parametrize("text, words", [
    (EXPRESSION.replace("2.25", ""), ["NaN", "GATA1", "cell3"]),
    (EXPRESSION.replace("EPOR", "KLF1"), ["duplicate", "KLF1"]),
    (EXPRESSION.replace("2.25", "high"), ["non-numeric", "cell3"]),
    ("", ["empty"]),
])
def test_bad_expression(tmp_path, text, words):
    with pytest.raises(ValueError) as exc:
        read_beeline(write_files(tmp_path / "d", expression=text))
    message = one_line(exc)
    assert FILES["expression"] in message
    for word in words:
        assert word in message


def test_network_genes_missing_from_expression_are_dropped_with_a_warning(tmp_path):
    network = NETWORK + "GATA1,HBB\nTAL1,KLF1\n"
    with pytest.warns(UserWarning, match=r"dropped 2 of 6 edges .*2 genes: HBB, TAL1"):
        grn = read_beeline(write_files(tmp_path / "d", network=network))
    assert len(grn.network) == 4


def test_no_network_tf_in_expression(tmp_path):
    network = "Gene1,Gene2\nTAL1,KLF1\nGFI1,EPOR\n"
    with pytest.raises(ValueError) as exc:
        read_beeline(write_files(tmp_path / "d", network=network, labels=None))
    message = one_line(exc)
    assert "none of its 2 TFs" in message and "GFI1, TAL1" in message


def test_no_edge_survives(tmp_path):
    with pytest.raises(ValueError) as exc:
        read_beeline(write_files(tmp_path / "d", network="Gene1,Gene2\nGATA1,HBB\n",
                                 labels=None))
    assert "no edge has both genes" in one_line(exc)


def test_self_loops_and_duplicates_dropped(tmp_path):
    network = NETWORK + "GATA1,GATA1\nGATA1,KLF1\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grn = read_beeline(write_files(tmp_path / "d", network=network))
    assert len(grn.network) == 4
    assert any("self-loops" in str(w.message) for w in caught)
    assert any("duplicate edges" in str(w.message) for w in caught)


@pytest.mark.parametrize("key, text, words", [
    ("tfs", ",TF,index\n0,GATA1,9\n", ["outside 0..4"]),
    ("tfs", ",TF,index\n0,GATA1,1\n", ["GATA1 -> row 1 = SPI1", "another expression"]),
    ("targets", ",Gene,index\n0,GATA1,-1\n", ["outside"]),
    ("labels", ",TF,Target\n0,0,2\n1,0,4\n2,1,3\n3,1,2\n", ["disagrees", "2 edges"]),
    ("labels", ",TF,Target\n0,0,7\n", ["target indices outside 0..4"]),
])
def test_index_files_must_match_the_expression(tmp_path, key, text, words):
    with pytest.raises(ValueError) as exc:
        read_beeline(write_files(tmp_path / "d", **{key: text}))
    message = one_line(exc)
    assert FILES[key] in message
    for word in words:
        assert word in message


def test_network_tf_missing_from_tf_csv_is_added(tmp_path):
    with pytest.warns(UserWarning, match="1 network TFs are not listed"):
        grn = read_beeline(write_files(tmp_path / "d", tfs=",TF,index\n0,GATA1,0\n"))
    assert grn.tfs == ["GATA1", "SPI1"]


@pytest.mark.parametrize("text, words", [
    (",TF,Target,Label\n0,0,5,1\n", ["target indices outside 0..4", "another expression"]),
    (",TF,Target,Label\n0,-1,2,1\n", ["tf indices outside"]),
    (",TF,Target,Label\n0,GATA1,HBB,1\n", ["unknown genes", "HBB"]),
    (",TF,Target,Label\n0,0,2,2\n", ["0 and 1"]),
    (",TF,Gene,Label\n0,0,2,1\n", ["Target"]),
])
def test_bad_split(toy_dir, tmp_path, text, words):
    grn = read_beeline(toy_dir)
    path = tmp_path / "split.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as exc:
        read_split(path, grn)
    message = one_line(exc)
    assert "split.csv" in message
    for word in words:
        assert word in message


def test_missing_split_file(tmp_path):
    with pytest.raises(FileNotFoundError) as exc:
        read_split(tmp_path / "Test_set.csv")
    assert "Test_set.csv" in one_line(exc)


def test_names_without_data_are_refused(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(",TF,Target\n0,GATA1,KLF1\n")
    with pytest.raises(ValueError, match="pass data="):
        read_split(path)


def test_bad_split_is_not_written(tmp_path):
    with pytest.raises(ValueError):
        write_split(pd.DataFrame({"tf": [0], "target": [-2], "label": [1]}), tmp_path / "s.csv")
    with pytest.raises(ValueError, match="0 and 1"):
        write_split(pd.DataFrame({"tf": [0], "target": [1], "label": [5]}), tmp_path / "s.csv")
    assert list(tmp_path.iterdir()) == []


def test_invalid_grndata_is_refused_before_writing(tmp_path):
    expr = pd.DataFrame([[1.0], [np.nan]], index=["A", "B"], columns=["c"])
    with pytest.raises(ValueError, match="NaN"):
        GRNData(expr, pd.DataFrame({"tf": ["A"], "target": ["B"]}), ["A"], ["B"])
    expr = pd.DataFrame([[1.0], [2.0]], index=["A", "B"], columns=["c"])
    with pytest.raises(ValueError, match="1 network targets are not rows"):
        GRNData(expr, pd.DataFrame({"tf": ["A"], "target": ["Z"]}), ["A"], ["B"])
    grn = GRNData(expr, pd.DataFrame({"tf": ["A"], "target": ["B"]}), ["A"], ["B"])
    grn.network.loc[0, "target"] = "Z"  # broken after construction
    with pytest.raises(ValueError, match="not rows"):
        write_beeline(grn, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
