"""`tapguard completion bash|zsh|tcsh`: a shell completion script generated from the parser (shtab).

Environment names and control ids complete too: the control ids (and severities) of the catalogue, and the
environments of the project the script is generated in, plus whatever `environments/` holds where it is used."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

SHELLS = ("bash", "zsh", "tcsh")
CONTROL_FLAGS = ("--check", "--skip-check", "--soft-fail-on", "--hard-fail-on")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script; e.g. `tapguard completion bash > ~/.local/share/bash-completion/completions/tapguard`.",
    )
    p.add_argument("shell", choices=SHELLS)
    p.set_defaults(func=run)  # and parser=: the whole parser, set by tapguard.cli.parser once every command is registered


def _words(name: str, words: list[str], dynamic: str = "") -> dict[str, Any]:
    """A shtab `.complete` hint: these words (and, in bash, what `dynamic` prints where the shell runs)."""
    quoted = " ".join(shlex.quote(w) for w in words)
    extra = f" {dynamic}" if dynamic else ""
    return {
        "bash": name,
        "zsh": f"({quoted})",
        "tcsh": f"({quoted})",
        "preamble": {"bash": f'{name}() {{\n  compgen -W "{quoted}{extra}" -- "$1" | sort -u\n}}\n'},
    }


def hints() -> tuple[dict[str, Any], dict[str, Any]]:
    """(control ids and severities, environment names)."""
    from tapguard.controls import engine
    from tapguard.controls.assessment import SEVERITIES
    from tapguard.foundation.errors import TapguardError
    from tapguard.planning import project

    controls = [*engine.catalogue(), *SEVERITIES]
    try:
        environments = [e.name for e in project.environments(project.find_root())]
    except TapguardError:  # generated outside a project: only what environments/ holds where it is used
        environments = []
    listing = "$(cd environments 2>/dev/null && ls -d -- */ 2>/dev/null | tr -d /)"
    return _words("_tapguard_controls", controls), _words("_tapguard_environments", environments, listing)


def _annotate(parser: argparse.ArgumentParser, controls: dict[str, Any], environments: dict[str, Any]) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                _annotate(child, controls, environments)
        elif any(o in CONTROL_FLAGS for o in action.option_strings):
            action.complete = controls  # type: ignore[attr-defined]
        elif action.dest == "environments" and not action.option_strings:
            action.complete = environments  # type: ignore[attr-defined]


def run(args: argparse.Namespace) -> int:
    import shtab

    controls, environments = hints()
    _annotate(args.parser, controls, environments)
    sys.stdout.write(shtab.complete(args.parser, shell=args.shell))
    sys.stdout.flush()
    return 0
