"""Bad input to graph construction: a one-line error naming the problem, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp
from error_lines import error_lines

from dglgene.data import GraphCollection, build_collection, build_gene_graph
from dglgene.datasets import simulate_collection


@pytest.fixture(scope="module")
def pair():
    return simulate_collection(n_datasets=2, n_modules=3, genes_per_module=10, n_background=40,
                               seed=3).adatas


def broken(adata: ad.AnnData, problem: str) -> ad.AnnData:
    adata = adata.copy()
    dense = adata.X.toarray()
    if problem == "empty":
        return adata[:0].copy()
    if problem == "nan":
        dense[0, 0] = np.nan
    elif problem == "negative":
        dense[0, 0] = -1
    elif problem == "duplicate":
        names = list(adata.var_names)
        names[1] = names[0]
        adata.var_names = names
    elif problem == "no coordinates":
        adata.uns["modality"] = "spatial"
        adata.obsm.clear()
    del adata.layers["counts"]
    adata.X = sp.csr_matrix(dense)
    return adata


MESSAGES = {
    "empty": "empty dataset",
    "nan": "NaN",
    "negative": "negative values",
    "duplicate": "duplicate gene names",
    "no coordinates": "spatial modality without coordinates",
}


@pytest.mark.parametrize("problem", MESSAGES)
def test_bad_dataset_is_named_in_one_line(pair, problem: str) -> None:
    with pytest.raises(ValueError, match=MESSAGES[problem]) as error:
        build_gene_graph(broken(pair[0], problem))
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(pair[0].uns["dataset"])


def test_no_shared_genes(pair) -> None:
    other = pair[1].copy()
    other.var_names = [f"other_{g}" for g in other.var_names]
    with pytest.raises(ValueError, match="no gene is shared"):
        build_collection([pair[0], other])


def test_repeated_dataset_name(pair) -> None:
    twin = pair[1].copy()
    twin.uns["dataset"] = pair[0].uns["dataset"]
    with pytest.raises(ValueError, match="appears more than once"):
        build_collection([pair[0], twin])


def test_load_rejects_a_directory_that_is_no_collection(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="not a saved GraphCollection"):
        GraphCollection.load(tmp_path)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dglgene", *args], capture_output=True,
                          text=True, timeout=300)


def write(adatas: list[ad.AnnData], folder: Path) -> list[str]:
    paths = []
    for adata in adatas:
        path = folder / f"{adata.uns['dataset']}.h5ad"
        adata.write_h5ad(path)
        paths.append(str(path))
    return paths


def test_cli_builds_and_saves(pair, tmp_path) -> None:
    inputs = write(pair, tmp_path)
    result = run_cli("graphs", *inputs, "--out", str(tmp_path / "out"), "--n-hvg", "40")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["dataset", "cells", "genes"] and len(lines) == 4
    loaded = GraphCollection.load(tmp_path / "out")
    assert [g.dataset for g in loaded] == [a.uns["dataset"] for a in pair]
    assert all(g.n_genes == 40 for g in loaded)


def test_cli_fdr_keeps_the_pairs_that_pass_benjamini_hochberg(pair, tmp_path) -> None:
    from dglgene.data import GraphRecipe, coexpression, expression_values, prepare_expression
    from dglgene.data.coexpression import false_discovery_rate

    inputs = write(pair[:1], tmp_path)
    result = run_cli("graphs", *inputs, "--out", str(tmp_path / "out"), "--n-hvg", "40",
                     "--fdr", "0.01")
    assert result.returncode == 0, result.stderr
    graph = GraphCollection.load(tmp_path / "out")[0]
    assert graph.info["fdr"] == 0.01
    # the same edges by hand: the test's p-values of the chosen genes, adjusted over pairs
    recipe = GraphRecipe(n_hvg=40)
    expr = prepare_expression(pair[0], recipe)
    genes, _ = recipe.select_genes(expr, recipe)
    assert list(expr.genes[genes]) == graph.genes
    _, p_value, _ = coexpression(expr, genes, expression_values(expr, genes, recipe), recipe)
    upper = np.triu_indices(len(genes), k=1)
    expected = false_discovery_rate(p_value[upper]) < 0.01
    adjacency = graph.adjacency().toarray().astype(bool)
    assert np.array_equal(adjacency[upper], expected) and 0 < expected.sum() < len(expected)
    bad = tmp_path / "bad"
    bad.mkdir()
    assert "fdr must lie in (0, 1]" in cli_failure(bad, *inputs, "--fdr", "0")


def cli_failure(tmp_path: Path, *args: str) -> str:
    out = tmp_path / "out"
    result = run_cli("graphs", *args, "--out", str(out))
    assert result.returncode != 0
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_cli_errors_are_one_line_and_leave_nothing(pair, tmp_path) -> None:
    good = write(pair, tmp_path)
    junk = tmp_path / "junk.h5ad"
    junk.write_text("not an h5ad file")
    assert "not a readable .h5ad" in cli_failure(tmp_path, good[0], str(junk))
    assert "no such file" in cli_failure(tmp_path, good[0], str(tmp_path / "missing.h5ad"))
    nan = broken(pair[1], "nan")
    nan.uns["dataset"] = "with_nan"
    assert "with_nan: X contains NaN" in cli_failure(tmp_path, good[0],
                                                      *write([nan], tmp_path))
    logs = pair[1].copy()
    logs.uns["dataset"] = "log_values"
    del logs.layers["counts"]
    logs.X = sp.csr_matrix(np.log1p(logs.X.toarray()))
    message = cli_failure(tmp_path, good[0], *write([logs], tmp_path), "--method", "cscore")
    assert "log_values: CS-CORE needs raw counts" in message
