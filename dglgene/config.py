"""Run configuration from a TOML file: ``[graphs]``, ``[model]`` and ``[train]`` tables.

Every value is checked when the file is read, against the type hints of what it feeds
(:class:`~dglgene.data.GraphRecipe`, :class:`~dglgene.models.MuSeGNN`,
:func:`~dglgene.train.fit`); ``[graphs]`` values are also checked for range by the
recipe itself, and the numbers of ``[model]`` and ``[train]`` must be positive. An error
names the table, the key, the value and what is expected.

>>> cfg = parse_config({"graphs": {"n_hvg": 500}, "model": {"losses": {"recon": 1.0}}})
>>> cfg.graphs["n_hvg"], cfg.model["losses"], cfg.train["epochs"]
(500, {'recon': 1.0}, 100)
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from dglgene.data import GraphRecipe
from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError
from dglgene.models import MuSeGNN
from dglgene.train.fit import fit

GRAPH_KEYS = {"method", "n_hvg", "shared_genes", "p_value", "fdr", "top_k", "n_components",
              "smoothing", "smoothing_k", "residual_theta", "self_loops"}
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


_HINTS = {"graphs": typing.get_type_hints(GraphRecipe),
          "model": typing.get_type_hints(MuSeGNN.__init__),
          "train": typing.get_type_hints(fit)}
_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
_PLURALS = {int: "integers", float: "numbers", str: "strings", bool: "booleans"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)  # TOML true is 1


def _expected(hint: Any, value: Any) -> str | None:
    """What ``hint`` asks for, or None when ``value`` is one (TOML has no null)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        wants = [_expected(arg, value) for arg in args if arg is not type(None)]
        return None if None in wants else " or ".join(wants)
    if origin is tuple:  # tuple[str, ...]: a TOML array of strings
        ok = isinstance(value, list) and all(_expected(args[0], v) is None for v in value)
        return None if ok else f"an array of {_PLURALS[args[0]]}"
    if origin is not None and issubclass(origin, Mapping):  # e.g. losses = {recon = 1.0}
        ok = isinstance(value, dict) and all(_expected(args[1], v) is None
                                             for v in value.values())
        return None if ok else f"a table of {_PLURALS[args[1]]}"
    if hint is float:
        return None if _is_number(value) and math.isfinite(value) else "a finite number"
    if hint in (int, str, bool):
        ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
        return None if ok else _NAMES[hint]
    return None


def _check(table: str, values: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise DglgeneInputError(f"config [{table}] has unknown key {unknown[0]!r}; allowed: "
                                f"{', '.join(sorted(allowed))}")
    for key, value in values.items():
        wants = _expected(_HINTS[table][key], value)
        if wants is None and table != "graphs" and _is_number(value) and value <= 0:
            wants = "a positive integer" if isinstance(value, int) else "a positive number"
        if wants is not None:
            raise DglgeneInputError(f"config [{table}] {key} = {value!r}: expected {wants}")
    if table == "graphs":
        try:  # the recipe checks its own ranges
            GraphRecipe(**values)
        except ValueError as error:
            raise DglgeneInputError(f"config [graphs]: {error}") from None
    return dict(values)


def parse_config(data: dict[str, Any]) -> RunConfig:
    """Validate a parsed TOML document."""
    unknown = sorted(set(data) - {"graphs", "model", "train"})
    if unknown:
        raise DglgeneInputError(f"config has unknown table [{unknown[0]}]; use [graphs], [model], "
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
        raise DglgeneFileNotFoundError(f"{path}: no such config file")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise DglgeneInputError(f"{path}: not valid TOML ({error})") from None
    return parse_config(data)
