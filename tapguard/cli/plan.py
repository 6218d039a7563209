"""`tapguard plan`: real plans of the environments (hermetic copy, cached by content), a summary, redacted plan JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.table import Table

from tapguard.cli.common import add_aws_flags, console, display, plan_environments
from tapguard.cli.outputs import report_console
from tapguard.evidence.paths import check_segment
from tapguard.foundation import inputs
from tapguard.planning import project


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="plan environments for real (hermetic copy, cached by content)")
    p.add_argument("environments", nargs="*", metavar="ENV", help="environment names or root module paths (default: all)")
    p.add_argument("--out", help="also copy each redacted plan JSON into this directory")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    p.add_argument("--fail-on-changes", action="store_true", help="exit 3 when a plan has changes (drift against the deployed state)")
    add_aws_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = project.find_root()
    if args.out:  # before minutes of planning
        inputs.output_directory(Path(args.out), "--out")
    envs = project.select(root, args.environments)
    results, _ = plan_environments(args, envs)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "environment": r.environment,
                        "plan_json": str(r.json_path),
                        "seconds": round(r.seconds, 2),
                        "cached": r.cached,
                        **r.summary,
                    }
                    for r in results
                ],
                indent=2,
            )
        )
        return 0
    table = Table(title="plans")
    for col in ("environment", "add", "change", "replace", "destroy", "time", "plan JSON"):
        table.add_column(col, justify="right" if col in ("add", "change", "replace", "destroy", "time") else "left")
    for r in results:
        s = r.summary
        table.add_row(
            r.environment,
            str(s["add"]),
            str(s["change"]),
            str(s["replace"]),
            str(s["destroy"]),
            f"{r.seconds:.1f}s{' (cached)' if r.cached else ''}",
            display(r.json_path, root),
        )
    report_console().print(table)
    if args.out:
        out = Path(args.out)
        for r in results:  # never through a planted symlink, never into a sealed bundle (checked again: planning took minutes)
            name = check_segment(r.environment) + ".plan.json"
            inputs.write_file(out, name, r.json_path.read_bytes(), f"--out {out / name}")
    drifted = [r.environment for r in results if any(r.summary[k] for k in ("add", "change", "replace", "destroy"))]
    if args.fail_on_changes and drifted:
        console.print(f"[bold red]changes (drift) in {', '.join(drifted)}[/]")
        return 3
    return 0
