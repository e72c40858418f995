"""The ``dglgene`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dglgene import __version__


def _info(_: argparse.Namespace) -> int:
    from dglgene.ops.pair_overlaps import available_backends, cuda_device_count

    print(f"dglgene {__version__}")
    print(f"kernel backends: {', '.join(available_backends())}")
    print(f"CUDA devices: {cuda_device_count()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dglgene",
        description="Gene representations from single-cell data (MuSe-GNN, scTransNet).",
    )
    parser.add_argument("--version", action="version", version=f"dglgene {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = commands.add_parser("info", help="show the version and the kernel backends")
    info.set_defaults(run=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        # Bad input gets one line naming the problem and the fix, not a traceback.
        print(f"dglgene: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
