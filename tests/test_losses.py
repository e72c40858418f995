"""Invariants of every loss, checked with hypothesis on made-up pair batches."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from dglgene.losses import (
    InfoNCE,
    Loss,
    PairBatch,
    ReconstructionBCE,
    WeightedCosineSimilarity,
    WeightedSum,
)


@pytest.fixture(autouse=True)
def float64():
    """Exact comparisons of invariants; restored so other test modules are unaffected."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


@st.composite
def batches(draw: st.DrawFn, min_common: int = 0, min_diff: int = 0) -> PairBatch:
    n_i, n_j = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    d = draw(st.integers(1, 6))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    n_common = draw(st.integers(min(min_common, n_i, n_j), min(n_i, n_j)))
    common_i = torch.randperm(n_i, generator=g)[:n_common]
    common_j = torch.randperm(n_j, generator=g)[:n_common]
    rest_i = torch.tensor(sorted(set(range(n_i)) - set(common_i.tolist())), dtype=torch.long)
    rest_j = torch.tensor(sorted(set(range(n_j)) - set(common_j.tolist())), dtype=torch.long)
    assume(len(rest_i) >= min_diff and len(rest_j) >= min_diff)
    adjacency = (torch.rand(n_i, n_i, generator=g) < 0.3).double()
    adjacency = ((adjacency + adjacency.T + torch.eye(n_i)) > 0).double()
    return PairBatch(
        z_i=torch.randn(n_i, d, generator=g), z_j=torch.randn(n_j, d, generator=g),
        common_i=common_i, common_j=common_j,
        weights=torch.rand(n_common, generator=g),
        diff_i=rest_i, diff_i_neighbor=torch.randint(n_i, (len(rest_i),), generator=g),
        diff_j=rest_j, diff_j_neighbor=torch.randint(n_j, (len(rest_j),), generator=g),
        adjacency_i=adjacency, logits_i=3 * torch.randn(n_i, n_i, generator=g),
        seed=draw(st.integers(0, 1000)), weight_scale=draw(st.floats(0.01, 1.0)))


def replace(batch: PairBatch, **changes: object) -> PairBatch:
    return PairBatch(**{**batch.__dict__, **changes})


def random_rotation(d: int, seed: int) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(seed)))
    return q


# --- weighted cosine similarity -------------------------------------------------------

@given(batches(min_common=1))
def test_similarity_minimal_when_common_genes_coincide(batch) -> None:
    loss = WeightedCosineSimilarity()
    z_j = batch.z_j.clone()
    z_j[batch.common_j] = batch.z_i[batch.common_i]
    best = loss(replace(batch, z_j=z_j))
    assert float(best) == pytest.approx(-float(batch.weights.mean()) / batch.weight_scale,
                                        abs=1e-9)
    assert float(loss(batch)) >= float(best) - 1e-9


@given(batches(), st.floats(0.01, 100), st.floats(0.01, 100))
def test_similarity_invariant_to_positive_rescaling(batch, a, b) -> None:
    loss = WeightedCosineSimilarity()
    scaled = replace(batch, z_i=a * batch.z_i, z_j=b * batch.z_j)
    assert float(loss(scaled)) == pytest.approx(float(loss(batch)), abs=1e-9)


@given(batches())
def test_similarity_zero_when_weights_zero(batch) -> None:
    loss = WeightedCosineSimilarity()(replace(batch, weights=torch.zeros_like(batch.weights)))
    assert float(loss) == 0.0


@given(batches(min_common=1))
def test_similarity_is_the_formula(batch) -> None:
    cos = F.cosine_similarity(batch.z_i[batch.common_i], batch.z_j[batch.common_j], dim=1)
    expected = -(batch.weights * cos).sum() / len(cos)
    assert float(WeightedCosineSimilarity(relative=False)(batch)) == pytest.approx(
        float(expected))
    assert float(WeightedCosineSimilarity()(batch)) == pytest.approx(
        float(expected) / batch.weight_scale)


@given(batches(min_common=1), st.floats(0.01, 100))
def test_similarity_depends_on_weights_relative_to_their_mean(batch, c) -> None:
    """Relative weights: multiplying every Jaccard weight and their collection mean by the
    same factor changes nothing; raw weights scale the loss by that factor."""
    scaled = replace(batch, weights=c * batch.weights, weight_scale=c * batch.weight_scale)
    assert float(WeightedCosineSimilarity()(scaled)) == pytest.approx(
        float(WeightedCosineSimilarity()(batch)), abs=1e-9)
    assert float(WeightedCosineSimilarity(relative=False)(scaled)) == pytest.approx(
        c * float(WeightedCosineSimilarity(relative=False)(batch)), abs=1e-9)


# --- InfoNCE -----------------------------------------------------------------------------

def direct_nt_xent(batch: PairBatch, temperature: float = 0.07) -> float:
    """NT-Xent over the joined batch, one query at a time, in plain Python floats."""
    queries = [batch.z_i[g] for g in batch.diff_i] + [batch.z_j[g] for g in batch.diff_j]
    keys = ([batch.z_i[g] for g in batch.diff_i_neighbor]
            + [batch.z_j[g] for g in batch.diff_j_neighbor])

    def cos(a, b):
        return float(a @ b) / max(float(a.norm()) * float(b.norm()), 1e-12)

    total = 0.0
    for a, q in enumerate(queries):
        logits = [cos(q, k) / temperature for k in keys]
        total -= logits[a] - math.log(sum(math.exp(x) for x in logits))
    return total / len(queries)


@given(batches(min_diff=1), st.floats(0.05, 1.0))
def test_infonce_is_nt_xent_over_the_joined_batch(batch, temperature) -> None:
    value = float(InfoNCE(temperature)(batch))
    assert value == pytest.approx(direct_nt_xent(batch, temperature), rel=1e-7, abs=1e-9)
    assert value >= 0


@given(batches(min_diff=1), st.integers(0, 10_000))
def test_infonce_invariant_to_shared_rotation(batch, seed) -> None:
    q = random_rotation(batch.z_i.shape[1], seed)
    rotated = replace(batch, z_i=batch.z_i @ q, z_j=batch.z_j @ q)
    assert float(InfoNCE()(rotated)) == pytest.approx(float(InfoNCE()(batch)), abs=1e-7)


@given(batches(min_diff=1))
def test_infonce_symmetric_in_the_two_graphs(batch) -> None:
    swapped = replace(batch, z_i=batch.z_j, z_j=batch.z_i, diff_i=batch.diff_j,
                      diff_i_neighbor=batch.diff_j_neighbor, diff_j=batch.diff_i,
                      diff_j_neighbor=batch.diff_i_neighbor)
    assert float(InfoNCE()(swapped)) == pytest.approx(float(InfoNCE()(batch)), abs=1e-9)


@given(batches(min_diff=1), st.integers(0, 10_000))
def test_infonce_invariant_to_reordering_query_key_pairs(batch, seed) -> None:
    order = torch.randperm(len(batch.diff_i), generator=torch.Generator().manual_seed(seed))
    shuffled = replace(batch, diff_i=batch.diff_i[order],
                       diff_i_neighbor=batch.diff_i_neighbor[order])
    assert float(InfoNCE()(shuffled)) == pytest.approx(float(InfoNCE()(batch)), abs=1e-9)


@given(st.integers(0, 8), st.integers(0, 8), st.integers(1, 5), st.floats(0.01, 2.0))
def test_infonce_is_log_m_when_similarities_equal(m_i, m_j, d, temperature) -> None:
    assume(m_i + m_j > 0)
    z = torch.ones(m_i + m_j, d)
    diff_i, diff_j = torch.arange(m_i), torch.arange(m_i, m_i + m_j)
    empty = diff_i[:0]
    batch = PairBatch(z, z, empty, empty, torch.zeros(0), diff_i, diff_i.flip(0),
                      diff_j, diff_j)
    assert float(InfoNCE(temperature)(batch)) == pytest.approx(math.log(m_i + m_j), rel=1e-9,
                                                               abs=1e-12)


@given(st.integers(1, 6), st.integers(0, 6), st.floats(0.05, 1.0))
def test_infonce_near_zero_when_each_query_is_its_key_and_keys_orthogonal(m_i, m_j, t) -> None:
    # queries = keys = distinct basis vectors: every positive logit 1/t, every negative 0
    m = m_i + m_j
    z = torch.eye(m)
    diff_i, diff_j = torch.arange(m_i), torch.arange(m_j)
    batch = PairBatch(z[:m_i], z[m_i:], diff_i[:0], diff_i[:0], torch.zeros(0),
                      diff_i, diff_i, diff_j, diff_j)
    expected = math.log(1 + (m - 1) * math.exp(-1 / t))
    assert float(InfoNCE(t)(batch)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


# --- reconstruction ----------------------------------------------------------------------

@given(batches())
def test_bce_minimal_at_the_true_sign(batch) -> None:
    loss = ReconstructionBCE()
    magnitudes = batch.logits_i.abs()
    aligned = replace(batch, logits_i=magnitudes * (2 * batch.adjacency_i - 1))
    assert float(loss(aligned)) <= float(loss(batch)) + 1e-12
    flipped = replace(batch, logits_i=-magnitudes * (2 * batch.adjacency_i - 1))
    assert float(loss(flipped)) >= float(loss(batch)) - 1e-12


@given(batches(), st.floats(0.5, 3.0))
def test_sampled_bce_covers_every_edge_and_is_seeded(batch, ratio) -> None:
    loss = ReconstructionBCE(negative_ratio=ratio)
    first, second = loss(batch), loss(batch)
    assert float(first) == float(second)
    # with logits equal to the true sign times a huge margin, every sampled term is ~0
    perfect = replace(batch, logits_i=50 * (2 * batch.adjacency_i - 1))
    assert float(loss(perfect)) < 1e-12
    # a pairwise decoder is used instead of dense logits when given
    calls = []

    def decoder(z, src, dst):
        calls.append(len(src))
        return batch.logits_i[src, dst]

    via_decoder = loss(replace(batch, logits_i=None, pair_logits_i=decoder))
    assert float(via_decoder) == pytest.approx(float(first))
    assert calls[0] >= int(batch.adjacency_i.sum())


# --- all losses -----------------------------------------------------------------------------

ALL = [WeightedCosineSimilarity(), InfoNCE(), ReconstructionBCE(),
       ReconstructionBCE(negative_ratio=1.0)]


@pytest.mark.parametrize("loss", ALL, ids=lambda x: f"{x.name}")
def test_finite_gradients_on_degenerate_input(loss: Loss) -> None:
    one = torch.tensor([0])
    for z in (torch.zeros(2, 3), torch.ones(2, 3)):  # zero vectors; identical embeddings
        z_i, z_j = z.clone().requires_grad_(), z.clone().requires_grad_()
        batch = PairBatch(z_i, z_j, one, one, torch.ones(1), torch.tensor([1]), one,
                          torch.tensor([1]), one, adjacency_i=torch.eye(2),
                          logits_i=(z_i @ z_i.T))
        value = loss(batch)
        value.backward()
        assert torch.isfinite(value)
        grads = [g for g in (z_i.grad, z_j.grad) if g is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads)


def test_losses_without_their_genes_are_zero_and_connected() -> None:
    empty = torch.zeros(0, dtype=torch.long)
    z = torch.randn(3, 2, requires_grad=True)
    batch = PairBatch(z, z, empty, empty, torch.zeros(0), empty, empty, empty, empty)
    for loss in (WeightedCosineSimilarity(), InfoNCE()):
        value = loss(batch)
        value.backward()
        assert float(value) == 0.0 and z.grad is not None


@given(batches(min_common=1, min_diff=1), st.floats(0, 2), st.floats(0, 2), st.floats(0, 2))
def test_weighted_sum_is_the_weighted_sum(batch, a, b, c) -> None:
    combined = WeightedSum({"recon": a, "sim": b, "nce": c})
    parts = [ReconstructionBCE()(batch), WeightedCosineSimilarity()(batch), InfoNCE()(batch)]
    expected = a * parts[0] + b * parts[1] + c * parts[2]
    assert float(combined(batch)) == pytest.approx(float(expected), rel=1e-9, abs=1e-12)
    assert set(combined.components(batch)) == {"recon", "sim", "nce"}


def test_custom_loss_plugs_in() -> None:
    class CenterLoss(Loss):
        def forward(self, batch: PairBatch) -> torch.Tensor:
            return (batch.z_i.mean(0) - batch.z_j.mean(0)).pow(2).sum()

    empty = torch.zeros(0, dtype=torch.long)
    batch = PairBatch(torch.ones(2, 2), torch.zeros(2, 2), empty, empty, torch.zeros(0),
                      empty, empty, empty, empty)
    combined = WeightedSum({CenterLoss(): 0.5, "sim": 1.0})
    assert float(combined(batch)) == pytest.approx(0.5 * 2.0)
    assert combined.names == ["CenterLoss", "sim"]
    with pytest.raises(ValueError, match="unknown loss 'simm'"):
        WeightedSum({"simm": 1.0})
    with pytest.raises(ValueError, match=r"not a dglgene\.losses\.Loss"):
        WeightedSum({object(): 1.0})  # type: ignore[dict-item]
