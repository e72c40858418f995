"""Attentive pooling: weights are a softmax over cells; chunked equals one-shot."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from dglgene.nn.attentive_pooling import AttentivePooling, MeanPooling


@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 8), st.integers(1, 15),
       st.integers(0, 10_000))
def test_chunked_equals_one_shot(cells, genes, dim, chunk, seed) -> None:
    torch.manual_seed(seed)
    h = 3 * torch.randn(cells, genes, dim, dtype=torch.float64)
    for pool in (AttentivePooling(dim).double(), MeanPooling()):
        torch.testing.assert_close(pool.pool_chunks(h.split(chunk)), pool(h))


def test_pooling_is_a_convex_combination_of_cells() -> None:
    torch.manual_seed(0)
    pool = AttentivePooling(5)
    h = torch.randn(30, 4, 5)
    weights = torch.softmax(pool.logits(h), dim=0)
    torch.testing.assert_close(weights.sum(0), torch.ones(4))
    torch.testing.assert_close(pool(h), torch.einsum("cg,cgd->gd", weights, h))
    # identical cells pool to that cell, whatever the weights
    same = h[:1].expand(30, -1, -1)
    torch.testing.assert_close(pool(same), h[0])


def test_attention_can_pick_out_informative_cells() -> None:
    """Trained to predict a gene property carried by a few cells, attention finds them."""
    torch.manual_seed(0)
    cells, genes, dim = 50, 64, 4
    h = torch.randn(cells, genes, dim)
    h[:5, :, 0] += 4.0  # five marked cells (first feature high) ...
    target = torch.randn(genes)
    h[:5, :, 1] = target  # ... carry the target in feature 1; the rest is noise

    def train(pool: torch.nn.Module) -> float:
        readout = torch.nn.Linear(dim, 1)
        optimiser = torch.optim.Adam([*pool.parameters(), *readout.parameters()], lr=0.05)
        for _ in range(300):
            loss = (readout(pool(h)).squeeze(-1) - target).pow(2).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        return loss.item()

    attentive = AttentivePooling(dim, hidden=8)
    attentive_loss, mean_loss = train(attentive), train(MeanPooling())
    weights = torch.softmax(attentive.logits(h), dim=0)
    assert weights[:5].sum(0).mean() > 0.9  # the marked cells get the attention
    assert attentive_loss < 0.1 and mean_loss > 3 * attentive_loss


def test_empty_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no cells to pool"):
        AttentivePooling(3).pool_chunks([])
