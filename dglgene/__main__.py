"""``python -m dglgene``: the same as the ``dglgene`` command."""

import sys

from dglgene.cli import main

if __name__ == "__main__":
    sys.exit(main())
