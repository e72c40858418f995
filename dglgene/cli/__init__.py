"""The ``dglgene`` command line: it parses and dispatches; each command group's options
and handlers live in a module of their own (:mod:`~dglgene.cli.embedding`,
:mod:`~dglgene.cli.grn`), what they share in :mod:`~dglgene.cli.options`."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence

from dglgene import __version__
from dglgene.atomic import check_writable
from dglgene.cli import embedding, grn
from dglgene.cli.options import Help, given
from dglgene.errors import DglgeneInputError, require_at_least

__all__ = ["build_parser", "main"]


def _info(_: argparse.Namespace) -> int:
    from dglgene.ops.pair_overlaps import available_backends, cuda_device_count

    print(f"dglgene {__version__}")
    print(f"kernel backends: {', '.join(available_backends())}")
    print(f"CUDA devices: {cuda_device_count()}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from dglgene.demo import run_demo, run_grn_demo

    require_at_least("--epochs", args.epochs)  # before the demo's first half has run
    run_demo(args.out, seed=args.seed, **given(args, "epochs"))
    run_grn_demo(args.out, seed=args.seed)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dglgene", formatter_class=Help,
        description="Gene representations from single-cell data (MuSe-GNN, scTransNet).",
    )
    parser.add_argument("--version", action="version", version=f"dglgene {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser = functools.partial(commands.add_parser, formatter_class=Help)
    info = commands.add_parser("info", help="show the version and the kernel backends")
    info.set_defaults(run=_info)
    embedding.add_commands(commands)
    grn.add_commands(commands)
    demo = commands.add_parser("demo", help="run the main job on the built-in datasets")
    demo.add_argument("--out", default="out/demo", help="output directory")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--epochs", type=int, help="training epochs per method")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        # before any work, not after hours of training
        if getattr(args, "out", None):
            check_writable(args.out)
        if getattr(args, "device", None) == "cuda":
            from dglgene.train.device import require_device  # torch: only when asked for

            require_device(args.device)
        return args.run(args)
    except DglgeneInputError as error:
        # Bad input gets one line naming the problem and the fix; anything else is a bug
        # and keeps its traceback (exit 1).
        print(f"dglgene: error: {error}", file=sys.stderr)
        return 2

