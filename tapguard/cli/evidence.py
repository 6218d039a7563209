"""`tapguard evidence verify`: detect any changed, added or removed file of a bundle."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from tapguard.evidence.bundle import verify


def register(sub: Any) -> None:
    p = sub.add_parser("evidence", help="work with evidence bundles")
    evidence_sub = p.add_subparsers(dest="evidence_command", required=True)
    v = evidence_sub.add_parser("verify", help="detect any changed, added or removed file in a bundle")
    v.add_argument("bundle", type=Path)
    v.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    result = verify(args.bundle)
    if result.ok:
        Console().print(f"[green]OK[/] {args.bundle}: {result.checked} files match manifest.json")
        return 0
    for label, names in (("changed", result.changed), ("added", result.added), ("removed", result.removed)):
        for name in names:
            Console().print(f"[red]{label}[/] {name}")
    return 1
