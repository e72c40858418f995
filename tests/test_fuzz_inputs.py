"""Fuzzing the command line's input boundary with hypothesis.

Generated ``.h5ad`` files go to ``dglgene graphs`` and ``dglgene embed``, generated
BEELINE/GENELink folders (and split folders) to ``dglgene grn``. Every run must either
succeed (exit 0, a complete ``--out``) or exit 2 with exactly one stderr line
``dglgene: error: ...``, and then leave ``--out`` as it was (absent, or the previous
contents untouched) with nothing beside it. ``main()`` runs in-process, so an exception
that escapes it (a bug, not bad input) fails the example with its traceback.

Beyond that property, each generator knows which of its defects a demanding user expects
to be refused (NaN, an empty matrix, duplicate gene names, a missing column, ...) and which
to be handled (a gene or cell that is all zeros, counts in ``layers["counts"]``, a duplicate
network edge, ...), and the tests check the outcome against that.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from error_lines import error_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dglgene.cli import main
from dglgene.data import GraphCollection
from dglgene.data.beeline import read_beeline
from dglgene.grn.splits import transductive_split, write_genelink_splits

#: each example gets its own temporary folder, so capsys (read per run) is the only fixture
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


# ----------------------------------------------------------------------------- the property

def snapshot(path: Path) -> dict[str, bytes] | None:
    """Every file under ``path`` with its bytes (None: ``path`` does not exist)."""
    if not path.exists():
        return None
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


def run_cli(capsys, argv: list[str], out: Path) -> tuple[int, str]:
    """Run ``dglgene ARGV`` in-process; check the success-or-one-line-error property.

    ``out`` sits alone in its folder, so anything else there afterwards (a temporary
    directory, a write probe) is debris of the run."""
    before = snapshot(out)
    capsys.readouterr()
    with warnings.catch_warnings():  # warnings are not errors: kept off stderr here
        warnings.simplefilter("ignore")
        code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 2), (code, err)
    assert sorted(os.listdir(out.parent)) == (["out"] if out.exists() else [])
    if code == 2:
        lines = error_lines(err)
        assert len(lines) == 1 and lines[0].startswith("dglgene: error: "), err
        assert snapshot(out) == before, "a failed run changed --out"
    else:
        assert out.is_dir() and "old.txt" not in os.listdir(out), "--out not replaced whole"
    return code, err


def fresh_out(folder: Path, existing: bool) -> Path:
    """``folder/work/out``, absent or holding the files of an earlier run."""
    out = folder / "work" / "out"
    out.parent.mkdir()
    if existing:
        out.mkdir()
        (out / "old.txt").write_text("an earlier run")
    return out


# ----------------------------------------------------------------------------- .h5ad files

#: refused: no co-expression graph can or should be built from such a dataset
REFUSED = {"nan", "inf", "negative", "all_zero", "no_cells", "no_genes", "one_cell",
           "dup_gene", "strings", "no_x", "bad_modality", "no_coordinates"}
#: handled: a demanding user expects these to work
HANDLED = {"zero_gene", "zero_cell", "dup_cell"}


def mostly(usual: st.SearchStrategy, unusual: st.SearchStrategy,
           odds: int = 3) -> st.SearchStrategy:
    """``usual`` ``odds`` times out of ``odds + 1``, else ``unusual``."""
    return st.integers(0, odds).flatmap(lambda k: unusual if k == odds else usual)


@dataclass(frozen=True)
class DatasetSpec:
    n_cells: int
    n_genes: int
    rate: float         # Poisson mean of the counts
    seed: int
    defects: frozenset
    scale: str          # counts, log or tpm: what the read matrix holds
    in_layer: bool      # the read matrix in layers["counts"], X its log1p
    sparse: bool
    dtype: str
    modality: str | None

    @property
    def clean(self) -> bool:
        return self.defects <= HANDLED and self.rate >= 4


@st.composite
def dataset_specs(draw) -> DatasetSpec:
    defects = draw(mostly(st.just(set()), st.sets(
        st.sampled_from(sorted((REFUSED | HANDLED) - {"bad_modality", "no_coordinates"})),
        min_size=1, max_size=2)))
    modality = draw(st.sampled_from([None] * 4 + ["rna", "atac", "spatial", "foo",
                                                  "spatial-no-coordinates"]))
    if modality == "foo":
        defects |= {"bad_modality"}
    if modality == "spatial-no-coordinates":
        defects |= {"no_coordinates"}
    in_layer = draw(st.booleans())
    if in_layer:
        defects -= {"no_x"}
    scale = draw(st.sampled_from(["counts", "counts", "log", "tpm"]))
    integral = scale == "counts" and not defects & {"nan", "inf"}
    dtype = draw(st.sampled_from(["float64", "float32", "int64"] if integral
                                 else ["float64", "float32"]))
    return DatasetSpec(n_cells=draw(st.integers(20, 40)), n_genes=draw(st.integers(60, 70)),
                       rate=draw(st.sampled_from([4.0] * 4 + [1.0])),
                       seed=draw(st.integers(0, 2**16)), defects=frozenset(defects),
                       scale=scale, in_layer=in_layer, sparse=draw(st.booleans()),
                       dtype=dtype, modality=modality)


def make_adata(spec: DatasetSpec, gene_prefix: str = "G") -> ad.AnnData:
    rng = np.random.default_rng(spec.seed)
    d = spec.defects
    # three gene modules, each with its own activity per cell: co-expression to find
    modules = rng.integers(0, 3, spec.n_genes)
    activity = rng.normal(size=(spec.n_cells, 3))[:, modules]
    counts = rng.poisson(spec.rate * np.exp(0.7 * activity)).astype(np.float64)
    genes = [f"{gene_prefix}{j}" for j in range(spec.n_genes)]
    cells = [f"c{i}" for i in range(spec.n_cells)]
    if "zero_gene" in d:
        counts[:, 3] = 0
    if "zero_cell" in d:
        counts[2] = 0
    if "all_zero" in d:
        counts[:] = 0
    if "dup_gene" in d:
        genes[1] = genes[0]
    if "dup_cell" in d:
        cells[1] = cells[0]
    values = {"counts": counts, "log": np.log1p(counts),
              "tpm": 1e4 * counts / np.maximum(counts.sum(1, keepdims=True), 1)}[spec.scale]
    values = values.copy()
    for defect, value in (("nan", np.nan), ("inf", np.inf), ("negative", -1.0)):
        if defect in d:
            values[rng.integers(spec.n_cells), rng.integers(spec.n_genes)] = value
    keep_cells = {"one_cell": 1, "no_cells": 0}
    rows = min([spec.n_cells] + [keep_cells[k] for k in d & keep_cells.keys()])
    cols = 0 if "no_genes" in d else spec.n_genes
    values, counts = values[:rows, :cols], counts[:rows, :cols]
    genes, cells = genes[:cols], cells[:rows]

    def stored(matrix: np.ndarray):
        if "strings" in d:
            return matrix.astype(str).astype(object)
        matrix = matrix.astype(spec.dtype)
        return sp.csr_matrix(matrix) if spec.sparse else matrix

    obs, var = pd.DataFrame(index=cells), pd.DataFrame(index=genes)
    if spec.in_layer:  # the read matrix in layers["counts"], X its clean log1p
        x = np.log1p(counts)
        adata = ad.AnnData(sp.csr_matrix(x) if spec.sparse else x, obs=obs, var=var)
        adata.layers["counts"] = stored(values)
    else:
        adata = ad.AnnData(None if "no_x" in d else stored(values), obs=obs, var=var)
    if spec.modality is not None:
        adata.uns["modality"] = spec.modality.removesuffix("-no-coordinates")
    if spec.modality == "spatial":
        adata.obsm["spatial"] = rng.uniform(0, 100, (rows, 2))
    return adata


def write_h5ads(folder: Path, adatas: list[ad.AnnData]) -> list[str]:
    folder.mkdir()
    paths = []
    for k, adata in enumerate(adatas):
        path = folder / f"d{k}.h5ad"
        adata.write_h5ad(path)
        paths.append(str(path))
    return paths


@dataclass(frozen=True)
class GraphOptions:
    n_hvg: int
    method: str
    top_k: int | None
    p_value: float

    @property
    def refused(self) -> bool:
        return self.n_hvg < 2 or (self.top_k is not None and self.top_k < 1) \
            or not 0 < self.p_value <= 1

    def argv(self) -> list[str]:
        top_k = [] if self.top_k is None else ["--top-k", str(self.top_k)]
        return ["--n-hvg", str(self.n_hvg), "--method", self.method, "--p-value",
                str(self.p_value), *top_k, "--jobs", "1"]


def _options(n_hvg, top_k, p_value) -> st.SearchStrategy[GraphOptions]:
    return st.builds(GraphOptions, n_hvg=st.sampled_from(n_hvg),
                     method=st.sampled_from(["auto", "auto", "pearson", "cscore"]),
                     top_k=st.sampled_from(top_k), p_value=st.sampled_from(p_value))


_valid_options = _options([40, 1000], [None, None, 5, 1], [0.005, 0.5, 1.0])
#: n_hvg=2 is valid, but two datasets' top-2 genes may share none: no oracle for it
graph_options = mostly(_valid_options,
                       _options([2, 1, 0], [None, 0, -1], [0.005, 0.0, 1.5, float("nan")]))


def refused_by_recipe(specs: list[DatasetSpec], options: GraphOptions) -> bool:
    """CS-CORE on a dataset whose read matrix holds no counts."""
    return options.method == "cscore" and any(s.scale != "counts" for s in specs)


def check_graphs_outcome(code: int, specs: list[DatasetSpec], options: GraphOptions) -> None:
    if options.refused or any(s.defects & REFUSED for s in specs) \
            or refused_by_recipe(specs, options):
        assert code == 2, (specs, options)
    elif options.n_hvg > 2 and all(s.clean for s in specs):
        assert code == 0, (specs, options)


@settings(FUZZ, max_examples=40)
@given(specs=st.lists(dataset_specs(), min_size=1, max_size=2), options=graph_options,
       existing=st.booleans())
def test_graphs_on_generated_h5ad(capsys, specs, options, existing) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = write_h5ads(tmp / "in", [make_adata(s) for s in specs])
        out = fresh_out(tmp, existing)
        code, _ = run_cli(capsys, ["graphs", *inputs, "--out", str(out), *options.argv()],
                          out)
        check_graphs_outcome(code, specs, options)
        if code == 0:
            assert len(GraphCollection.load(out)) == len(specs)


@settings(FUZZ, max_examples=15)
@given(specs=st.lists(dataset_specs(), min_size=2, max_size=2),
       disjoint=st.sampled_from([False, False, False, True]),
       same_name=st.sampled_from([False, False, False, True]), existing=st.booleans())
def test_embed_on_generated_h5ad(capsys, specs, disjoint, same_name, existing) -> None:
    adatas = [make_adata(specs[0]), make_adata(specs[1], "H" if disjoint else "G")]
    if same_name:
        for adata in adatas:
            adata.uns["dataset"] = "twin"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = write_h5ads(tmp / "in", adatas)
        out = fresh_out(tmp, existing)
        code, _ = run_cli(capsys, ["embed", *inputs, "--out", str(out), "--epochs", "1"], out)
        if disjoint or same_name or any(s.defects & REFUSED for s in specs):
            assert code == 2, specs
        elif all(s.clean for s in specs):
            assert code == 0, specs
        if code == 0:
            emb = ad.read_h5ad(out / "gene_embeddings.h5ad")
            assert set(emb.obs["dataset"]) == {"d0", "d1"} and np.isfinite(emb.X).all()


def test_embed_on_pure_noise_says_there_are_no_edges(tmp_path, capsys) -> None:
    """Independent genes: no co-expression edge anywhere, so there is nothing to learn and
    edge AUC is undefined: refused before training (it once failed in the metrics)."""
    adatas = [ad.AnnData(np.random.default_rng(0).poisson(4.0, (20, 60)).astype(float))
              for _ in range(2)]
    for adata in adatas:
        adata.var_names = [f"G{j}" for j in range(60)]
    inputs = write_h5ads(tmp_path / "in", adatas)
    out = fresh_out(tmp_path, existing=False)
    code, err = run_cli(capsys, ["embed", *inputs, "--out", str(out), "--epochs", "1"], out)
    assert code == 2 and "edge" in err


# ----------------------------------------------------------------------------- GRN folders

#: damage to a BEELINE/GENELink folder -> (the file it hits, whether a demanding user
#: expects the folder refused)
GRN_DAMAGE = {
    **{f"drop {key}": (key, key != "labels") for key in ("expression", "network", "tfs",
                                                          "targets", "labels")},
    # Label.csv is optional, but an empty one is no label file
    **{f"empty {key}": (key, True) for key in ("expression", "network", "tfs", "labels")},
    "header-only expression": ("expression", True), "header-only network": ("network", True),
    "rename Gene1": ("network", True), "rename TF.index": ("tfs", True),
    "rename Target.Gene": ("targets", True), "rename Label.TF": ("labels", True),
    "text in expression": ("expression", True), "float in TF.index": ("tfs", True),
    "text in Label.Target": ("labels", True), "nan in expression": ("expression", True),
    "inf in expression": ("expression", True),
    # GENELink data may be z-scored; without an encoder nothing needs counts
    "negative expression": ("expression", False),
    "duplicate expression row": ("expression", True),
    "duplicate network edge": ("network", False), "duplicate tf row": ("tfs", False),
    "duplicate label row": ("labels", False),
    # dropped with a warning, as documented
    "self-loop edge": ("network", False), "unknown target in network": ("network", False),
    "unknown tf name in TF.csv": ("tfs", True), "unknown gene in Target.csv": ("targets", True),
    "only unknown tfs": ("network", True), "label index out of range": ("labels", True),
    "label disagrees": ("labels", True),
    "text score": ("network", False),  # Score is optional: non-numbers become NaN
}

#: damage to a GENELink split folder (--split-dir) -> refused?
SPLIT_DAMAGE = {
    "none": False, "drop test": True, "no train label": True, "label 2": True,
    "index out of range": True, "gene names": False, "unknown gene name": True,
    "a name among indices": True,
    "leaking pair": True, "test without labels": False, "empty train": True,
    "header-only train": True, "one-class train": True, "one-class test": True,
    "header-only test": True,
}


@dataclass(frozen=True)
class GrnSpec:
    n_genes: int
    n_cells: int
    n_tfs: int
    seed: int
    damage: frozenset
    split_damage: str | None  # None: no --split-dir
    split: str
    gnn: str
    epochs: int

    @property
    def refused(self) -> bool:
        split_dir = self.split_damage is not None
        return (any(GRN_DAMAGE[d][1] for d in self.damage) or self.epochs < 1
                or (split_dir and (SPLIT_DAMAGE[self.split_damage]
                                   or self.split != "transductive")))  # both: refused

    @property
    def clean(self) -> bool:
        return not self.refused and self.split == "transductive" and self.gnn != "none"


grn_specs = st.builds(
    GrnSpec, n_genes=st.integers(14, 24), n_cells=st.integers(12, 30),
    n_tfs=st.integers(2, 4), seed=st.integers(0, 2**16),
    damage=mostly(st.just(set()), st.sets(st.sampled_from(sorted(GRN_DAMAGE)), min_size=1,
                                          max_size=2), odds=1).filter(
        lambda d: len({GRN_DAMAGE[x][0] for x in d}) == len(d)).map(frozenset),  # 1 per file
    split_damage=mostly(st.none(), st.sampled_from(sorted(SPLIT_DAMAGE)), odds=1),
    split=mostly(st.just("transductive"), st.just("held-out-tf"), odds=5),
    gnn=mostly(st.sampled_from(["gat", "gcn"]), st.just("none"), odds=5),
    epochs=mostly(st.just(1), st.just(0), odds=7))


def clean_grn(spec: GrnSpec) -> dict[str, pd.DataFrame]:
    """The five files of a valid folder: expression, network, tfs, targets, labels."""
    rng = np.random.default_rng(spec.seed)
    genes = [f"G{j}" for j in range(spec.n_genes)]
    expr = pd.DataFrame(rng.gamma(2.0, 1.0, (spec.n_genes, spec.n_cells)).round(4),
                        index=genes, columns=[f"cell{i}" for i in range(spec.n_cells)])
    edges = [(genes[t], g) for t in range(spec.n_tfs)
             for g in rng.choice(genes[spec.n_tfs:], size=int(rng.integers(3, 7)),
                                 replace=False)]
    network = pd.DataFrame(edges, columns=["Gene1", "Gene2"])
    index = {g: i for i, g in enumerate(genes)}
    return {
        "expression": expr, "network": network,
        "tfs": pd.DataFrame({"TF": genes[:spec.n_tfs], "index": range(spec.n_tfs)}),
        "targets": pd.DataFrame({"Gene": genes, "index": range(spec.n_genes)}),
        "labels": pd.DataFrame({"TF": network["Gene1"].map(index),
                                "Target": network["Gene2"].map(index)}),
    }


FILES = {"expression": "BL--ExpressionData.csv", "network": "BL--network.csv",
         "tfs": "TF.csv", "targets": "Target.csv", "labels": "Label.csv"}


def damage_grn(frames: dict[str, pd.DataFrame], damage: str) -> None:
    """Apply one damage to the frames in place (drop, empty, header-only: when writing)."""
    expr, net, tfs, targets, labels = (frames[k] for k in FILES)
    extra_edge = {"self-loop edge": ("G0", "G0"), "unknown target in network": ("G0", "NOPE")}
    repeated = {"duplicate expression row": "expression", "duplicate network edge": "network",
                "duplicate tf row": "tfs", "duplicate label row": "labels"}
    renamed = {"rename Gene1": (net, "Gene1"), "rename TF.index": (tfs, "index"),
               "rename Target.Gene": (targets, "Gene"), "rename Label.TF": (labels, "TF")}
    if damage.split(" ", 1)[0] in ("drop", "empty", "header-only"):
        return
    if damage in renamed:
        frame, column = renamed[damage]
        frame.rename(columns={column: f"{column}_renamed"}, inplace=True)
    elif damage in repeated:
        frame = frames[repeated[damage]]
        frames[repeated[damage]] = pd.concat([frame, frame.iloc[[min(3, len(frame) - 1)]]])
    elif damage in extra_edge:
        frames["network"] = pd.concat([net, pd.DataFrame([extra_edge[damage]],
                                                         columns=["Gene1", "Gene2"])])
    elif damage == "text in expression":
        expr["cell0"] = expr["cell0"].astype(object)
        expr.loc["G5", "cell0"] = "high"
    elif damage == "float in TF.index":
        tfs["index"] = tfs["index"] + 0.5
    elif damage == "text in Label.Target":
        labels["Target"] = labels["Target"].astype(object)
        labels.iloc[0, 1] = "NOPE"
    elif damage in ("nan in expression", "inf in expression", "negative expression"):
        value = {"nan": np.nan, "inf": np.inf}.get(damage.split(" ", 1)[0], -1.5)
        expr.iloc[1, 1] = value
    elif damage == "unknown tf name in TF.csv":
        tfs.iloc[0, 0] = "XTF"
    elif damage == "unknown gene in Target.csv":
        targets.iloc[0, 0] = "XGENE"
    elif damage == "only unknown tfs":
        net["Gene1"] = "XTF"
    elif damage == "label index out of range":
        labels.iloc[0, 1] = 999
    elif damage == "label disagrees":
        frames["labels"] = labels.iloc[1:]
    elif damage == "text score":
        net["Score"] = "high"
    else:
        raise AssertionError(f"no such damage {damage!r}")


def write_grn(folder: Path, spec: GrnSpec) -> Path:
    frames = clean_grn(spec)
    for damage in sorted(spec.damage):
        damage_grn(frames, damage)
    folder.mkdir(parents=True)
    for key, frame in frames.items():
        path = folder / FILES[key]
        damaged = {d.split(" ", 1)[0] for d in spec.damage if GRN_DAMAGE[d][0] == key}
        if "drop" in damaged:
            continue
        if "empty" in damaged:
            path.write_text("")
        elif key == "expression":
            (frame.iloc[:0] if "header-only" in damaged else frame).to_csv(path)
        elif key == "network":
            (frame.iloc[:0] if "header-only" in damaged else frame).to_csv(path, index=False)
        else:
            frame.reset_index(drop=True).to_csv(path)
    return folder


def write_split_dir(folder: Path, spec: GrnSpec) -> Path:
    """GENELink split files of the clean folder, with ``spec.split_damage``."""
    clean = write_grn(folder.with_name("clean"),
                      GrnSpec(**{**spec.__dict__, "damage": frozenset()}))
    data = read_beeline(clean)
    write_genelink_splits(transductive_split(data, seed=spec.seed), folder)
    files = {"train": folder / "Train_set.csv", "test": folder / "Test_set.csv"}
    train = pd.read_csv(files["train"], index_col=0)
    test = pd.read_csv(files["test"], index_col=0)
    genes = np.asarray(data.genes)
    edit = spec.split_damage
    if edit == "drop test":
        files["test"].unlink()
        return folder
    if edit == "no train label":
        train = train.drop(columns="Label")
    elif edit == "label 2":
        train.loc[train.index[0], "Label"] = 2
    elif edit == "index out of range":
        test.loc[test.index[0], "Target"] = 10_000
    elif edit == "gene names":
        train["TF"] = genes[train["TF"]]
    elif edit in ("unknown gene name", "a name among indices"):
        if edit == "unknown gene name":
            train["TF"] = genes[train["TF"]]
        train["TF"] = train["TF"].astype(object)
        train.loc[train.index[0], "TF"] = "NOT_A_GENE"
    elif edit == "leaking pair":
        test = pd.concat([test, train.iloc[[0]]])
    elif edit == "test without labels":
        test = test.drop(columns="Label")
    elif edit == "empty train":
        files["train"].write_text("")
        train = None
    elif edit == "header-only train":
        train = train.iloc[:0]
    elif edit == "one-class train":
        train = train[train["Label"] == 1]
    elif edit == "one-class test":
        test = test[test["Label"] == 0]
    elif edit == "header-only test":
        test = test.iloc[:0]
    if train is not None:
        train.reset_index(drop=True).to_csv(files["train"])
    test.reset_index(drop=True).to_csv(files["test"])
    return folder


@settings(FUZZ, max_examples=30)
@given(spec=grn_specs, existing=st.booleans())
def test_grn_on_generated_beeline_folders(capsys, spec, existing) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data_dir = write_grn(tmp / "in" / "data", spec)
        argv = ["grn", str(data_dir), "--encoder", "none", "--epochs", str(spec.epochs),
                "--gnn", spec.gnn]
        if spec.split_damage is not None:
            argv += ["--split-dir", str(write_split_dir(tmp / "in" / "splits", spec))]
        if spec.split != "transductive":
            argv += ["--split", spec.split]
        out = fresh_out(tmp, existing)
        code, _ = run_cli(capsys, [*argv, "--out", str(out)], out)
        if spec.refused or spec.gnn == "none":  # --encoder none --gnn none: nothing to train
            assert code == 2, spec
        elif spec.clean:
            assert code == 0, spec
        if code == 0:
            predictions = pd.read_csv(out / "predictions.csv")
            assert predictions["score"].between(0, 1).all() and len(predictions) > 0


# ----------------------------------------------------------------------------- bugs are bugs

@pytest.mark.parametrize("error", [RuntimeError("an internal invariant broke"),
                                   ValueError("a bug, not the user's input"),
                                   FileNotFoundError("a file dglgene itself should have made")])
def test_a_bug_is_not_reported_as_bad_input(tmp_path, capsys, monkeypatch, error) -> None:
    """Only DglgeneInputError becomes the one-line exit 2; anything else propagates, so the
    command line shows its traceback and exits 1."""
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("dglgene.data.build_collection", broken)
    h5ad = tmp_path / "a.h5ad"
    ad.AnnData(np.ones((3, 3))).write_h5ad(h5ad)
    with pytest.raises(type(error), match=str(error)):
        main(["graphs", str(h5ad), "--out", str(tmp_path / "out")])
    assert "dglgene: error" not in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_input_is_still_one_line_exit_2(tmp_path, capsys) -> None:
    """The other side of the policy, at the same call: a missing input file."""
    code = main(["graphs", str(tmp_path / "missing.h5ad"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err == f"dglgene: error: {tmp_path / 'missing.h5ad'}: no such file\n"
