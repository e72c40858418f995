"""The one error the user causes: bad input, named where the input is checked.

The command line prints a :class:`DglgeneInputError` as one line and exits 2; anything
else is a bug and keeps its traceback (exit 1). It subclasses ``ValueError`` so that API
callers who catch ``ValueError`` keep working.

>>> raise DglgeneInputError("--n-hvg must be at least 2, got 1")
Traceback (most recent call last):
...
dglgene.errors.DglgeneInputError: --n-hvg must be at least 2, got 1
"""


class DglgeneInputError(ValueError):
    """Input the user can fix: the message names the problem and the fix, in one line."""


class DglgeneFileNotFoundError(DglgeneInputError, FileNotFoundError):
    """A path the user gave does not exist: bad input, and still a ``FileNotFoundError`` for
    API callers who catch that."""


def require_at_least(name: str, value: int | None, minimum: int = 1) -> None:
    """Refuse a count below ``minimum`` (epochs, genes, folds, ...), naming the argument;
    None (an optional count left unset) passes.

    >>> require_at_least("epochs", 0)
    Traceback (most recent call last):
    ...
    dglgene.errors.DglgeneInputError: epochs must be at least 1, got 0
    """
    if value is not None and value < minimum:
        raise DglgeneInputError(f"{name} must be at least {minimum}, got {value}")
