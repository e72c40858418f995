"""The decoders against their formulas: the MLP decoder equals its MLP applied to the rows
of Z Z^T (it computes the first layer in a cheaper order), and the pair decoders' pair
logits are their dense logits at those pairs."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from dglgene.nn.decoders import DECODERS, MLPDecoder


@given(n=st.integers(1, 30), dim=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_mlp_decoder_is_its_mlp_on_the_rows_of_zzt(n: int, dim: int, seed: int) -> None:
    torch.manual_seed(seed)
    decoder = MLPDecoder(n, dim=dim).double()
    z = torch.randn(n, dim, dtype=torch.float64, requires_grad=True)
    out, ref = decoder(z), decoder.mlp(z @ z.T)
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=1e-9)
    w = torch.randn(n, n, dtype=torch.float64)
    params = [z, *decoder.parameters()]
    for a, b in zip(torch.autograd.grad((out * w).sum(), params),
                    torch.autograd.grad((ref * w).sum(), params)):
        torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-8)


@pytest.mark.parametrize("name", ["inner", "bilinear"])
def test_pair_logits_are_the_dense_logits_at_those_pairs(name: str) -> None:
    torch.manual_seed(0)
    decoder = DECODERS.get(name)(20, dim=4)
    if name == "bilinear":
        with torch.no_grad():
            decoder.weight.add_(torch.randn(4, 4))  # away from the identity
    z = torch.randn(20, 4)
    src, dst = torch.randint(0, 20, (2, 50))
    torch.testing.assert_close(decoder.pair_logits(z, src, dst), decoder(z)[src, dst])
