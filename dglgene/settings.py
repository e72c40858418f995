"""Typed settings: the dataclasses that hold every default, validated by pydantic.

Each group of settings is one dataclass, the one home of its defaults:
:class:`~dglgene.data.GraphRecipe` (``[graphs]``), :class:`~dglgene.models.MuSeGNNConfig`
(``[model]``), :class:`~dglgene.train.TrainConfig` (``[train]``) and the GRN ones. They
are made with :func:`settings`, which validates their fields' types strictly (an integer
field takes no float, a number no ``true``) and refuses unknown keys. The TOML file, the
command line and the functions that train all read them.

:func:`from_table` builds one from a table of values (a TOML table, a saved model's) and
turns a validation error into one line naming the table, the key, the value and what is
expected.

>>> @settings
... class Example:
...     epochs: PositiveInt = 100
...     lr: PositiveFloat = 1e-3
>>> from_table(Example, "train", {"epochs": 3})
Example(epochs=3, lr=0.001)
>>> try:
...     from_table(Example, "train", {"epochs": 0})
... except ValueError as error:
...     print(error)
config [train] epochs = 0: expected a positive integer
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from dglgene.errors import DglgeneInputError

__all__ = [
    "STEP",
    "FiniteFloat",
    "NonNegativeFloat",
    "PositiveFloat",
    "PositiveInt",
    "Probability",
    "SettingError",
    "describe",
    "from_table",
    "setting_keys",
    "settings",
]

T = TypeVar("T")

#: an integer above 0
PositiveInt = Annotated[int, Field(gt=0)]
#: a finite number above 0
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
#: a finite number
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
#: a finite number, 0 or above
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
#: a number in [0, 1]
Probability = Annotated[float, Field(ge=0, le=1)]

#: ``field(metadata=STEP)``: a field no table sets (a function or an object)
STEP = {"step": True}

_STRICT = ConfigDict(strict=True, extra="forbid", arbitrary_types_allowed=True)


class SettingError(DglgeneInputError):
    """A settings value of the wrong type: names the ``key``, the ``value`` and what is
    expected (``wants``)."""

    def __init__(self, owner: str, key: str, value: Any, wants: str) -> None:
        super().__init__(f"{owner} {key} = {value!r}: expected {wants}")
        self.key, self.value, self.wants = key, value, wants


def settings(cls: type[T] | None = None, *, frozen: bool = False) -> Any:
    """Make ``cls`` a settings dataclass (``@settings`` or ``@settings(frozen=True)``):
    fields typed strictly, unknown keys refused, and a bad value one line
    (:class:`SettingError`, or the class's own ``__post_init__`` error)."""
    def make(cls: type[T]) -> type[T]:
        made = dataclass(config=_STRICT, frozen=frozen)(cls)
        init = made.__init__

        @functools.wraps(init)
        def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                init(self, *args, **kwargs)
            except pydantic.ValidationError as error:
                given = dict(zip((f.name for f in dataclasses.fields(made)), args), **kwargs)
                raise _one_line(made, error, given) from None

        made.__init__ = checked_init
        return made
    return make if cls is None else make(cls)


def _one_line(cls: type, error: pydantic.ValidationError, values: Mapping[str, Any]
              ) -> DglgeneInputError:
    first = error.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, DglgeneInputError):  # raised by the class's own checks
        return cause
    key = first["loc"][0] if first["loc"] else ""
    if isinstance(key, int):  # a positional argument: its field
        key = dataclasses.fields(cls)[key].name
    key = str(key)
    if first["type"] == "unexpected_keyword_argument" or key not in values:
        return DglgeneInputError(f"{cls.__name__} has no setting {key!r}; allowed: "
                                 f"{', '.join(setting_keys(cls))}")
    wants = describe(typing.get_type_hints(cls, include_extras=True)[key])
    if first["type"] == "greater_than" and first["ctx"]["gt"] == 0:
        wants = "a positive integer" if wants == "an integer" else "a positive number"
    elif first["type"] in ("greater_than", "greater_than_equal", "less_than",
                           "less_than_equal"):  # "a number less than or equal to 1"
        wants = f"a number {first['msg'].removeprefix('Input should be ')}"
    return SettingError(cls.__name__, key, values[key], wants)


def setting_keys(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` a table may set: all but those marked
    ``field(metadata=STEP)`` (functions and objects, set from Python only)."""
    return tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get("step"))


def from_table(cls: type[T], table: str, values: Mapping[str, Any]) -> T:
    """``cls(**values)``, where a value that does not fit is one line: ``config [table]
    key = value: expected ...``; so is a key ``cls`` has no setting for."""
    allowed = setting_keys(cls)
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise DglgeneInputError(f"config [{table}] has unknown key {unknown[0]!r}; allowed: "
                                f"{', '.join(sorted(allowed))}")
    try:
        return cls(**values)
    except SettingError as error:
        raise DglgeneInputError(f"config [{table}] {error.key} = {error.value!r}: expected "
                                f"{error.wants}") from None
    except DglgeneInputError as error:  # the class's own checks of ranges
        raise DglgeneInputError(f"config [{table}]: {error}") from None


# the words for a type: one value, several
_WORDS = {int: ("an integer", "integers"), float: ("a finite number", "numbers"),
          str: ("a string", "strings"), bool: ("true or false", "booleans")}


def _bare(hint: Any) -> Any:
    """``hint`` without its constraints (``Annotated[float, ...]`` -> ``float``)."""
    return typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint


def describe(hint: Any) -> str:
    """What a value of type ``hint`` is, in words ("an integer", "a string or an array of
    strings"); None is left out (TOML has no null)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:  # the constraints are said by the error
        return describe(_bare(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in args if a is not type(None))
    if origin is tuple:
        return f"an array of {_WORDS[_bare(args[0])][1]}"
    if origin is not None and issubclass(origin, Mapping):
        return f"a table of {_WORDS[_bare(args[1])][1]}"
    return _WORDS[hint][0] if hint in _WORDS else getattr(hint, "__name__", str(hint))
