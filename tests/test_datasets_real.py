"""Built-in real human datasets: shapes, conventions, copies and biological sanity."""

from __future__ import annotations

import importlib.metadata
import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import spearmanr

from dglgene.datasets import real

# loader -> (cells, genes after de-duplication, raw counts?, number of cell types or None)
EXPECTED = {
    "load_pbmc68k_reduced": (700, 765, False, 10),
    "load_celltypist_sample": (559, 32_786, True, None),
    "load_wu2020": (200, 30_727, True, 16),
    "load_oligodendroglioma": (184, 9_450, False, 6),
    "load_hnscc": (100, 20_684, False, None),
}
UNS_KEYS = {
    "dataset", "modality", "tissue", "species", "technology", "source", "license", "counts"
}
ALLOWED_MODALITIES = {"rna", "atac", "spatial"}


def _dense(x) -> np.ndarray:
    return x.toarray() if sp.issparse(x) else np.asarray(x)


@pytest.fixture(params=sorted(EXPECTED))
def loaded(request):
    return request.param, getattr(real, request.param)()


def test_shape_names_and_values(loaded):
    name, adata = loaded
    cells, genes, _, _ = EXPECTED[name]
    assert adata.shape == (cells, genes)
    assert adata.var_names.is_unique
    assert adata.obs_names.is_unique
    assert all(isinstance(g, str) and g == g.strip() and g for g in adata.var_names)
    assert isinstance(adata.X, sp.csr_matrix)
    assert adata.X.dtype == np.float32
    assert not np.isnan(adata.X.data).any()
    assert adata.X.data.min() >= 0
    assert adata.X.nnz > 0


def test_uns_metadata(loaded):
    name, adata = loaded
    uns = adata.uns
    assert set(uns) >= UNS_KEYS
    assert uns["modality"] in ALLOWED_MODALITIES
    assert uns["modality"] == "rna"
    assert uns["species"] == "human"
    src = real.SOURCES[name]
    assert uns["source"].startswith(f"{src['package']}==")
    assert uns["source"].endswith(f":{src['path']}")
    assert uns["license"] == src["license"]
    # Dataset ids are distinct across loaders.
    assert uns["dataset"] in {"pbmc68k", "celltypist_immune", "wu2020_tcells",
                              "oligodendroglioma", "hnscc"}


def test_counts_flag_matches_data(loaded):
    name, adata = loaded
    _, _, counts, _ = EXPECTED[name]
    assert adata.uns["counts"] is counts
    data = adata.X.data
    if counts:
        layer = adata.layers["counts"]
        assert sp.issparse(layer)
        assert np.array_equal(layer.data, np.rint(layer.data))
        assert (layer != adata.X).nnz == 0
        assert layer.shape == adata.shape
    else:
        assert "counts" not in adata.layers
        # Reality check: the values really are not integer counts.
        assert not np.array_equal(data, np.rint(data))


def test_cell_type_labels(loaded):
    name, adata = loaded
    n_types = EXPECTED[name][3]
    if n_types is None:
        assert "cell_type" not in adata.obs
        return
    ct = adata.obs["cell_type"]
    assert isinstance(ct.dtype, pd.CategoricalDtype)
    assert all(isinstance(c, str) for c in ct.cat.categories)
    assert ct.nunique() == n_types
    assert not ct.isna().any()


def test_wu2020_keeps_tissue_source():
    adata = real.load_wu2020()
    assert adata.obs["source"].value_counts().to_dict() == {"Tumor": 95, "NAT": 85, "Blood": 20}


def test_pbmc_uses_lognormalised_raw_not_scaled():
    adata = real.load_pbmc68k_reduced()
    # The scaled .X of the source has negatives and max ~28; the log-normalised .raw does not.
    assert 6.0 < adata.X.max() < 7.0
    assert 0.2 < adata.X.nnz / np.prod(adata.shape) < 0.5


def test_real_human_four_sets_share_genes():
    sets = real.real_human()
    assert [a.uns["dataset"] for a in sets] == [
        "celltypist_immune", "wu2020_tcells", "oligodendroglioma", "hnscc"
    ]
    assert sum(a.n_obs for a in sets) == 559 + 200 + 184 + 100

    common = set.intersection(*(set(a.var_names) for a in sets))
    assert len(common) >= 8_000  # observed 8,711

    # Genes detected (non-zero in some cell) in all four: observed 6,550. Scrambling the
    # gene names of celltypist, wu2020 or hnscc drops this to 2,176 / 2,691 / 5,033.
    detected = [set(a.var_names[np.asarray((a.X > 0).sum(0)).ravel() > 0]) for a in sets]
    assert len(set.intersection(*detected)) >= 6_000

    # Mean expression per shared gene agrees across tissues (housekeeping genes are high
    # everywhere): observed Spearman 0.41-0.71 per pair, ~0 once any set's names are
    # scrambled, including the oligodendroglioma set the detection test cannot see.
    genes = sorted(common)
    means = [np.asarray(a[:, genes].X.mean(0)).ravel() for a in sets]
    for i, j in itertools.combinations(range(4), 2):
        rho = spearmanr(means[i], means[j]).statistic
        assert rho > 0.3, (sets[i].uns["dataset"], sets[j].uns["dataset"], rho)

    with_pbmc = real.real_human(include_pbmc=True)
    assert len(with_pbmc) == 5
    assert with_pbmc[-1].uns["dataset"] == "pbmc68k"


@pytest.mark.parametrize(
    ("loader", "gene", "min_fraction"),
    [
        ("load_celltypist_sample", "PTPRC", 0.8),  # immune cells (observed 0.91)
        ("load_wu2020", "CD3E", 0.6),  # T cells (0.84)
        ("load_oligodendroglioma", "OLIG2", 0.5),  # glioma / oligodendrocytes (0.74)
        ("load_hnscc", "KRT14", 0.3),  # squamous epithelium (0.46)
        ("load_celltypist_sample", "B2M", 0.95),  # ubiquitous (1.0 in all four)
        ("load_wu2020", "B2M", 0.95),
        ("load_oligodendroglioma", "B2M", 0.95),
        ("load_hnscc", "B2M", 0.95),
    ],
)
def test_marker_genes_expressed_where_expected(loader, gene, min_fraction):
    adata = getattr(real, loader)()
    frac = float((_dense(adata[:, gene].X) > 0).mean())
    assert frac >= min_fraction


def test_returns_independent_copies():
    first = real.load_wu2020()
    before = first.X.sum()
    first.X.data[:] = -1.0
    first.layers["counts"].data[:] = -1.0
    first.obs["cell_type"] = "x"
    first.uns["dataset"] = "changed"
    first.var_names = [f"g{i}" for i in range(first.n_vars)]

    second = real.load_wu2020()
    assert second.X.sum() == before
    assert second.layers["counts"].data.min() >= 0
    assert second.obs["cell_type"].nunique() == 16
    assert second.uns["dataset"] == "wu2020_tcells"
    assert "CD3E" in second.var_names

    a, b = real.real_human(), real.real_human()
    assert all(x is not y and x.X is not y.X for x, y in zip(a, b))


def test_missing_file_is_one_line_error():
    with pytest.raises(FileNotFoundError) as err:
        real._locate("scanpy", "scanpy/datasets/no_such_file.h5ad", "1.11.5")
    msg = str(err.value)
    assert "\n" not in msg
    assert "pip install --no-deps scanpy==1.11.5" in msg
    assert "no_such_file.h5ad" in msg

    with pytest.raises(FileNotFoundError) as err:
        real._locate("no-such-dglgene-data-pkg", "data/x.csv", "9.9.9")
    msg = str(err.value)
    assert "\n" not in msg
    assert "pip install --no-deps no-such-dglgene-data-pkg==9.9.9" in msg


def test_sources_table_matches_installed_packages():
    # the PBMC loaders' shapes and labels are checked in test_datasets_pbmc.py
    assert set(real.SOURCES) == set(EXPECTED) | {"load_kang_control", "load_kang_stimulated",
                                                 "load_pbmc3k"}
    for name, src in real.SOURCES.items():
        assert set(src) == {"package", "version", "path", "license", "description"}
        assert callable(getattr(real, name))
        dist = importlib.metadata.distribution(src["package"])
        # The recorded licence agrees with the package's own dist-info.
        meta = " ".join(
            filter(None, [dist.metadata.get("License"), dist.metadata.get("License-Expression")])
        )
        licence_files = [f for f in dist.files or [] if "LICENSE" in f.name.upper()]
        text = meta + " ".join(f.read_text() for f in licence_files)
        token = {"BSD-3-Clause": "BSD", "MIT": "Permission is hereby granted",
                 "GPL-3.0-or-later": "GPL", "GPL-3.0-only": "GPL"}[src["license"]]
        assert token in text, (name, src["license"])


def test_dedupe_sums_counts_and_keeps_first_otherwise():
    x = sp.csr_matrix(np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 6.0]], dtype=np.float32))
    names = real._clean_names([" A ", "B", "A"])
    summed, uniq = real._dedupe_genes(x, names, counts=True)
    assert list(uniq) == ["A", "B"]
    assert np.array_equal(summed.toarray(), [[4.0, 2.0], [10.0, 0.0]])
    first, uniq = real._dedupe_genes(x, names, counts=False)
    assert list(uniq) == ["A", "B"]
    assert np.array_equal(first.toarray(), [[1.0, 2.0], [4.0, 0.0]])


def test_clean_names_strips_ensembl_versions_only():
    out = real._clean_names(["ENSG00000141510.16", "RP11-34P13.7", " TP53\t", "CAND1.11"])
    assert list(out) == ["ENSG00000141510", "RP11-34P13.7", "TP53", "CAND1.11"]
