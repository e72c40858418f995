"""Map human gene symbols to current genes (NCBI Gene, offline).

Gene-function benchmarks score genes by their current official symbols, as the vendored
GO sets (``data/go/``) spell them, so an embedded symbol must be mapped to its gene first:
an old symbol (``IL8``, ``DDX58``, ``SEPT7``) or an HGNC mitochondrial name (``MT-CO1``)
is the same gene as its current symbol (``CXCL8``, ``RIGI``, ``SEPTIN7``, ``COX1``), not
an unannotated one. The tables under ``data/genes/`` (provenance and licence in
``data/genes/README.md``) come from the same org.Hs.eg.db 3.16.0 as the GO sets (NCBI
Gene of September 2022): one row per human gene (77,614) and the alias symbols and
Ensembl gene ids of each.

:func:`map_symbols` resolves each symbol by the first rule that applies:

1. Surrounding whitespace and an Ensembl version suffix (``ENSG00000141510.17``) are
   stripped. A value that is not a string, or is empty once stripped, is ``"unmapped"``.
2. An exact (case-sensitive) official symbol wins, even where it is also another gene's
   alias: ``how="official"``. A few official symbols belong to several genes; where
   exactly one of them is not of NCBI type ``unknown`` (a phenotype locus such as the
   ``HBD`` beside the haemoglobin delta gene) that one is taken, otherwise the symbol is
   ``"ambiguous"`` (e.g. the multi-copy tRNA genes).
3. An HGNC mitochondrial name ``MT-X`` resolves to the gene of the mitochondrial genome
   that NCBI lists with the alias ``MTX`` (``MT-CO1`` -> ``COX1``, ``MT-CYB`` -> ``CYTB``,
   ``MT-TP`` -> ``TRNP``): ``how="alias"``. This comes before the alias step because NCBI
   gives some ``MT-`` names to nuclear genes too (``MT-CO2`` is an alias of the
   pseudogene ``MTCO2P12``). ``MT-TF`` has no such alias and stays unmapped.
4. An exact alias symbol or Ensembl gene id of exactly one gene: ``how="alias"`` or
   ``"ensembl"``; one of several genes is ``"ambiguous"`` (``SEPT2`` names both
   ``SEPTIN2`` and ``SEPTIN6``) and stays unmapped.
5. Only when no step above found the symbol at all, the same steps case-insensitively
   (official symbols first, then aliases and Ensembl ids), accepted when they give exactly
   one gene (``cxcl8`` -> ``CXCL8``); several genes are ``"ambiguous"``. A match found
   this way is reported as ``"alias"`` (``"ensembl"`` for an Ensembl id): the spelling
   given is not the official one.
6. Anything else is ``"unmapped"``.

Genes are identified by their Entrez id, an ``int``.

>>> m = map_symbols(["IL8", "TP53", "SEPT2", "MT-CO1", "ENSG00000141510.17", "NOTAGENE"])
>>> m["official"].tolist()
['CXCL8', 'TP53', <NA>, 'COX1', 'TP53', <NA>]
>>> m["how"].tolist()
['alias', 'official', 'ambiguous', 'alias', 'ensembl', 'unmapped']
>>> mapping_rate(m)["rate"]
0.6666666666666666
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["MAPPING_KINDS", "human_genes", "map_symbols", "mapping_rate"]

GENES_DIR = Path(__file__).parent / "data" / "genes"
GENES_FILE = GENES_DIR / "human_genes.tsv.gz"
ALIASES_FILE = GENES_DIR / "human_aliases.tsv.gz"

#: The values of ``map_symbols(...)["how"]``; the first three are mapped.
MAPPING_KINDS = ("official", "alias", "ensembl", "ambiguous", "unmapped")

# The same suffix rule as the dataset loaders (dglgene.datasets.real), any case.
_ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*[GT]\d+)\.\d+$", re.IGNORECASE)
_ENSEMBL_GENE = re.compile(r"^ENS[A-Z]*G\d+$", re.IGNORECASE)
_AMBIGUOUS = -1  # in the lookup tables: a key of several genes


def _read_tsv(path: Path, dtype: dict[str, object]) -> pd.DataFrame:
    # Every field is data: the aliases include "NA" and "NaN", which must stay strings.
    return pd.read_csv(path, sep="\t", dtype=dtype, na_filter=False, quoting=3,
                       compression="gzip")


@functools.lru_cache(maxsize=1)
def _genes() -> pd.DataFrame:
    flags = {f"go_{ont}": np.int8 for ont in ("bp", "mf", "cc")}
    table = _read_tsv(GENES_FILE, {"entrez": np.int64, "symbol": str, "gene_type": str,
                                   "chromosome": str, **flags})
    return table.set_index("entrez", verify_integrity=True)


def human_genes() -> pd.DataFrame:
    """All human genes of NCBI Gene (September 2022), one row each, indexed by Entrez id
    (``int``).

    Returns
    -------
    pandas.DataFrame
        A fresh copy with columns ``symbol`` (the official symbol), ``gene_type`` (NCBI's
        type: ``protein-coding``, ``ncRNA``, ``pseudo``, ...), ``chromosome`` (``"17"``,
        ``"X|Y"`` for the pseudoautosomal genes, ``"MT"``, ``""`` where unknown) and
        ``go_bp``, ``go_mf``, ``go_cc`` (1 when the gene has at least one GO annotation
        in that ontology, any evidence code, else 0).

    Examples
    --------
    >>> genes = human_genes()
    >>> genes.loc[7157, ["symbol", "gene_type", "chromosome", "go_bp"]].tolist()
    ['TP53', 'protein-coding', '17', 1]
    """
    return _genes().copy()


@dataclass(frozen=True)
class _Lookup:
    official: dict[str, int]  # official symbol -> Entrez id, or _AMBIGUOUS
    keys: dict[str, int]  # alias symbol or Ensembl id -> Entrez id, or _AMBIGUOUS
    mito: dict[str, int]  # "MT-X" -> Entrez id of the mitochondrial gene with alias "MTX"
    official_folded: dict[str, int]  # the same three, keys upper-cased
    mito_folded: dict[str, int]
    keys_folded: dict[str, int]
    symbol_of: dict[int, str]  # Entrez id -> official symbol


def _unique(groups: dict[str, set[int]]) -> dict[str, int]:
    return {key: next(iter(ids)) if len(ids) == 1 else _AMBIGUOUS
            for key, ids in groups.items()}


@functools.lru_cache(maxsize=1)
def _lookup() -> _Lookup:
    genes = _genes()
    entrez = genes.index.to_numpy()
    symbols = genes["symbol"].to_numpy()
    known = (genes["gene_type"] != "unknown").to_numpy()
    official: dict[str, set[int]] = {}
    official_known: dict[str, set[int]] = {}
    for gene, symbol, is_known in zip(entrez.tolist(), symbols.tolist(), known.tolist()):
        official.setdefault(symbol, set()).add(gene)
        if is_known:
            official_known.setdefault(symbol, set()).add(gene)
    # A symbol of several genes goes to its one gene of a known type, if there is one.
    by_symbol = {symbol: ids if len(ids) == 1 or len(official_known.get(symbol, ())) != 1
                 else official_known[symbol] for symbol, ids in official.items()}

    aliases = _read_tsv(ALIASES_FILE, {"key": str, "entrez": np.int64})
    keys: dict[str, set[int]] = {}
    for key, gene in zip(aliases["key"].tolist(), aliases["entrez"].tolist()):
        keys.setdefault(key, set()).add(gene)

    mito_genes = set(entrez[(genes["chromosome"] == "MT").to_numpy()].tolist())
    mito: dict[str, set[int]] = {}
    for key, ids in keys.items():
        if key.startswith("MT") and not key.startswith("MT-"):
            hits = ids & mito_genes
            if hits:
                mito[f"MT-{key[2:]}"] = hits

    def folded(groups: dict[str, set[int]]) -> dict[str, set[int]]:
        out: dict[str, set[int]] = {}
        for key, ids in groups.items():
            out.setdefault(key.upper(), set()).update(ids)
        return out

    return _Lookup(
        official=_unique(by_symbol), keys=_unique(keys), mito=_unique(mito),
        official_folded=_unique(folded(by_symbol)), mito_folded=_unique(folded(mito)),
        keys_folded=_unique(folded(keys)),
        symbol_of=dict(zip(entrez.tolist(), symbols.tolist())),
    )


def _resolve(symbol: object, lookup: _Lookup) -> tuple[int | None, str]:
    """``(Entrez id or None, how)`` of one symbol, by the rules of the module docstring."""
    if not isinstance(symbol, str):
        return None, "unmapped"
    key = _ENSEMBL_VERSION.sub(r"\1", symbol.strip())
    if not key:
        return None, "unmapped"
    kind = "ensembl" if _ENSEMBL_GENE.match(key) else "alias"
    upper = key.upper()
    steps = (
        (lookup.official, key, "official"),
        (lookup.mito, key, "alias"),
        (lookup.keys, key, kind),
        (lookup.official_folded, upper, "alias"),
        (lookup.mito_folded, upper, "alias"),
        (lookup.keys_folded, upper, kind),
    )
    for table, probe, how in steps:
        gene = table.get(probe)
        if gene is not None:
            return (None, "ambiguous") if gene == _AMBIGUOUS else (gene, how)
    return None, "unmapped"


def map_symbols(symbols: Iterable[str]) -> pd.DataFrame:
    """Map gene symbols (or Ensembl gene ids) to current human genes.

    Parameters
    ----------
    symbols
        Gene symbols, e.g. an AnnData's ``var_names``. Order and duplicates are kept. A
        value that is not a string is reported as unmapped.

    Returns
    -------
    pandas.DataFrame
        Indexed by the given symbols (index name ``"symbol"``), with columns ``entrez``
        (nullable ``Int64``), ``official`` (the current official symbol, ``string``
        dtype; ``<NA>`` where unmapped) and ``how``, one of :data:`MAPPING_KINDS`, by the
        rules of the module docstring. An empty input gives an empty frame.

    Examples
    --------
    >>> map_symbols(["DDX58", "cxcl8"])[["official", "how"]].values.tolist()
    [['RIGI', 'alias'], ['CXCL8', 'alias']]
    """
    if isinstance(symbols, str | bytes):
        raise TypeError("map_symbols takes a list of symbols, not one string; "
                        f"write map_symbols([{symbols!r}])")
    given = list(symbols)
    lookup = _lookup() if given else None
    resolved = [_resolve(s, lookup) for s in given] if lookup is not None else []
    genes = [gene for gene, _ in resolved]
    return pd.DataFrame(
        {
            "entrez": pd.array(genes, dtype="Int64"),
            "official": pd.array([None if g is None else lookup.symbol_of[g] for g in genes],
                                 dtype="string"),
            "how": pd.array([how for _, how in resolved], dtype=object),
        },
        index=pd.Index(given, name="symbol", dtype=object),
    )


def mapping_rate(mapped: pd.DataFrame) -> dict[str, float | int]:
    """Counts per kind of a :func:`map_symbols` result, and the share mapped.

    Returns
    -------
    dict
        ``{"n": symbols, "official": ..., "alias": ..., "ensembl": ..., "ambiguous": ...,
        "unmapped": ..., "rate": (official + alias + ensembl) / n}``; ``rate`` is NaN for
        no symbols.

    Examples
    --------
    >>> mapping_rate(map_symbols(["TP53", "IL8", "NOTAGENE", "NOTAGENE"]))
    {'n': 4, 'official': 1, 'alias': 1, 'ensembl': 0, 'ambiguous': 0, 'unmapped': 2, 'rate': 0.5}
    """
    counts = mapped["how"].value_counts()
    unknown = set(counts.index) - set(MAPPING_KINDS)
    if unknown:
        raise ValueError(f"`how` holds {sorted(unknown)}; expected values of MAPPING_KINDS")
    out: dict[str, float | int] = {"n": len(mapped)}
    out.update({kind: int(counts.get(kind, 0)) for kind in MAPPING_KINDS})
    n_mapped = out["official"] + out["alias"] + out["ensembl"]
    out["rate"] = n_mapped / len(mapped) if len(mapped) else float("nan")
    return out
