"""The one argument parser: a subcommand per module of this package."""

from __future__ import annotations

import argparse

from tapguard import __version__
from tapguard.cli import audit, check, doctor, drill, e2e, evidence, lab, plan

COMMANDS = (doctor, plan, check, evidence, audit, lab, drill, e2e)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tapguard", description="`tapguard doctor|plan|check|evidence|audit|lab|drill|e2e`: one line per error, never a traceback."
    )
    parser.add_argument("--version", action="version", version=f"tapguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser
