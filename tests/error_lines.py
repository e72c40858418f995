"""What a failed command wrote on stderr besides its progress lines."""

from dglgene.progress import PREFIX


def error_lines(stderr: str) -> list[str]:
    """The lines of ``stderr`` that are not progress lines (those start with ``PREFIX``):
    for bad input, exactly one, the error."""
    return [line for line in stderr.strip().splitlines() if not line.startswith(PREFIX)]
