"""Run configuration from a TOML file: ``[graphs]``, ``[model]`` and ``[train]`` tables.

>>> cfg = parse_config({"graphs": {"n_hvg": 500}, "model": {"losses": {"recon": 1.0}}})
>>> cfg.graphs["n_hvg"], cfg.model["losses"], cfg.train["epochs"]
(500, {'recon': 1.0}, 200)
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from dglgene.data import GraphRecipe
from dglgene.train.fit import fit

GRAPH_KEYS = {"method", "n_hvg", "shared_genes", "p_value", "top_k", "n_components", "smoothing",
              "smoothing_k", "residual_theta", "self_loops"}
MODEL_KEYS = {"dim", "losses", "decoder", "group_by", "heads", "shared_heads"}
# The [train] keys and their defaults are fit's own (stated once, in dglgene.train.fit).
TRAIN_DEFAULTS = {name: p.default for name, p in inspect.signature(fit).parameters.items()
                  if name in {"epochs", "lr_encoder", "lr_decoder", "contrastive_genes"}}


@dataclass
class RunConfig:
    graphs: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=lambda: dict(TRAIN_DEFAULTS))

    def recipe(self) -> GraphRecipe:
        return dataclasses.replace(GraphRecipe(), **self.graphs)


def _check(table: str, values: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValueError(f"config [{table}] has unknown key {unknown[0]!r}; allowed: "
                         f"{', '.join(sorted(allowed))}")
    return dict(values)


def parse_config(data: dict[str, Any]) -> RunConfig:
    """Validate a parsed TOML document."""
    unknown = sorted(set(data) - {"graphs", "model", "train"})
    if unknown:
        raise ValueError(f"config has unknown table [{unknown[0]}]; use [graphs], [model], "
                         "[train]")
    train = {**TRAIN_DEFAULTS, **_check("train", data.get("train", {}), set(TRAIN_DEFAULTS))}
    return RunConfig(_check("graphs", data.get("graphs", {}), GRAPH_KEYS),
                     _check("model", data.get("model", {}), MODEL_KEYS), train)


def load_config(path: str | Path | None) -> RunConfig:
    """Read a TOML config (``None``: all defaults)."""
    if path is None:
        return RunConfig()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such config file")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: not valid TOML ({error})") from None
    return parse_config(data)
