"""What the commands share: help that shows each default from its settings class, the
training options, and reading the options a user gave."""

from __future__ import annotations

import argparse
import importlib

from dglgene.errors import DglgeneInputError

__all__ = ["Help", "add_bench_options", "check_resume", "given", "run_options", "setting",
           "write_per_seed"]


class Help(argparse.HelpFormatter):
    """Help whose options end with their default, read from the settings class that holds
    it (``action.setting``: "module:Class.field"); imported only when help is shown, so
    that a command does not pay for the imports."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        setting = getattr(action, "setting", None)
        if setting is not None:
            module, _, attribute = setting.partition(":")
            owner, _, field = attribute.partition(".")
            default = getattr(getattr(importlib.import_module(module), owner), field)
            text += f" (default: {'unset' if default is None else default})"
        elif not any(action.default is skip for skip in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


def setting(parser: argparse.ArgumentParser, flag: str, setting: str, help: str,
            **options: object) -> None:
    """Add ``flag`` for the settings field ``setting`` ("module:Class.field"); left out, it
    is None, so that the field's own default applies (and the help shows it)."""
    parser.add_argument(flag, help=help, **options).setting = setting


def run_options(parser: argparse.ArgumentParser, checkpoint: str = "--checkpoint",
                checkpoint_help: str = "save the training state to FILE after every epoch"
                ) -> None:
    """--seed, --device, a checkpoint flag and --resume: what every training command takes."""
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                        help="where to train")
    parser.add_argument(checkpoint, metavar="FILE", help=checkpoint_help)
    parser.add_argument("--resume", action="store_true",
                        help=f"continue from {checkpoint} FILE when it exists")
    parser.set_defaults(checkpoint_flag=checkpoint)


def check_resume(args: argparse.Namespace) -> None:
    """--resume needs the checkpoint flag of :func:`run_options`."""
    flag = args.checkpoint_flag
    if args.resume and getattr(args, flag.lstrip("-").replace("-", "_")) is None:
        raise DglgeneInputError(f"--resume needs {flag} FILE (the checkpoint to continue from)")


def given(args: argparse.Namespace, *names: str) -> dict:
    """The options among ``names`` that were given on the command line. The others are
    left out, so that the function they feed applies its own default (stated once, there).
    """
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def write_per_seed(per_seed, path: str | None) -> None:
    """The per-seed table of a benchmark command, when ``--csv`` asked for it."""
    from dglgene.atomic import atomic_path

    if path:
        with atomic_path(path) as tmp:
            per_seed.to_csv(tmp, index=False)


def add_bench_options(parser: argparse.ArgumentParser, run) -> None:
    """Seeds, epochs and --csv: the options every benchmark command shares."""
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--csv", help="also write the per-seed table here")
    parser.set_defaults(run=run)
