"""The one argument parser: a subcommand per module of this package."""

from __future__ import annotations

import argparse

from tapguard import __version__
from tapguard.cli import audit, check, completion, doctor, drill, e2e, evidence, lab, plan

COMMANDS = (doctor, plan, check, evidence, audit, lab, drill, e2e, completion)

EXIT_CODES = """exit codes:
  0    pass: every control holds (or the failures are soft, see --soft-fail-on)
  1    failure: a control, waiver, checkov gate or drill verdict failed
  2    bad input: a flag, file, plan, waiver, config or environment variable tapguard cannot use (one line on stderr)
  3    drift (plan --fail-on-changes) or the lab is down (lab status)
  130  interrupted (Ctrl-C); a drill restores its target first"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tapguard",
        description="`tapguard doctor|plan|check|evidence|audit|lab|drill|e2e|completion`: one line per error, never a traceback.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"tapguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    for command_parser in sub.choices.values():
        if command_parser.epilog is None:  # every subcommand's --help shows the exit codes too
            command_parser.epilog = EXIT_CODES
            command_parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser
