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
