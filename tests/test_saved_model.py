"""Saved models: round trips, refused files, and `dglgene embed --model` on known and new
datasets (a new one must land in the model's embedding space)."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import torch
from error_lines import error_lines

from dglgene.cli import main
from dglgene.config import GRAPH_KEYS
from dglgene.data import GraphRecipe, build_collection
from dglgene.data.beeline import read_beeline, write_beeline
from dglgene.datasets import simulate_collection, simulate_sergio_grn
from dglgene.errors import DglgeneInputError
from dglgene.eval.planted_modules import cross_dataset_neighbours, planted_module_scores
from dglgene.grn.methods import train_model
from dglgene.grn.network import to_decoupler
from dglgene.grn.settings import GRNSettings
from dglgene.grn.splits import transductive_split
from dglgene.models import DatasetRecord, MuSeGNN, ScTransNet, load, save_sctransnet
from dglgene.nn.cell_encodings import CellEncodings
from dglgene.train import fit, fit_links, score_pairs

TRAINED = ["sim0_rna", "sim1_rna", "sim2_atac"]  # sim3_rna is new; sim4_spatial has no group
RECIPE = GraphRecipe(n_components=8)
EPOCHS = 60


@pytest.fixture(scope="module")
def sim():
    return simulate_collection(n_datasets=5, n_modules=4, genes_per_module=15, n_background=60,
                               modalities=["rna", "rna", "atac", "rna", "spatial"],
                               cells=(150, 160), seed=2)


@pytest.fixture(scope="module")
def h5ads(sim, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("inputs")
    paths = {}
    for adata in sim.adatas:
        paths[adata.uns["dataset"]] = str(folder / f"{adata.uns['dataset']}.h5ad")
        adata.write_h5ad(paths[adata.uns["dataset"]])
    return paths


@pytest.fixture(scope="module")
def trained(h5ads, tmp_path_factory) -> Path:
    """`dglgene embed` on three of the datasets: OUT with gene_embeddings.h5ad and model/."""
    folder = tmp_path_factory.mktemp("trained")
    config = folder / "run.toml"
    config.write_text(f"[graphs]\nn_components = 8\n[model]\ndim = 8\n[train]\nepochs = {EPOCHS}\n")
    assert main(["embed", *(h5ads[d] for d in TRAINED), "--config", str(config),
                 "--out", str(folder / "out")]) == 0
    return folder / "out"


def rows(emb: ad.AnnData, dataset: str) -> np.ndarray:
    return emb.X[(emb.obs["dataset"] == dataset).to_numpy()]


def test_muse_round_trip_gives_identical_embeddings(trained, h5ads) -> None:
    saved = torch.load(trained / "model" / "model.pt", weights_only=True)
    assert (saved["format"], saved["version"], saved["kind"]) == ("dglgene.model", 2, "muse-gnn")
    assert saved["config"]["graphs"] == {**{key: getattr(GraphRecipe(), key) for key in
                                            GRAPH_KEYS}, "n_components": 8}
    assert saved["config"]["model"]["dim"] == 8 and saved["config"]["train"]["epochs"] == EPOCHS
    assert [d["group"] for d in saved["datasets"]] == ["rna", "rna", "atac"]
    model = load(trained / "model")
    assert model.datasets == TRAINED and not model.training
    collection = build_collection([h5ads[d] for d in TRAINED], RECIPE)
    assert saved["vocabulary"] == collection.vocabulary
    assert [d["genes"] for d in saved["datasets"]] == [g.genes for g in collection]
    original = ad.read_h5ad(trained / "gene_embeddings.h5ad")
    np.testing.assert_array_equal(model.embed(collection).X, original.X)


def test_embed_model_on_a_known_dataset_reproduces_its_embedding(trained, h5ads, tmp_path
                                                                 ) -> None:
    out = tmp_path / "out"
    assert main(["embed", "--model", str(trained / "model"), h5ads["sim1_rna"],
                 "--out", str(out)]) == 0
    again = ad.read_h5ad(out / "gene_embeddings.h5ad")
    original = ad.read_h5ad(trained / "gene_embeddings.h5ad")
    np.testing.assert_array_equal(again.X, rows(original, "sim1_rna"))
    # nothing trained, one dataset: no model, no training files, no metrics
    assert sorted(p.name for p in out.iterdir()) == ["enrichment.csv", "enrichment.png",
                                                     "gene_embeddings.h5ad", "umap.png"]


def alignment(model, emb: ad.AnnData, dataset: str, modules: pd.Series) -> dict[str, float]:
    """Module purity and same-gene hit rate of ``dataset``'s rows of ``emb``, among the 10
    nearest rows of the model's training datasets (their saved embeddings)."""
    known = list(model.reference)
    x = np.concatenate([*(g.graph.ndata["feat"].numpy() for g in known), rows(emb, dataset)])
    new_genes = emb.obs["gene"][(emb.obs["dataset"] == dataset).to_numpy()].astype(str)
    genes = np.array([*(gene for g in known for gene in g.genes), *new_genes])
    names = np.array([*(g.dataset for g in known for _ in g.genes), *[dataset] * len(new_genes)])
    new = names == dataset
    neighbours = cross_dataset_neighbours(x, names, 10)[new]
    module = modules.reindex(genes).fillna(-1).to_numpy()
    in_module = module[new] >= 0
    shared = np.isin(genes[new], [gene for g in known for gene in g.genes])
    return {"purity": float((module[neighbours] == module[new, None])[in_module].mean()),
            "hit": float((genes[neighbours] == genes[new, None]).any(1)[shared].mean())}


def test_new_dataset_lands_beside_the_same_genes_of_the_known_ones(trained, h5ads, sim,
                                                                   tmp_path, capsys) -> None:
    """Only its own layers are trained; its genes must find their module (and themselves) in
    the known datasets far more often than with its layers untrained, and about as often
    as the known datasets find theirs in each other."""
    out = tmp_path / "out"
    assert main(["embed", "--model", str(trained / "model"), h5ads["sim3_rna"], h5ads["sim0_rna"],
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(rf"trained for {EPOCHS} epochs against the frozen rest in [\d.]+ s: "
                     "sim3_rna", printed), printed
    emb = ad.read_h5ad(out / "gene_embeddings.h5ad")
    original = ad.read_h5ad(trained / "gene_embeddings.h5ad")
    np.testing.assert_array_equal(rows(emb, "sim0_rna"), rows(original, "sim0_rna"))
    model = load(trained / "model")
    trained_layers = alignment(model, emb, "sim3_rna", sim.modules)

    new_graph = build_collection([h5ads["sim3_rna"]], RECIPE)
    assert model.add_dataset(DatasetRecord.of(new_graph[0])) == "rna"  # alone in rna x tissue
    untrained = alignment(model, model.embed(new_graph), "sim3_rna", sim.modules)
    # the known datasets among themselves: the level a dataset trained with them reaches
    among_known = planted_module_scores(original.X, original.obs["gene"],
                                        original.obs["dataset"], sim.modules)
    numbers = (trained_layers, untrained, among_known)
    assert trained_layers["purity"] > 0.9 > untrained["purity"] + 0.4, numbers
    assert trained_layers["purity"] >= among_known["module_purity"], numbers
    assert trained_layers["hit"] > 1.5 * untrained["hit"], numbers
    assert trained_layers["hit"] > among_known["same_gene_hit_rate"] - 0.1, numbers

    extended = load(out / "model")  # the model with the new dataset's layers
    assert extended.datasets == [*TRAINED, "sim3_rna"] and extended.groups["sim3_rna"] == "rna"
    np.testing.assert_array_equal(extended.embed(new_graph).X, rows(emb, "sim3_rna"))


def one_line_error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    return lines[0]


def test_embed_model_refuses_what_it_cannot_embed(trained, h5ads, tmp_path, capsys) -> None:
    model, out = str(trained / "model"), tmp_path / "out"
    assert one_line_error(["embed", "--model", model, h5ads["sim4_spatial"], "--out", str(out)],
                          capsys) == (
        "dglgene: error: sim4_spatial: the model has no sharing group for it (it would join "
        "'spatial:sim_tissue_a' or 'spatial'; the model has 'atac', 'rna'); embed it with a "
        "model trained on a dataset of its modality, or train a new one")
    fewer = ad.read_h5ad(h5ads["sim1_rna"])[:, 5:].copy()  # same name, other genes
    fewer.write_h5ad(tmp_path / "fewer.h5ad")
    message = one_line_error(["embed", "--model", model, str(tmp_path / "fewer.h5ad"),
                              "--out", str(out)], capsys)
    assert message.startswith(f"dglgene: error: sim1_rna: the model in {model} knows a dataset "
                              "of this name but ") and "give it another name" in message
    assert one_line_error(["embed", "--model", model, h5ads["sim0_rna"], "--resume", "--out",
                           str(out)], capsys) == (
        "dglgene: error: --model embeds with the model's own config and weights; drop --resume")
    assert not out.exists()


@pytest.mark.parametrize("damage, message", [
    (lambda f: f.write_bytes(f.read_bytes()[:1000]),
     r"{f}: not a readable saved model \(\w+: [^\n]+\); write it again with `dglgene embed` "
     r"or `dglgene grn`"),
    (lambda f: torch.save({"weights": torch.zeros(2)}, f),
     "{f}: not a dglgene saved model; give the OUT/model directory that `dglgene embed` or "
     "`dglgene grn` wrote"),
    (lambda f: torch.save({**torch.load(f, weights_only=True), "version": 3}, f),
     "{f}: saved model format version 3, but this dglgene reads version 2; train it again "
     "with this dglgene"),
    (lambda f: f.unlink(),
     "{d}: no saved model here (no model.pt); give the OUT/model directory that `dglgene "
     "embed` or `dglgene grn` wrote"),
], ids=["truncated", "foreign", "other-version", "missing"])
def test_damaged_model_is_refused_with_one_line(trained, h5ads, tmp_path, capsys, damage,
                                                message) -> None:
    folder = Path(shutil.copytree(trained / "model", tmp_path / "model"))
    damage(folder / "model.pt")
    expected = message.format(f=folder / "model.pt", d=folder)
    with pytest.raises(DglgeneInputError) as error:
        load(folder)
    if "\\(" in message:
        assert re.fullmatch(message.format(f=re.escape(str(folder / "model.pt"))),
                            str(error.value)), str(error.value)
    else:
        assert str(error.value) == expected
    assert one_line_error(["embed", "--model", str(folder), h5ads["sim0_rna"], "--out",
                           str(tmp_path / "out")], capsys) == f"dglgene: error: {error.value}"


def test_sctransnet_round_trip_gives_identical_predictions(tmp_path) -> None:
    """With pooled transformer encodings and a GAT: the pooling is folded into the saved
    gene representation, the known-GRN graph is kept edge for edge."""
    data = simulate_sergio_grn(n_tfs=8, n_targets=40, n_cells=90, seed=1)
    splits = transductive_split(data, seed=0)
    encodings = CellEncodings.from_tensor(
        torch.randn(30, data.n_genes, 6, generator=torch.Generator().manual_seed(0)))
    settings = GRNSettings(epochs=3)
    model, graph, _ = train_model(data, splits, encodings, settings)
    before = score_pairs(model, graph, splits["test"])
    save_sctransnet(model, tmp_path / "model", data.expression, graph,
                    settings=dataclasses.asdict(settings), data={"name": data.name})
    saved = torch.load(tmp_path / "model" / "model.pt", weights_only=True)
    assert (saved["format"], saved["version"], saved["kind"]) == ("dglgene.model", 2,
                                                                  "sctransnet")
    again = load(tmp_path / "model")
    assert again.genes == list(data.genes) and again.settings["epochs"] == 3
    np.testing.assert_array_equal(score_pairs(again, again.known_grn, splits["test"]), before)


def test_grn_command_writes_a_model_that_predicts_as_it_did(h5ads, tmp_path, capsys) -> None:
    data_dir = tmp_path / "sergio"
    write_beeline(simulate_sergio_grn(n_tfs=8, n_targets=40, n_cells=90, seed=1), data_dir)
    out = tmp_path / "out"
    assert main(["grn", str(data_dir), "--out", str(out), "--encoder", "none",
                 "--epochs", "3"]) == 0
    model = load(out / "model")
    assert model.data["data"] == read_beeline(data_dir).name and model.gene_repr is None
    test = transductive_split(read_beeline(data_dir), seed=0)["test"]  # the default split
    predictions = pd.read_csv(out / "predictions.csv")
    np.testing.assert_allclose(score_pairs(model, model.known_grn, test),
                               predictions["score"], rtol=1e-12)
    assert one_line_error(["embed", "--model", str(out / "model"), h5ads["sim0_rna"], "--out",
                           str(tmp_path / "emb")], capsys) == (
        f"dglgene: error: {out / 'model'}: an scTransNet model (`dglgene grn`); --model needs "
        "the model directory that `dglgene embed` wrote")


def test_a_trained_sctransnet_is_whole_and_saves_itself(tmp_path) -> None:
    """Training leaves the model with its genes, TFs, targets, known GRN and settings, so
    that it gives its network and saves itself with no other argument; the network from
    memory equals the one read back from disk."""
    data = simulate_sergio_grn(n_tfs=8, n_targets=40, n_cells=90, seed=1)
    splits = transductive_split(data, seed=0)
    model, graph, _ = train_model(data, splits, None, GRNSettings(epochs=3))
    assert model.genes == list(data.genes) and model.tfs == list(data.tfs)
    assert model.targets == list(data.targets) and model.known_grn is graph
    assert model.settings["epochs"] == 3
    positives = splits["train"].query("label == 1")
    # the training positives both ways and one self-loop per gene, no validation or test edge
    edges = set(zip(*(e.tolist() for e in graph.edges())))
    expected = {(a, b) for tf, target in zip(positives["tf"], positives["target"])
                for a, b in ((tf, target), (target, tf))} | {(g, g) for g in range(data.n_genes)}
    assert edges == expected
    network = model.network(top_k=5)
    assert list(network.columns) == ["source", "target", "weight"]
    assert (network.groupby("source").size() == 5).all()
    assert set(network["source"]) == set(data.tfs) and not (network["source"] ==
                                                            network["target"]).any()
    again = ScTransNet.load(model.save(tmp_path / "model"))
    pd.testing.assert_frame_equal(again.network(top_k=5), network)
    pd.testing.assert_frame_equal(to_decoupler(tmp_path / "model", top_k=5), network)


def test_each_model_class_loads_only_its_own_kind(trained, tmp_path) -> None:
    assert isinstance(MuSeGNN.load(trained / "model"), MuSeGNN)
    with pytest.raises(DglgeneInputError, match="a saved MuSeGNN, not a ScTransNet"):
        ScTransNet.load(trained / "model")


def test_saving_with_the_embedding_at_hand_encodes_nothing_again(tmp_path, monkeypatch) -> None:
    """Given the model's embedding, the saved reference is those rows, equal to what
    encoding each graph again gives; the graphs are then not encoded a second time."""
    sim = simulate_collection(n_datasets=2, n_modules=4, genes_per_module=15,
                              n_background=60, cells=(150, 160), seed=2)
    collection = build_collection(sim.adatas, n_components=8)
    model = MuSeGNN(collection, dim=8)
    emb = model.embed(collection)
    model.save(tmp_path / "encoded", collection)
    calls = []
    encode = model.encode
    monkeypatch.setattr(model, "encode", lambda *a: calls.append(a) or encode(*a))
    model.save(tmp_path / "given", collection, embedding=emb)
    assert calls == []
    saved = [torch.load(tmp_path / name / "model.pt", weights_only=True)["reference"]
             for name in ("encoded", "given")]
    for a, b in zip(*saved):
        torch.testing.assert_close(a["embedding"], b["embedding"], rtol=0, atol=0)


def test_every_part_may_be_a_module_and_such_a_model_is_not_saved(tmp_path) -> None:
    """A decoder class, a GNN module and a pooling module stand in for registered names; the
    model uses them (its parameters are theirs), and saving it is refused with one line
    naming the part, since only names can be rebuilt on load."""
    from dglgene.nn.attentive_pooling import MeanPooling
    from dglgene.nn.decoders import BilinearDecoder
    from dglgene.nn.gene_representation import PooledEncodings
    from dglgene.nn.grn_gnn import GRN_GNNS

    sim = simulate_collection(n_datasets=2, n_modules=4, genes_per_module=15,
                              n_background=60, cells=(150, 160), seed=2)
    collection = build_collection(sim.adatas, n_components=8)
    model = MuSeGNN(collection, dim=8, decoder=BilinearDecoder)
    assert all(isinstance(d, BilinearDecoder) for d in model.decoders)
    history = fit(model, collection, epochs=1, seed=0)
    assert np.isfinite(history["total"]).all()
    with pytest.raises(ValueError, match="decoder is given as an object"):
        model.save(tmp_path / "m", collection)

    data = simulate_sergio_grn(n_tfs=8, n_targets=40, n_cells=90, seed=1)
    gnn = GRN_GNNS.get("gcn")(data.expression.shape[1], dropout=0.0)
    pooling = MeanPooling()
    rep = PooledEncodings(torch.randn(20, data.n_genes, 6), pooling=pooling)
    grn = ScTransNet(data.expression, rep, gnn=gnn, tfs=data.tfs, targets=data.targets)
    assert grn.gnn is gnn and rep.pool is pooling
    assert any(p is q for p in grn.parameters() for q in gnn.parameters())
    splits = transductive_split(data, seed=0)
    fit_links(grn, splits["train"], splits["val"], epochs=2)
    assert len(grn.network(top_k=2)) == 2 * len(data.tfs)
    with pytest.raises(ValueError, match="gnn is given as an object"):
        grn.save(tmp_path / "g")
