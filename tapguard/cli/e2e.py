"""`tapguard e2e [ENV...]`: deploy, check, drill, destroy and prove it, on the embedded endpoint."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tapguard.cli.common import console
from tapguard.evidence import text as evidence_text
from tapguard.foundation.errors import TapguardError
from tapguard.planning import project


def register(sub: Any) -> None:
    p = sub.add_parser("e2e", help="deploy each stack to the embedded AWS endpoint, check and drill it, destroy it, prove nothing is left")
    p.add_argument("environments", nargs="*", metavar="ENV", help="environment names (default: all)")
    p.add_argument("--out", type=Path, help="directory that receives the evidence bundle (default: evidence/)")
    p.add_argument("--apply-timeout", type=float, default=900.0, metavar="S", help="seconds for each apply (default 900)")
    p.add_argument("--destroy-timeout", type=float, default=600.0, metavar="S", help="seconds for each destroy (default 600)")
    p.add_argument("--no-drill", action="store_true", help="skip the AWS drill path")
    p.add_argument(
        "--sequence",
        action="store_true",
        help="each stage one stack after the other (default: side by side; one endpoint either way)",
    )
    p.set_defaults(func=cmd_e2e)


def cmd_e2e(args: argparse.Namespace) -> int:
    from tapguard.e2e.run import Budget, run

    if args.apply_timeout <= 0 or args.destroy_timeout <= 0:
        raise TapguardError("--apply-timeout and --destroy-timeout must be positive")
    root = project.find_root()
    out = args.out or root / "evidence"
    budget = Budget(args.apply_timeout, args.destroy_timeout, not args.no_drill, sequence=args.sequence)
    with console.status(f"deploying {', '.join(args.environments) or 'every stack'} to the embedded endpoint"):
        summary = run(root, list(args.environments), out, budget)
    for env in summary["environments"]:
        verdict = "[green]passed[/]" if env["passed"] else "[bold red]FAILED[/]"
        console.print(
            f"{env['name']}: {verdict}: {env['deployed']}/{env['planned']} resources deployed in {env['apply_s']} s, "
            f"destroyed in {env['destroy_s']} s, nothing left: {env['destroy_proof'].get('clean')}"
        )
        # addresses, terraform's errors and the ids of leftovers are data (a `[/]` or `:emoji:` in them stays text)
        for address, why in env["offline"].items():
            console.print(evidence_text.console(f"  not deployable offline: {address}: {why}"), soft_wrap=True)
        for err in env["errors"]:
            console.print(evidence_text.console(f"  {err}", style="red"), soft_wrap=True)
    console.print(evidence_text.console(f"report: {Path(summary['bundle']) / 'e2e' / 'e2e-report.md'}"), soft_wrap=True)
    return 0 if summary["passed"] else 1
