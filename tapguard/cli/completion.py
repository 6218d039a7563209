"""`tapguard completion bash|zsh|tcsh`: a shell completion script generated from the parser (shtab)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

SHELLS = ("bash", "zsh", "tcsh")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script; e.g. `tapguard completion bash > ~/.local/share/bash-completion/completions/tapguard`.",
    )
    p.add_argument("shell", choices=SHELLS)
    p.set_defaults(func=run)  # and parser=: the whole parser, set by tapguard.cli.parser once every command is registered


def run(args: argparse.Namespace) -> int:
    import shtab

    sys.stdout.write(shtab.complete(args.parser, shell=args.shell))
    sys.stdout.flush()
    return 0
