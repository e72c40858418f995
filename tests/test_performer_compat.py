"""ScBertEncoder against the real performer-pytorch 1.1.4 PerformerLM, plus tokens and genes.

The reference model is performer-pytorch's ``PerformerLM`` with scBERT's settings that the PyPI
package shares (non-causal, no local heads, no rotary/axial positions, so its positional table
is ``pos_emb.emb.weight`` like scBERT's gene2vec one). Its state dict goes through
``torch.save({"model_state_dict": ...})`` -> :func:`load_scbert_checkpoint`, both models run
in eval mode (performer-pytorch only redraws its projection in training mode) and their
encodings and logits must agree to ``ATOL``. They cannot agree bitwise: the features are
``exp`` of differently ordered float32 sums (matmul vs einsum, ``x / D`` vs ``x * (1 / D)``),
and the differences go through two LayerNorms per block; we measure ~5e-7.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from dglgene.nn.performer import (
    ScBertEncoder,
    encode_cells,
    favor_features,
    load_scbert_checkpoint,
    save_scbert_checkpoint,
)
from dglgene.nn.scbert_tokens import SCBERT_MASK_TOKEN, expression_to_tokens, match_genes

with warnings.catch_warnings():  # performer-pytorch 1.1.4 imports distutils' LooseVersion
    warnings.simplefilter("ignore", DeprecationWarning)
    from performer_pytorch import PerformerLM
    from performer_pytorch.performer_pytorch import softmax_kernel

ATOL = 1e-5
SMALL = dict(num_tokens=7, max_seq_len=50, dim=32, depth=2, heads=4, dim_head=8)


def reference(attn_out_bias: bool = True, seed: int = 0) -> PerformerLM:
    """performer-pytorch's PerformerLM in scBERT's layout (scBERT's to_out has a bias)."""
    torch.manual_seed(seed)
    model = PerformerLM(**SMALL, local_attn_heads=0, rotary_position_emb=False,
                        axial_position_emb=False, attn_out_bias=attn_out_bias)
    with torch.no_grad():  # sharper attention than the default init, so the kernel matters
        for name, p in model.named_parameters():
            if name.endswith(("to_q.weight", "to_k.weight")):
                p.mul_(4)
    return model.eval()


def tokens(cells: int = 3, genes: int = 50, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, 7, (cells, genes), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("attn_out_bias", [True, False])
def test_matches_performer_pytorch(tmp_path, attn_out_bias: bool) -> None:
    ref = reference(attn_out_bias)
    path = tmp_path / "scbert.pth"
    torch.save({"model_state_dict": ref.state_dict(), "epoch": 3}, path)
    ours = load_scbert_checkpoint(path, key_stabiliser="head")  # performer-pytorch >= 1.1's
    assert ours.config["heads"] == 4 and ours.config["dim_head"] == 8
    assert ours.config["depth"] == 2 and ours.config["attn_out_bias"] == attn_out_bias
    projection = ref.performer.net.layers[1][0].fn.fast_attention.projection_matrix.clone()
    x = tokens()
    with torch.no_grad():
        for return_encodings in (True, False):
            expected = ref(x, return_encodings=return_encodings)
            got = ours(x, return_encodings=return_encodings)
            assert got.shape == expected.shape
            diff = (got - expected).abs().max().item()
            assert diff < ATOL, f"max abs difference {diff:.2e}"
    # Same random features on both sides, and eval mode redrew none.
    assert torch.equal(ref.performer.net.layers[1][0].fn.fast_attention.projection_matrix,
                       projection)
    assert torch.equal(ours.performer.net.layers[1][0].fn.fast_attention.projection_matrix,
                       projection)


def test_kernel_features_match() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 20, 8, generator=gen) * 2
    w = torch.randn(16, 8, generator=gen)
    for is_query in (True, False):
        expected = softmax_kernel(x, projection_matrix=w, is_query=is_query)
        got = favor_features(x, w, is_query=is_query, key_stabiliser="head")
        torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)


def test_favor_approximates_softmax_attention() -> None:
    # With many features, FAVOR+ converges to exact softmax attention (the point of it).
    from dglgene.nn.performer import linear_attention, orthogonal_random_features

    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 1, 30, 8, generator=gen) * 0.5 for _ in range(3))
    w = orthogonal_random_features(4096, 8, generator=gen)
    approx = linear_attention(favor_features(q, w, is_query=True),
                              favor_features(k, w, is_query=False), v)
    exact = torch.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5, dim=-1) @ v
    assert (approx - exact).abs().max() < 0.05


def test_save_round_trip(tmp_path) -> None:
    ref = reference()
    ours = load_scbert_checkpoint({"model_state_dict": ref.state_dict()}, key_stabiliser="head")
    path = tmp_path / "ours.pth"
    save_scbert_checkpoint(ours, path)
    saved = torch.load(path, weights_only=True)["model_state_dict"]
    # scBERT's layout: performer.calls_since_last_redraw, no proj_updater aliases.
    assert "performer.calls_since_last_redraw" in saved
    assert not any(k.startswith("performer.proj_updater") for k in saved)
    again = load_scbert_checkpoint(path)
    assert again.config["key_stabiliser"] == "head"  # from the stored config
    fresh = reference(seed=5)
    result = fresh.load_state_dict(saved, strict=False)  # PyPI names the counter differently
    assert result.unexpected_keys == ["performer.calls_since_last_redraw"]
    assert all(k.startswith("performer.proj_updater") for k in result.missing_keys)
    x = tokens()
    with torch.no_grad():
        torch.testing.assert_close(again(x), ours(x))
        torch.testing.assert_close(fresh(x), ours(x), atol=ATOL, rtol=0)


def test_scbert_state_dict_loads_directly() -> None:
    # Our parameter names are scBERT's, so plain load_state_dict works, strict.
    ref_sd = load_scbert_checkpoint({"model_state_dict": reference().state_dict()}).state_dict()
    model = ScBertEncoder(**SMALL)
    model.load_state_dict(ref_sd)
    assert set(ref_sd) == set(model.state_dict())


def test_cell_stabiliser_is_batch_independent() -> None:
    ours = load_scbert_checkpoint({"model_state_dict": reference().state_dict()})
    assert ours.config["key_stabiliser"] == "cell"
    x = tokens(cells=7)
    with torch.no_grad():
        whole = ours(x, return_encodings=True)
    chunked = encode_cells(ours, x, batch_size=3)
    torch.testing.assert_close(chunked, whole, atol=1e-6, rtol=1e-5)
    # "cell" is scBERT's global-max kernel fed one cell at a time (as its predict.py does).
    batch = load_scbert_checkpoint({"model_state_dict": reference().state_dict()},
                                   key_stabiliser="batch")
    one_by_one = torch.cat([batch.encode_cells(x[i:i + 1], 1) for i in range(7)])
    torch.testing.assert_close(one_by_one, whole, atol=1e-6, rtol=1e-5)


def test_bad_checkpoints() -> None:
    sd = reference().state_dict()
    gone = "performer.net.layers.1.0.fn.to_k.weight"
    broken = {k: v for k, v in sd.items() if k != gone}
    with pytest.raises(ValueError, match=f"missing key '{gone}'") as err:
        load_scbert_checkpoint({"model_state_dict": broken})
    assert "\n" not in str(err.value)
    wrong = "performer.net.layers.0.1.fn.fn.w2.weight"
    with pytest.raises(ValueError, match=f"'{wrong}' has shape \\(32, 64\\)") as err:
        load_scbert_checkpoint({**sd, wrong: torch.zeros(32, 64)})
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match=r"unexpected key 'extra\.weight'"):
        load_scbert_checkpoint({**sd, "extra.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match=r"no 'token_emb\.weight'"):
        load_scbert_checkpoint({"model_state_dict": {"a": torch.zeros(1)}})
    finetuned = {**{k: v for k, v in sd.items() if not k.startswith("to_out.")},
                 "to_out.fc1.weight": torch.zeros(512, 50)}
    with pytest.raises(ValueError, match="with_head=False"):
        load_scbert_checkpoint(finetuned)
    encoder = load_scbert_checkpoint(finetuned, with_head=False)
    assert encoder.to_out is None
    with pytest.raises(ValueError, match="tokens must lie in"):
        encoder(torch.full((1, 5), 7), return_encodings=True)


def test_position_table() -> None:
    table = np.arange(49 * 32, dtype=np.float64).reshape(49, 32)  # genes only, as gene2vec
    model = ScBertEncoder(**SMALL, position_table=table)
    weight = model.pos_emb.emb.weight
    assert not weight.requires_grad
    torch.testing.assert_close(weight[:49], torch.as_tensor(table, dtype=torch.float32))
    assert torch.count_nonzero(weight[49]) == 0  # scBERT's zero row for the end token
    with pytest.raises(ValueError, match="position table has shape"):
        model.set_position_table(np.zeros((10, 32)))


def test_expression_to_tokens_by_hand() -> None:
    # Totals of 1e4 leave counts as they are: log2(1 + x) = 0, 1, 2, 13.3 -> 0, 1, 2, 5.
    counts = np.array([[0, 1, 3, 9996],
                       [2, 6, 9992, 0],     # log2(3) = 1.58 -> 1, log2(7) = 2.81 -> 2
                       [0, 0.5, 1.5, 4998],  # total 5000: scaled x2 -> row 0
                       [0, 0, 0, 0]])       # empty cell stays 0
    expected = torch.tensor([[0, 1, 2, 5], [1, 2, 5, 0], [0, 1, 2, 5], [0, 0, 0, 0]])
    assert torch.equal(expression_to_tokens(counts), expected)
    assert torch.equal(expression_to_tokens(sp.csr_matrix(counts)), expected)
    assert torch.equal(expression_to_tokens(torch.tensor(counts)), expected)
    with_end = expression_to_tokens(counts, append_end_token=True)
    assert with_end.shape == (4, 5) and with_end.dtype == torch.long
    assert torch.equal(with_end[:, -1], torch.zeros(4, dtype=torch.long))
    # Already normalised values (scBERT's datasets): only clip at 5 and truncate.
    assert torch.equal(expression_to_tokens(np.array([[0.2, 4.99, 5.0, 7.3]]), normalize=False),
                       torch.tensor([[0, 4, 5, 5]]))
    assert SCBERT_MASK_TOKEN == 6
    with pytest.raises(ValueError, match="negative"):
        expression_to_tokens(np.array([[1.0, -1.0]]))


def test_expression_to_tokens_matches_scanpy() -> None:
    import anndata as ad
    import scanpy as sc

    rng = np.random.default_rng(0)
    counts = rng.negative_binomial(2, 0.3, size=(40, 300)).astype(np.float32)
    counts[rng.random(counts.shape) < 0.7] = 0
    adata = ad.AnnData(sp.csr_matrix(counts))
    sc.pp.normalize_total(adata, target_sum=1e4)   # scBERT's preprocess.py
    sc.pp.log1p(adata, base=2)
    data = adata.X.toarray()
    data[data > 5] = 5                             # scBERT's SCDataset
    expected = torch.from_numpy(data).long()
    assert torch.equal(expression_to_tokens(counts), expected)
    assert torch.equal(expression_to_tokens(sp.csr_matrix(counts)), expected)


def test_match_genes_report() -> None:
    index, report = match_genes(["A", "B", "X", "C", "A", "y"], ["C", "B", "A", "D", "Y"])
    assert index.tolist() == [2, 1, -1, 0, 2, -1]
    assert report.missing == ["X", "y"] and report.duplicates == ["A"]
    assert (report.n_dataset, report.n_checkpoint, report.n_matched) == (6, 5, 4)
    assert report.checkpoint_coverage == pytest.approx(3 / 5)
    assert "2 not found: X, y" in str(report)
    index, report = match_genes(["A", "y"], ["C", "Y"], case_sensitive=False)
    assert index.tolist() == [-1, 1] and report.missing == ["A"]
