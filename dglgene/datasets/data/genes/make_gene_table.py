"""Write human_genes.tsv.gz and human_aliases.tsv.gz from org.Hs.eg.db's SQLite file.

Usage (from the repository root)::

    python dglgene/datasets/data/genes/make_gene_table.py \\
        /tmp/orghs/usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite

The output goes next to this script. Rows are sorted and the gzip header carries no name
and no time stamp, so a rerun on the same database gives the same bytes. Standard library
only; nothing runs on import.
"""

from __future__ import annotations

import csv
import gzip
import io
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent
GENES_FILE = "human_genes.tsv.gz"
ALIASES_FILE = "human_aliases.tsv.gz"
ONTOLOGIES = ("bp", "mf", "cc")


def _write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a gzipped tab-separated file with a fixed header (no name, mtime 0)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
    writer.writerow(header)
    count = 0
    for row in rows:
        for field in row:
            if any(c in str(field) for c in "\t\r\n"):
                raise ValueError(f"{path.name}: field {field!r} holds a tab or a line break")
        writer.writerow(row)
        count += 1
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                               compresslevel=9, mtime=0) as out:
        out.write(text.getvalue().encode("utf-8"))
    return count


def gene_rows(db: sqlite3.Connection) -> list[tuple[int, str, str, str, int, int, int]]:
    """``(entrez, official symbol, gene type, chromosome, go_bp, go_mf, go_cc)`` per gene,
    by Entrez id. ``chromosome`` joins a gene's chromosomes with ``|`` in sorted order
    (``X|Y`` for the pseudoautosomal genes) and is empty where NCBI gives none.

    A GO flag is 1 when the gene has at least one direct annotation in that ontology
    with evidence other than ND ("no biological data available", an annotation to the
    ontology's root that says the function is unknown); the propagated ``go_*_all``
    tables cover the same genes.
    """
    flags = {
        ont: {_id for (_id,) in db.execute(
            f"SELECT DISTINCT _id FROM go_{ont} WHERE evidence != 'ND'")}
        for ont in ONTOLOGIES
    }
    chromosomes: dict[int, list[str]] = {}
    for _id, chromosome in db.execute("SELECT _id, chromosome FROM chromosomes"):
        chromosomes.setdefault(_id, []).append(chromosome)
    rows = []
    query = ("SELECT g._id, g.gene_id, i.symbol, t.gene_type FROM genes g "
             "JOIN gene_info i ON i._id = g._id JOIN genetype t ON t._id = g._id")
    for _id, gene_id, symbol, gene_type in db.execute(query):
        rows.append((int(gene_id), symbol, gene_type,
                     "|".join(sorted(set(chromosomes.get(_id, ())))),
                     *(int(_id in flags[ont]) for ont in ONTOLOGIES)))
    n_genes = db.execute("SELECT COUNT(*) FROM genes").fetchone()[0]
    if len(rows) != n_genes:
        raise ValueError(f"{len(rows)} genes with a symbol and a type, {n_genes} in `genes`")
    return sorted(rows)


def alias_rows(db: sqlite3.Connection) -> list[tuple[str, int]]:
    """``(key, entrez)``: every alias symbol and every Ensembl gene id with its Entrez id,
    sorted by key then Entrez id; a key of several genes gives several rows."""
    query = ("SELECT a.alias_symbol, g.gene_id FROM alias a JOIN genes g ON g._id = a._id "
             "UNION SELECT e.ensembl_id, g.gene_id FROM ensembl e JOIN genes g ON g._id = e._id")
    return sorted({(key, int(gene_id)) for key, gene_id in db.execute(query)})


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[0])
    if not source.is_file():
        print(f"{source}: no such file", file=sys.stderr)
        return 1
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        genes = gene_rows(db)
        aliases = alias_rows(db)
    finally:
        db.close()
    header = ("entrez", "symbol", "gene_type", "chromosome", "go_bp", "go_mf", "go_cc")
    n = _write_tsv(OUT_DIR / GENES_FILE, header, genes)
    print(f"{GENES_FILE}: {n} genes")
    n = _write_tsv(OUT_DIR / ALIASES_FILE, ("key", "entrez"), aliases)
    print(f"{ALIASES_FILE}: {n} keys")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
