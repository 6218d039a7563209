"""The one argument parser: a subcommand per module of this package."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from tapguard import __version__
from tapguard.cli import audit, check, completion, doctor, drill, e2e, evidence, hook, lab, plan

COMMANDS = (doctor, plan, check, evidence, audit, lab, drill, e2e, hook, completion)

EXIT_CODES = """exit codes:
  0    pass: every control holds (or the failures are soft, see --soft-fail-on)
  1    failure: a control, waiver, checkov gate or drill verdict failed
  2    bad input: a flag, file, plan, waiver, config or environment variable tapguard cannot use (one line on stderr)
  3    drift (plan --fail-on-changes) or the lab is down (lab status)
  4    internal error: a bug in tapguard (its traceback is printed); never reported as a finding
  5    busy: another drill holds the target's lock (the lab's directory, or the AWS account + resource); nothing was done
  130  interrupted (Ctrl-C, or SIGTERM during a drill); a drill restores its target, keeps its partial journal, injects nothing more"""


class CommandParser(argparse.ArgumentParser):
    """A subcommand's parser: an unknown flag is its own error, with its own usage (`usage: tapguard check ...`).

    argparse hands a subcommand's leftovers back to the top-level parser, which would print the top-level usage."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tapguard",
        description="`tapguard doctor|plan|check|evidence|audit|lab|drill|e2e|hook|completion`: one line per error, never a traceback.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"tapguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=CommandParser)
    for command in COMMANDS:
        command.register(sub)
    for command_parser in sub.choices.values():
        if command_parser.epilog is None:  # every subcommand's --help shows the exit codes too
            command_parser.epilog = EXIT_CODES
            command_parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub.choices["completion"].set_defaults(parser=parser)  # the script completes every command
    return parser
