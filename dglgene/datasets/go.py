"""Gene Ontology gene sets for human genes (offline) and a reader for GMT files.

A GMT file has one gene set per line, tab-separated: the set's name, a description, then
its genes. The vendored files under ``data/go/`` (provenance and the CC BY 4.0 attribution
in ``data/go/README.md``) hold the human GO terms of the GO release of September 2022
with annotations propagated to ancestor terms, keeping the terms of 15 to 500 HGNC
symbols: 5,233 Biological Process, 941 Molecular Function and 599 Cellular Component sets.

:func:`go_gene_sets` names each term ``"<GO id> <term name>"``, e.g. ``"GO:0002253
activation of immune response"``: unique (the id) and readable (the name) in one key.

>>> sets = go_gene_sets("mf")
>>> len(sets), len(sets["GO:0002020 protease binding"])
(941, 139)
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError

__all__ = ["GO_ONTOLOGIES", "go_gene_sets", "read_gmt"]

GO_DIR = Path(__file__).parent / "data" / "go"
GO_ONTOLOGIES = {"bp": "go_bp_15_500.gmt.gz", "mf": "go_mf_15_500.gmt.gz",
                 "cc": "go_cc_15_500.gmt.gz"}


def _gmt_records(path: str | os.PathLike) -> Iterator[tuple[str, str, list[str]]]:
    """``(name, description, genes)`` per line; genes deduplicated in file order."""
    path = Path(path)
    if not path.is_file():
        raise DglgeneFileNotFoundError(f"{path}: no such GMT file")
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"  # the gzip magic number, whatever the suffix
    opener = gzip.open if gzipped else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            fields = line.rstrip("\r\n").split("\t")
            if not fields[0].strip():
                continue  # blank line
            if len(fields) < 2:
                raise DglgeneInputError(f"{path}, line {number}: a GMT line needs a set name, a "
                                        "description and genes, separated by tabs")
            yield fields[0], fields[1], list(dict.fromkeys(g for g in fields[2:] if g))


def _collect(records: Iterator[tuple[str, list[str]]], path: str | os.PathLike
             ) -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    for key, genes in records:
        if key in sets:
            raise DglgeneInputError(f"{path}: gene set {key!r} appears twice; give each set its "
                                    "own name")
        sets[key] = genes
    return sets


def read_gmt(path: str | os.PathLike) -> dict[str, list[str]]:
    """Gene sets of a GMT file (plain or gzipped): ``{set name: genes}``.

    The description column is skipped (in MSigDB files it is a URL).

    >>> import gzip, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "sets.gmt.gz")
    >>> with gzip.open(path, "wt") as f:
    ...     _ = f.write("S1\\tfirst\\tA\\tB\\nS2\\tsecond\\tC\\n")
    >>> read_gmt(path)
    {'S1': ['A', 'B'], 'S2': ['C']}
    """
    return _collect(((name, genes) for name, _, genes in _gmt_records(path)), path)


def go_gene_sets(ontology: str) -> dict[str, list[str]]:
    """The vendored human GO gene sets of ``ontology`` (``"bp"``, ``"mf"`` or ``"cc"``,
    any case), keyed ``"<GO id> <term name>"``."""
    name = GO_ONTOLOGIES.get(str(ontology).lower())
    if name is None:
        raise ValueError(f"unknown GO ontology {ontology!r}; choose one of "
                         f"{', '.join(GO_ONTOLOGIES)} (biological process, molecular "
                         "function, cellular component)")
    path = GO_DIR / name
    return _collect(((f"{go_id} {term}", genes) for go_id, term, genes in _gmt_records(path)),
                    path)
