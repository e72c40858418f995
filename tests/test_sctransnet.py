"""scTransNet's parts: GRN graph, GAT/GCN, link head, gene representations, link loss, training."""

from __future__ import annotations

import gc

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dglgene.eval.grn_metrics import auroc
from dglgene.grn.gene_embeddings import read_gene_embeddings
from dglgene.losses import LOSSES
from dglgene.losses.link_bce import LinkBatch, LinkBCE
from dglgene.models.sctransnet import ScTransNet
from dglgene.nn.attentive_pooling import AttentivePooling
from dglgene.nn.cell_encodings import CellEncodings
from dglgene.nn.gene_representation import (
    FixedEmbedding,
    PooledEncodings,
    scbert_cell_encodings,
    standardise,
)
from dglgene.nn.grn_gnn import GATEncoder, GCNLinkEncoder, known_grn_graph
from dglgene.nn.link_head import DirectionalLinkHead
from dglgene.nn.performer import ScBertEncoder
from dglgene.nn.scbert_tokens import expression_to_tokens
from dglgene.train.fit_links import fit_base, fit_links, score_pairs, training_graph


def test_known_grn_graph_is_undirected_with_one_self_loop_per_gene():
    tf, target = torch.tensor([0, 0, 2, 0, 3]), torch.tensor([1, 2, 1, 1, 3])  # dup + self
    graph = known_grn_graph(5, tf, target)
    edges = set(zip(*(t.tolist() for t in graph.edges())))
    expected = {(0, 1), (1, 0), (0, 2), (2, 0), (2, 1), (1, 2)} | {(i, i) for i in range(5)}
    assert edges == expected
    assert graph.num_edges() == len(expected)  # no duplicate edges


@pytest.mark.parametrize("make", [lambda f: GATEncoder(f, dropout=0.0),
                                  lambda f: GCNLinkEncoder(f, dropout=0.0)])
def test_gnn_output_of_a_gene_depends_only_on_its_two_hop_neighbourhood(make):
    torch.manual_seed(0)
    # path 0-1-2-3-4-5: gene 0's two-layer receptive field is {0, 1, 2}
    graph = known_grn_graph(6, torch.tensor([0, 1, 2, 3, 4]), torch.tensor([1, 2, 3, 4, 5]))
    gnn = make(8).eval()
    x = torch.randn(6, 8)
    far, near = x.clone(), x.clone()
    far[3:] += 5.0
    near[2] += 5.0
    z = gnn(graph, x)
    assert torch.allclose(gnn(graph, far)[0], z[0], atol=1e-6)
    assert not torch.allclose(gnn(graph, near)[0], z[0], atol=1e-3)


def test_gat_shapes_follow_genelink_heads():
    gat = GATEncoder(10)
    assert [layer._num_heads for layer in gat.layers] == [3, 3]
    assert gat.layers[1].fc.in_features == 3 * 128  # first layer concatenates its heads
    assert gat.out_feats == 64


def _randomised(head: DirectionalLinkHead) -> DirectionalLinkHead:
    """The head with random (not zero) last layers in its learned part."""
    for seq in (head.tf_mlp, head.pair_mlp):
        [m for m in seq if isinstance(m, torch.nn.Linear)][-1].reset_parameters()
    return head


def test_link_head_scores_a_pair_from_its_two_genes_only_and_is_directional():
    torch.manual_seed(0)
    head = _randomised(DirectionalLinkHead(5, dropout=0.0).eval())
    x = torch.randn(6, 5)
    tf, target = torch.tensor([0, 2]), torch.tensor([1, 3])
    s = head(x, tf, target)
    y = x.clone()
    y[4:] = torch.randn(2, 5)  # genes in no pair
    assert torch.allclose(head(y, tf, target), s)
    assert not torch.allclose(head(x, target, tf), s)  # (t, g) and (g, t) differ


def test_link_head_score_is_intercept_plus_pair_mlp_and_dot_product():
    torch.manual_seed(1)
    head = _randomised(DirectionalLinkHead(4, dropout=0.0).eval())
    with torch.no_grad():
        head.intercept.fill_(-2.0)
    x = torch.randn(3, 4)
    u, v = head.tf_mlp(x)[[0]], head.target_mlp(x)[[2]]
    assert u.abs().sum() > 0 and v.abs().sum() > 0
    expected = -2.0 + head.pair_mlp(torch.cat([u, v], 1)).squeeze(-1) + (u * v).sum(-1)
    assert torch.allclose(head(x, torch.tensor([0]), torch.tensor([2])), expected)


def test_link_head_starts_as_its_base_model_whatever_the_representations():
    torch.manual_seed(3)
    head = DirectionalLinkHead(4, dropout=0.0, n_genes=5, pair_feats=2).eval()
    with torch.no_grad():
        head.tf_bias.weight.copy_(torch.randn(5, 1))
        head.pair_skip.weight.copy_(torch.tensor([[1.0, -2.0]]))
        head.intercept.fill_(0.5)
    tf, target, pair = torch.tensor([0, 3, 4]), torch.tensor([1, 1, 2]), torch.randn(3, 2)
    expected = 0.5 + head.tf_bias.weight[tf, 0] + pair[:, 0] - 2.0 * pair[:, 1]
    for x in (torch.randn(5, 4), 100 * torch.randn(5, 4)):  # untrained: x does not count
        assert torch.allclose(head(x, tf, target, pair), expected)
    assert torch.allclose(head.base(tf, pair), expected)
    assert not torch.allclose(_randomised(head)(x, tf, target, pair), expected)


def _bce(logits, labels, w):
    p = torch.sigmoid(logits.double())
    return -(w * labels * torch.log(p) + (1 - labels) * torch.log(1 - p)).mean()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-8, 8), st.integers(0, 1)), min_size=1, max_size=40),
       st.floats(0.5, 10), st.randoms(use_true_random=False))
def test_link_bce_is_the_weighted_bce_and_order_free(pairs, weight, rnd):
    logits = torch.tensor([p[0] for p in pairs])
    labels = torch.tensor([float(p[1]) for p in pairs])
    loss = LinkBCE(pos_weight=weight)(LinkBatch(logits, labels))
    assert loss >= 0
    assert torch.isclose(loss.double(), _bce(logits, labels.double(), weight), rtol=1e-4,
                         atol=1e-6)
    order = list(range(len(pairs)))
    rnd.shuffle(order)
    shuffled = LinkBCE(pos_weight=weight)(LinkBatch(logits[order], labels[order]))
    assert torch.isclose(shuffled, loss, rtol=1e-5, atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=30), st.floats(0.1, 5))
def test_link_bce_falls_as_logits_move_towards_the_labels(labels, step):
    y = torch.tensor(labels, dtype=torch.float32)
    toward = (2 * y - 1) * step
    base = LinkBCE()(LinkBatch(torch.zeros_like(y), y))
    assert LinkBCE()(LinkBatch(toward, y)) < base
    assert LinkBCE()(LinkBatch(-toward, y)) > base
    assert torch.isclose(base, torch.tensor(np.log(2), dtype=torch.float32))


def test_link_loss_is_registered():
    assert LOSSES.get("link") is LinkBCE


def test_pooled_encodings_pool_all_cells_in_eval_and_a_subset_in_training():
    torch.manual_seed(0)
    h = torch.randn(40, 5, 3)
    rep = PooledEncodings(h, pooling="attentive", cells_per_step=10, chunk_cells=7).eval()
    assert torch.allclose(rep(), standardise(rep.pool(h)), atol=1e-5)
    mean = PooledEncodings(h, pooling="mean").eval()
    assert torch.allclose(mean(), standardise(h.mean(0)), atol=1e-5)
    rep.train()
    torch.manual_seed(3)
    sub = rep()
    torch.manual_seed(3)
    pick = torch.randperm(40)[:10]
    assert torch.allclose(sub, standardise(rep.pool(h[pick])), atol=1e-5)


def test_pooled_encodings_learn_through_the_attention_only():
    rep = PooledEncodings(torch.randn(12, 4, 3))
    assert isinstance(rep.pool, AttentivePooling)
    assert {n for n, _ in rep.named_parameters()} == {"pool.project.weight", "pool.project.bias",
                                                     "pool.score.weight"}
    assert not rep.state_dict().keys() - {"pool.project.weight", "pool.project.bias",
                                          "pool.score.weight"}  # encodings are data
    with pytest.raises(ValueError, match="unknown pooling"):
        PooledEncodings(torch.randn(2, 2, 2), pooling="max")


@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 4), st.integers(1, 8),
       st.lists(st.integers(0, 29), max_size=12))
@settings(max_examples=30, deadline=None)
def test_cell_encodings_store_gives_back_what_was_appended(cells, genes, dim, chunk, pick):
    h = torch.randn(cells, genes, dim, generator=torch.Generator().manual_seed(cells))
    store = CellEncodings.from_tensor(h, chunk)
    assert store.shape == (cells, genes, dim)
    assert torch.equal(torch.cat(list(store.chunks(chunk))), h)  # bit for bit
    pick = [i % cells for i in pick]
    assert torch.equal(store.cells(pick), h[pick])
    with pytest.raises(IndexError, match="out of range"):
        store.cells([cells])
    with pytest.raises(ValueError, match="a chunk must be"):
        store.append(torch.zeros(1, genes + 1, dim))


def test_a_dropped_cell_encodings_store_closes_its_file():
    """Closed by the store (else the garbage collector closes it later, with a
    ResourceWarning): here the file object outlives the store, so only the store can."""
    store = CellEncodings.from_tensor(torch.zeros(2, 3, 4))
    file = store._file
    del store
    gc.collect()
    assert file.closed


class CountingStore(CellEncodings):
    """Records how many cells each read brings into memory."""

    reads: list[int]

    def _read(self, start: int, count: int) -> np.ndarray:
        self.reads.append(count)
        return super()._read(start, count)


def test_pooled_encodings_read_only_the_cells_they_pool():
    """Memory flat in the cells: a training step reads its cells_per_step cells, one at a
    time; evaluation reads all cells, chunk_cells at a time."""
    h = torch.randn(40, 5, 3)
    store = CountingStore.from_tensor(h)
    store.reads = []
    rep = PooledEncodings(store, cells_per_step=10, chunk_cells=7)
    rep()
    assert store.reads == [1] * 10
    store.reads = []
    assert torch.allclose(rep.eval()(), standardise(rep.pool(h)), atol=1e-5)
    assert store.reads == [7] * 5 + [5]


def test_scbert_cell_encodings_place_each_gene_at_its_checkpoint_position():
    torch.manual_seed(0)
    model_genes = ["G0", "G1", "G2", "G3", "G4"]
    model = ScBertEncoder(dim=8, depth=1, heads=2, dim_head=4, max_seq_len=6).eval()
    rng = np.random.default_rng(0)
    counts = rng.poisson(3.0, size=(4, 3)).astype(float)  # genes x cells
    expression = pd.DataFrame(counts, index=["G3", "X", "G0", "G4"])  # X unknown
    out = scbert_cell_encodings(model, expression, model_genes, batch_size=2)
    ordered = np.zeros((3, 5))
    ordered[:, [3, 0, 4]] = counts[[0, 2, 3]].T
    tokens = expression_to_tokens(ordered)
    tokens = torch.cat([tokens, tokens.new_zeros(3, 1)], 1)
    with torch.no_grad():
        direct = model(tokens, return_encodings=True)
    assert out.shape == (3, 4, 8)
    out = torch.cat(list(out.chunks(2)))
    assert torch.allclose(out[:, 0], direct[:, 3], atol=1e-5)
    assert torch.allclose(out[:, 2], direct[:, 0], atol=1e-5)
    assert torch.all(out[:, 1] == 0)  # unknown gene
    with pytest.raises(ValueError, match="none of the"):
        scbert_cell_encodings(model, expression.set_axis(["a", "b", "c", "d"]), model_genes)


def test_fixed_embedding_is_standardised_and_frozen():
    emb = FixedEmbedding(np.arange(12.0).reshape(4, 3) ** 2)
    z = emb()
    assert torch.allclose(z.mean(0), torch.zeros(3), atol=1e-6)
    assert torch.allclose(z.std(0, unbiased=False), torch.ones(3), atol=1e-5)
    assert not list(emb.parameters())
    with pytest.raises(ValueError, match="finite"):
        FixedEmbedding(np.array([[np.nan, 1.0]]))


def test_read_gene_embeddings_matches_h5ad_rows_by_name(tmp_path):
    emb = ad.AnnData(np.arange(6, dtype=np.float32).reshape(3, 2))
    emb.obs_names = ["B", "C", "A"]
    emb.write_h5ad(tmp_path / "e.h5ad")
    matrix, report = read_gene_embeddings(tmp_path / "e.h5ad", ["A", "B", "Z"])
    assert matrix.tolist() == [[4.0, 5.0], [0.0, 1.0], [0.0, 0.0]]
    assert "2/3" in report
    np.save(tmp_path / "e.npy", np.ones((2, 2)))
    with pytest.raises(ValueError, match="one row per expression gene"):
        read_gene_embeddings(tmp_path / "e.npy", ["A", "B", "Z"])
    (tmp_path / "e.txt").write_text("x")
    with pytest.raises(ValueError, match="unknown embedding format"):
        read_gene_embeddings(tmp_path / "e.txt", ["A"])
    with pytest.raises(ValueError, match="none of the 1 genes"):
        read_gene_embeddings(tmp_path / "e.h5ad", ["Q"])


def _planted_links(seed=0, n_genes=30, n_cells=40):
    """Genes 0-4 are TFs; an edge exists iff the TF's and the target's hidden factor agree."""
    rng = np.random.default_rng(seed)
    factor = rng.integers(0, 2, n_genes)
    expression = rng.normal(size=(n_genes, n_cells)) + 3 * factor[:, None] * np.linspace(
        -1, 1, n_cells)
    rows = [(t, g, int(factor[t] == factor[g])) for t in range(5) for g in range(5, n_genes)]
    pairs = pd.DataFrame(rows, columns=["tf", "target", "label"])
    order = rng.permutation(len(pairs))
    cut = [0, len(pairs) // 2, 3 * len(pairs) // 4, len(pairs)]
    return expression, {k: pairs.iloc[order[a:b]].reset_index(drop=True)
                        for k, a, b in zip(["train", "val", "test"], cut[:-1], cut[1:])}


def test_fit_links_learns_a_planted_rule_and_keeps_the_best_validation_epoch():
    expression, splits = _planted_links()
    torch.manual_seed(0)
    model = ScTransNet(torch.tensor(expression, dtype=torch.float32),
                       FixedEmbedding(expression), gnn="gat", dropout=0.0)
    history = fit_links(model, splits["train"], splits["val"], epochs=40, patience=40,
                        val_metric=auroc)
    best = history.attrs["best_epoch"]
    assert history["val_score"].iloc[best] == history["val_score"].max()
    graph = training_graph(model.n_genes, splits["train"])
    val = score_pairs(model, graph, splits["val"])
    assert np.isclose(auroc(splits["val"]["label"], val), history["val_score"].iloc[best])
    assert auroc(splits["test"]["label"], score_pairs(model, graph, splits["test"])) > 0.8


def test_fit_links_is_deterministic_for_a_seed():
    expression, splits = _planted_links(1)

    def run():
        torch.manual_seed(0)
        model = ScTransNet(torch.tensor(expression, dtype=torch.float32), None, gnn="gcn")
        fit_links(model, splits["train"], splits["val"], epochs=5, seed=3)
        return score_pairs(model, training_graph(30, splits["train"]), splits["test"])

    assert np.array_equal(run(), run())


def test_training_graph_holds_training_positives_only():
    train = pd.DataFrame({"tf": [0, 0, 1], "target": [2, 3, 2], "label": [1, 0, 1]})
    graph = training_graph(4, train)
    edges = set(zip(*(t.tolist() for t in graph.edges())))
    assert edges == {(0, 2), (2, 0), (1, 2), (2, 1)} | {(i, i) for i in range(4)}


def test_fit_links_rejects_unlabelled_or_one_class_training():
    expression, splits = _planted_links()
    model = ScTransNet(torch.tensor(expression, dtype=torch.float32), None)
    with pytest.raises(ValueError, match="no Label column"):
        fit_links(model, splits["train"].drop(columns="label"), splits["val"], epochs=1)
    with pytest.raises(ValueError, match="both positive and negative"):
        fit_links(model, splits["train"].assign(label=1), splits["val"], epochs=1)
    with pytest.raises(ValueError, match="needs a gene representation, a GNN or both"):
        ScTransNet(torch.zeros(3, 3), None, gnn=None)



def test_link_head_tf_biases_start_at_zero_and_shift_scores_additively():
    torch.manual_seed(2)
    head = _randomised(DirectionalLinkHead(4, dropout=0.0, n_genes=3).eval())
    plain = DirectionalLinkHead(4, dropout=0.0).eval()
    plain.load_state_dict({k: v for k, v in head.state_dict().items() if "bias." not in k
                           or k.startswith(("tf_mlp", "target_mlp", "pair_mlp"))})
    x = torch.randn(3, 4)
    tf, target = torch.tensor([0, 1, 2]), torch.tensor([1, 2, 0])
    assert torch.allclose(head(x, tf, target), plain(x, tf, target))
    with torch.no_grad():
        head.tf_bias.weight[0] = 1.5
        head.tf_bias.weight[2] = -0.5
    assert torch.allclose(head(x, tf, target) - plain(x, tf, target),
                          torch.tensor([1.5, 0.0, -0.5]))


def test_training_never_scores_a_positive_over_a_graph_holding_its_own_edge():
    expression, splits = _planted_links(2)
    seen = []

    class Recording(GATEncoder):
        def forward(self, graph, feat):
            seen.append({"edges": set(zip(*(t.tolist() for t in graph.edges())))})
            return super().forward(graph, feat)

    torch.manual_seed(0)
    model = ScTransNet(torch.tensor(expression, dtype=torch.float32), None, gnn="gat")
    model.gnn = Recording(expression.shape[1])
    score = model.head.forward

    def recording_head(x, tf, target, pair=None):
        seen[-1]["pairs"] = list(zip(tf.tolist(), target.tolist()))
        return score(x, tf, target, pair)

    model.head.forward = recording_head
    fit_links(model, splits["train"], splits["val"], epochs=2, batch_size=16)
    positives = set(zip(splits["train"]["tf"][splits["train"]["label"] == 1],
                        splits["train"]["target"][splits["train"]["label"] == 1]))
    steps = [s for s in seen if len(s["pairs"]) <= 16 and set(s["pairs"]) <= set(
        zip(splits["train"]["tf"], splits["train"]["target"]))]
    assert len(steps) >= 4
    for step in steps:
        scored = set(step["pairs"]) & positives
        assert scored and not scored & step["edges"]
        # ... while the other training positives are message-passing edges
        assert (positives - scored) <= step["edges"]


def test_fit_base_reaches_the_optimum_of_the_penalised_logistic_model_and_nothing_else():
    rng = np.random.default_rng(0)
    expression = torch.tensor(rng.normal(size=(36, 50)), dtype=torch.float32)
    tf, target = (t.reshape(-1) for t in torch.meshgrid(torch.arange(6), torch.arange(6, 36),
                                                         indexing="ij"))
    torch.manual_seed(0)
    model = ScTransNet(expression, FixedEmbedding(rng.normal(size=(36, 3))), gnn=None)
    r = model.correlation(tf, target)[:, 0]
    logit = torch.tensor([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0])[tf] + 8 * r
    labels = (torch.rand(len(tf)) < torch.sigmoid(logit)).float()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss = fit_base(model, tf, target, labels, weight_decay=1e-3)
    params = model.head.base_parameters()
    objective = model.loss(LinkBatch(model.base_logits(tf, target, own=labels), labels)) + \
        1e-3 * sum((p ** 2).sum() for p in params)
    assert np.isclose(loss, float(objective - 1e-3 * sum((p ** 2).sum() for p in params)))
    grads = torch.autograd.grad(objective, params)
    assert max(float(g.abs().max()) for g in grads) < 1e-4  # convex: zero gradient = optimum
    assert model.head.tf_bias.weight[:6, 0].argsort().tolist() == list(range(6))
    assert float(model.head.pair_skip.weight[0, 0]) > 0  # positive r makes an edge likelier
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"head.intercept", "head.tf_bias.weight", "head.pair_skip.weight",
                       "known_regulators"}  # the positives become the known edges


def test_fit_links_epoch_zero_is_the_fitted_base_and_validation_can_keep_it():
    expression, splits = _planted_links(3)
    noise = np.random.default_rng(3).normal(size=(expression.shape[0], 4))  # uninformative

    def model() -> ScTransNet:
        torch.manual_seed(0)
        return ScTransNet(torch.tensor(expression, dtype=torch.float32),
                          FixedEmbedding(noise), gnn=None, dropout=0.0)

    base = model()
    train = splits["train"]
    fit_base(base, torch.as_tensor(train["tf"].to_numpy()),
             torch.as_tensor(train["target"].to_numpy()),
             torch.as_tensor(train["label"].to_numpy(np.float32)))
    val_tf, val_target = (torch.as_tensor(splits["val"][c].to_numpy()) for c in ("tf", "target"))
    with torch.no_grad():
        p = torch.sigmoid(base.base_logits(val_tf, val_target)).double().numpy()
    y = splits["val"]["label"].to_numpy()
    base_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    trained = model()
    # lr 1.0 wrecks the learned part at once: validation must fall back to epoch 0
    history = fit_links(trained, train, splits["val"], epochs=5, lr=1.0, patience=5)
    assert np.isclose(history["val_loss"].iloc[0], base_loss)
    assert history.attrs["best_epoch"] == 0 and history["val_loss"].iloc[1:].min() > base_loss
    assert np.allclose(score_pairs(trained, None, splits["val"]), p, atol=1e-6)


# ---------------------------------------------------------------- the target-degree feature

def test_target_degree_feature_counts_known_regulators_without_the_pair_itself():
    model = ScTransNet(torch.randn(8, 20), FixedEmbedding(np.eye(8)), gnn=None)
    # known edges 0->5, 1->5, 2->6
    model.set_training_pairs(torch.tensor([0, 1, 2]), torch.tensor([5, 5, 6]), torch.ones(3))
    tf, target = torch.tensor([0, 3, 2, 3]), torch.tensor([5, 5, 6, 7])
    own = torch.tensor([1.0, 0.0, 1.0, 0.0])  # (0, 5) and (2, 6) are known edges themselves
    degree = model.pair_features(tf, target, own)[:, 2]
    assert torch.allclose(degree, torch.log1p(torch.tensor([1.0, 2.0, 0.0, 0.0])))
    assert torch.allclose(model.pair_features(tf, target)[:, 2],
                          torch.log1p(torch.tensor([2.0, 2.0, 1.0, 0.0])))
    assert model.pair_features(tf, target).shape == (4, 3)
    assert ScTransNet(torch.randn(8, 20), FixedEmbedding(np.eye(8)), gnn=None,
                      target_degree=False).pair_features(tf, target).shape == (4, 2)


def test_unseen_tf_ranks_targets_by_their_known_regulators_when_that_is_the_rule():
    """Targets 10-19 are regulated by every TF, 20-39 by none: a TF held out of training
    (TF 9) can only be ranked by what the training TFs say about its candidates."""
    rng = np.random.default_rng(0)
    expression = rng.normal(size=(40, 30))  # no co-expression signal at all
    rows = [(t, g, int(g < 20)) for t in range(10) for g in range(10, 40)]
    pairs = pd.DataFrame(rows, columns=["tf", "target", "label"])
    train = pairs[pairs["tf"] < 7].reset_index(drop=True)
    val = pairs[pairs["tf"].between(7, 8)].reset_index(drop=True)
    test = pairs[pairs["tf"] == 9].reset_index(drop=True)
    scores = {}
    for degree in (True, False):
        torch.manual_seed(0)
        model = ScTransNet(torch.tensor(expression, dtype=torch.float32),
                           FixedEmbedding(rng.normal(size=(40, 4))), gnn=None, dropout=0.0,
                           target_degree=degree)
        fit_links(model, train, val, epochs=3)
        assert torch.equal(model.known_regulators[10:20], torch.full((10,), 7.0))
        scores[degree] = auroc(test["label"], score_pairs(model, None, test))
    assert scores[True] > 0.99 and scores[False] < 0.8


def test_training_batches_leave_each_positive_out_of_its_own_count(monkeypatch):
    expression, splits = _planted_links(2)
    torch.manual_seed(0)
    model = ScTransNet(torch.tensor(expression, dtype=torch.float32), FixedEmbedding(expression),
                       gnn=None, dropout=0.0)
    seen = []
    forward = ScTransNet.forward

    def spy(self, graph, tf, target, pair=None):
        if self.training:
            seen.append((tf.clone(), target.clone(), pair.clone()))
        return forward(self, graph, tf, target, pair)

    monkeypatch.setattr(ScTransNet, "forward", spy)
    fit_links(model, splits["train"], splits["val"], epochs=1, batch_size=16)
    train = splits["train"]
    labels = dict(zip(zip(train["tf"], train["target"]), train["label"]))
    known = train[train["label"] == 1]["target"].value_counts()
    assert sum(len(tf) for tf, _, _ in seen) == len(train)
    for tf, target, pair in seen:
        own = [labels[int(t), int(g)] for t, g in zip(tf, target)]
        count = [known.get(int(g), 0) - o for g, o in zip(target, own)]
        assert pair[:, -1].tolist() == pytest.approx(np.log1p(count).tolist())
        r = [np.corrcoef(expression[int(t)], expression[int(g)])[0, 1]
             for t, g in zip(tf, target)]
        assert pair[:, 0].tolist() == pytest.approx(r, abs=1e-5)


def test_grn_settings_choose_the_target_degree_feature():
    from dglgene.datasets import simulate_sergio_grn
    from dglgene.grn import GRNSettings, train_model, transductive_split

    data = simulate_sergio_grn(n_tfs=4, n_targets=20, n_cells=40, seed=0)
    splits = transductive_split(data, seed=0)
    assert GRNSettings().target_degree  # ScTransNet's default
    for flag in (True, False):
        model, _, _ = train_model(data, splits, None, GRNSettings(epochs=1, target_degree=flag))
        assert model.target_degree is flag and model.head.pair_skip.in_features == 2 + flag


def test_grn_settings_hold_every_model_and_training_setting_with_its_default() -> None:
    """GRNSettings feeds ScTransNet and fit_links by their settings classes' fields, so it
    must have each of them, with the same default."""
    from dglgene.grn.settings import GRNSettings
    from dglgene.models import ScTransNetConfig
    from dglgene.settings import setting_keys
    from dglgene.train import LinkTrainConfig

    run = GRNSettings()
    for part in (ScTransNetConfig, LinkTrainConfig):
        for key in setting_keys(part):
            assert getattr(run, key) == getattr(part(), key), (part.__name__, key)
