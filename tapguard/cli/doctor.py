"""`tapguard doctor`: the binary, provider source, CLI config, AWS mode and environments tapguard would use."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from tapguard import __version__
from tapguard.planning import localaws, project, toolchain


def register(sub: Any) -> None:
    p = sub.add_parser("doctor", help="show the toolchain, provider source and AWS mode tapguard would use")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = project.find_root()
    tools = toolchain.discover(project.state_dir(root))
    table = Table(title=f"tapguard {__version__}", show_header=False)
    table.add_row("project", str(root))
    table.add_row("binary", f"{tools.binary.flavour} {tools.binary.version} ({tools.binary.path})")
    table.add_row("providers", tools.source.describe())
    table.add_row("CLI config", str(tools.cli_config))
    table.add_row(
        "AWS mode",
        "real account (credentials found)" if localaws.aws_credentials_configured() else "embedded local endpoint (no credentials)",
    )
    table.add_row("environments", ", ".join(f"{e.name} ({e.region})" for e in project.environments(root)))
    Console().print(table)
    return 0
