"""The demo runs end to end on built-in data and writes what it promises."""

from __future__ import annotations

from dglgene.data import GraphCollection
from dglgene.demo import run_demo


def test_demo_writes_collection_and_heatmap(tmp_path, capsys) -> None:
    summary = run_demo(tmp_path / "demo")
    printed = capsys.readouterr().out
    assert "shared genes between datasets" in printed
    assert (tmp_path / "demo" / "pair_overlaps.png").read_bytes()[:4] == b"\x89PNG"
    loaded = GraphCollection.load(tmp_path / "demo" / "graphs")
    assert list(summary["dataset"]) == [g.dataset for g in loaded]
    assert {g.modality for g in loaded} == {"rna", "atac", "spatial"}
    # the simulated datasets use real symbols, so they share genes with every real one
    overlaps = loaded.overlaps()
    names = [g.dataset for g in loaded]
    spatial = names.index("sim1_spatial")
    assert all(len(overlaps.get(spatial, k).common_i) > 20 for k in range(len(names))
               if k != spatial)
