"""Run configuration from a TOML file: ``[graphs]``, ``[model]`` and ``[train]`` tables.

Each table is one settings class, the home of its defaults: ``[graphs]``
:class:`~dglgene.data.GraphRecipe`, ``[model]`` :class:`~dglgene.models.MuSeGNNConfig`,
``[train]`` :class:`~dglgene.train.TrainConfig`. Every value is checked when the file is
read (types by pydantic, ranges by the class); an error names the table, the key, the
value and what is expected (:func:`~dglgene.settings.from_table`).

>>> cfg = parse_config({"graphs": {"n_hvg": 500}, "model": {"losses": {"recon": 1.0}}})
>>> cfg.graphs.n_hvg, cfg.model.losses, cfg.train.epochs
(500, {'recon': 1.0}, 100)
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dglgene.data import GraphRecipe
from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError
from dglgene.models import MuSeGNNConfig
from dglgene.settings import from_table, setting_keys
from dglgene.train import TrainConfig

__all__ = ["GRAPH_KEYS", "TABLES", "RunConfig", "load_config", "parse_config", "table_values",
           "with_epochs"]

#: each table of a run's TOML and the settings class that reads it
TABLES = {"graphs": GraphRecipe, "model": MuSeGNNConfig, "train": TrainConfig}
#: the keys of ``[graphs]``: the recipe's settings (its steps are set from Python)
GRAPH_KEYS = setting_keys(GraphRecipe)


@dataclass
class RunConfig:
    """The settings of one ``dglgene embed`` run."""

    graphs: GraphRecipe = field(default_factory=GraphRecipe)
    model: MuSeGNNConfig = field(default_factory=MuSeGNNConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def table_values(settings: Any) -> dict[str, Any]:
    """A settings object as the table that would make it (every key, defaults included)."""
    return {key: getattr(settings, key) for key in setting_keys(type(settings))}


def parse_config(data: dict[str, Any]) -> RunConfig:
    """Validate a parsed TOML document."""
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise DglgeneInputError(f"config has unknown table [{unknown[0]}]; use "
                                f"{', '.join(f'[{t}]' for t in TABLES)}")
    return RunConfig(**{table: from_table(cls, table, data.get(table, {}))
                        for table, cls in TABLES.items()})


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


def with_epochs(config: RunConfig, epochs: int) -> RunConfig:
    """``config`` with another training budget (``--epochs``)."""
    return dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=epochs))
