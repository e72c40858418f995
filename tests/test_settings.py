"""Settings classes: a bad value, given by keyword or by position, is one line naming it."""

from __future__ import annotations

import pytest

from dglgene.data import GraphRecipe
from dglgene.errors import DglgeneInputError
from dglgene.train import TrainConfig


@pytest.mark.parametrize("make, message", [
    (lambda: GraphRecipe(n_hvg="x"), "GraphRecipe n_hvg = 'x': expected an integer"),
    (lambda: GraphRecipe("auto", "x"), "GraphRecipe n_hvg = 'x': expected an integer"),
    (lambda: TrainConfig(3, 0.0), "TrainConfig lr_encoder = 0.0: expected a positive number"),
    (lambda: TrainConfig(epoch=3), "TrainConfig has no setting 'epoch'; allowed: epochs,"),
    (lambda: GraphRecipe(n_hvg=1), "n_hvg must be at least 2, got 1"),
])
def test_a_bad_setting_is_one_line_naming_it(make, message) -> None:
    with pytest.raises(DglgeneInputError) as error:
        make()
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
