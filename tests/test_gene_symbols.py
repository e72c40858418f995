"""Gene symbol mapping against the vendored NCBI Gene tables (org.Hs.eg.db 3.16.0).

Every expected answer below was read from org.Hs.eg.db's SQLite database directly (tables
genes, gene_info, alias, ensembl, genetype, chromosomes), not from this code.
"""

from __future__ import annotations

import gzip
import math

import numpy as np
import pandas as pd
import pytest

from dglgene.datasets import (
    MAPPING_KINDS,
    go_gene_sets,
    human_genes,
    load_pbmc68k_reduced,
    map_symbols,
    mapping_rate,
)
from dglgene.datasets.genes import ALIASES_FILE, GENES_FILE


def _one(symbol: str) -> tuple[object, object, str]:
    row = map_symbols([symbol]).iloc[0]
    entrez = None if pd.isna(row["entrez"]) else int(row["entrez"])
    official = None if pd.isna(row["official"]) else row["official"]
    return entrez, official, row["how"]


# --- the files --------------------------------------------------------------------------

def test_gene_table_schema_and_known_rows():
    with gzip.open(GENES_FILE, "rt") as fh:
        assert fh.readline() == "entrez\tsymbol\tgene_type\tchromosome\tgo_bp\tgo_mf\tgo_cc\n"
    genes = human_genes()
    assert len(genes) == 77_614
    assert genes.index.name == "entrez" and genes.index.dtype == np.int64
    assert genes.index.is_unique and genes.index.is_monotonic_increasing
    assert list(genes.columns) == ["symbol", "gene_type", "chromosome", "go_bp", "go_mf",
                                   "go_cc"]
    for flag in ("go_bp", "go_mf", "go_cc"):
        assert set(genes[flag].unique()) == {0, 1}
    assert genes.loc[3576, "symbol"] == "CXCL8"
    assert genes.loc[7157].tolist() == ["TP53", "protein-coding", "17", 1, 1, 1]
    assert genes.loc[3].tolist() == ["A2MP1", "pseudo", "12", 0, 0, 0]
    # A1BG's only BP annotation is ND to the root (GO:0008150): its function is unknown
    assert genes.loc[1, "go_bp"] == 0
    assert genes.loc[4512].tolist() == ["COX1", "protein-coding", "MT", 1, 1, 1]
    assert (genes["chromosome"] == "MT").sum() == 37


def test_alias_table_schema_and_known_rows():
    with gzip.open(ALIASES_FILE, "rt") as fh:
        assert fh.readline() == "key\tentrez\n"
    aliases = pd.read_csv(ALIASES_FILE, sep="\t", na_filter=False, quoting=3)
    assert len(aliases) == 190_161
    assert not aliases.duplicated().any()
    pairs = set(zip(aliases["key"], aliases["entrez"]))
    assert ("IL8", 3576) in pairs
    assert ("ENSG00000169429", 3576) in pairs
    assert {e for k, e in pairs if k == "SEPT2"} == {4735, 23157}  # ambiguous: two rows
    assert ("NA", 7504) in pairs  # a real alias (of XK) that must not be read as missing


def test_human_genes_returns_copies():
    first = human_genes()
    first.loc[7157, "symbol"] = "changed"
    assert human_genes().loc[7157, "symbol"] == "TP53"


# --- the rules --------------------------------------------------------------------------

def test_old_symbol_maps_through_its_alias():
    assert _one("IL8") == (3576, "CXCL8", "alias")


@pytest.mark.parametrize(("old", "entrez", "official"), [
    ("DDX58", 23586, "RIGI"),
    ("TMEM173", 340061, "STING1"),
    ("CTGF", 1490, "CCN2"),
    ("HIST1H4C", 8364, "H4C3"),
    ("HIST1H1C", 3006, "H1-2"),
    ("SEPT7", 989, "SEPTIN7"),
    ("KIAA0101", 9768, "PCLAF"),
    ("FAM46C", 54855, "TENT5C"),
    ("C10orf10", 11067, "DEPP1"),
])
def test_renamed_genes(old, entrez, official):
    assert _one(old) == (entrez, official, "alias")


@pytest.mark.parametrize(("symbol", "entrez"), [
    ("AR", 367),  # also an alias of AKR1B1 (231) and AREG (374)
    ("MET", 4233),  # also an alias of RNMT (8731)
])
def test_official_symbol_wins_over_another_genes_alias(symbol, entrez):
    assert _one(symbol) == (entrez, symbol, "official")


@pytest.mark.parametrize("symbol", [
    "SEPT2",  # SEPTIN2 (4735) and SEPTIN6 (23157)
    "GARS",  # GARS1 (2617) and GART (2618)
])
def test_alias_of_several_genes_is_ambiguous(symbol):
    assert _one(symbol) == (None, None, "ambiguous")


def test_official_symbol_of_several_genes():
    # HBD: haemoglobin delta (3045, protein-coding) and a locus of NCBI type "unknown"
    assert _one("HBD") == (3045, "HBD", "official")
    # TRNAV-CAC: two tRNA genes (107985614, 107985615)
    assert _one("TRNAV-CAC") == (None, None, "ambiguous")


@pytest.mark.parametrize(("symbol", "entrez", "official"), [
    ("ENSG00000169429.11", 3576, "CXCL8"),
    ("ENSG00000141510.17", 7157, "TP53"),
    ("ENSG00000141510", 7157, "TP53"),
])
def test_ensembl_ids_with_and_without_version(symbol, entrez, official):
    assert _one(symbol) == (entrez, official, "ensembl")


@pytest.mark.parametrize(("symbol", "entrez", "official"), [
    ("MT-CO1", 4512, "COX1"),
    ("MT-ND1", 4535, "ND1"),
    ("MT-ND4", 4538, "ND4"),
    ("MT-ATP6", 4508, "ATP6"),
    ("MT-CYB", 4519, "CYTB"),
    ("MT-CO2", 4513, "COX2"),  # NCBI also lists MT-CO2 as an alias of MTCO2P12 (chr 1)
    ("MT-TP", 4571, "TRNP"),  # MTTP is also the official symbol of a nuclear gene (4547)
    ("mt-co1", 4512, "COX1"),
])
def test_mitochondrial_names(symbol, entrez, official):
    assert _one(symbol) == (entrez, official, "alias")


def test_mt_tf_has_no_alias_and_stays_unmapped():
    assert _one("MT-TF") == (None, None, "unmapped")


def test_case_insensitive_match_only_when_unique():
    assert _one("cxcl8") == (3576, "CXCL8", "alias")
    assert _one("C10ORF10") == (11067, "DEPP1", "alias")
    assert _one("sept2") == (None, None, "ambiguous")
    assert _one("TP53")[2] == "official"


def test_unknown_and_odd_input():
    mapped = map_symbols(["NOT_A_GENE_XYZ", None, 3, "", "  TP53\t"])
    assert mapped["how"].tolist() == ["unmapped"] * 4 + ["official"]
    assert mapped["entrez"].isna().tolist() == [True] * 4 + [False]
    assert mapped.index[4] == "  TP53\t"  # the index holds the input as given


def test_order_and_duplicates_kept():
    symbols = ["TP53", "IL8", "NOT_A_GENE_XYZ", "IL8", "CXCL8", "TP53"]
    mapped = map_symbols(symbols)
    assert mapped.index.tolist() == symbols
    assert mapped["official"].tolist() == ["TP53", "CXCL8", pd.NA, "CXCL8", "CXCL8", "TP53"]
    assert mapped["how"].tolist() == ["official", "alias", "unmapped", "alias", "official",
                                      "official"]
    assert map_symbols(pd.Index(symbols)).equals(mapped)


def test_empty_input_and_one_string():
    empty = map_symbols([])
    assert empty.empty and list(empty.columns) == ["entrez", "official", "how"]
    rate = mapping_rate(empty)
    assert rate["n"] == 0 and math.isnan(rate["rate"])
    with pytest.raises(TypeError, match="list of symbols"):
        map_symbols("TP53")


def test_mapping_rate_counts():
    rate = mapping_rate(map_symbols(["TP53", "IL8", "ENSG00000141510", "SEPT2", "XYZ_1"]))
    assert rate == {"n": 5, "official": 1, "alias": 1, "ensembl": 1, "ambiguous": 1,
                    "unmapped": 1, "rate": 0.6}
    assert set(rate) == {"n", "rate", *MAPPING_KINDS}


# --- agreement with the GO sets and a real dataset ---------------------------------------

@pytest.mark.parametrize("ontology", ["bp", "mf", "cc"])
def test_go_flags_agree_with_the_vendored_gene_sets(ontology):
    genes = sorted({g for members in go_gene_sets(ontology).values() for g in members})
    mapped = map_symbols(genes)
    assert (mapped["how"] == "official").all()
    flags = human_genes().loc[mapped["entrez"].astype("int64"), f"go_{ontology}"]
    assert (flags == 1).all()


def test_pbmc68k_gene_names_map():
    # measured: 700 official, 51 alias, 1 ambiguous (C7orf55), 13 unmapped (clone-based
    # lncRNA names such as RP11-782C8.1): 751 / 765 = 0.982
    rate = mapping_rate(map_symbols(load_pbmc68k_reduced().var_names))
    assert rate["n"] == 765
    assert rate["rate"] >= 0.98
