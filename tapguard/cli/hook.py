"""`tapguard hook`: the pre-commit hook (`.pre-commit-hooks.yaml`), run by pre-commit with the changed files."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console


def register(sub: Any) -> None:
    p = sub.add_parser(
        "hook",
        help="the pre-commit hook: every control on the HCL of the stacks the changed files touch (on a plan with --plan-json)",
    )
    p.add_argument("--stack", action="append", default=[], type=Path, help="a root module to check (repeatable)")
    p.add_argument("--plan-json", action="append", default=[], metavar="STACK=PATH", help="check this plan (stack = directory name)")
    p.add_argument("--waivers", type=Path, help="waiver file (default: waivers.yaml here, if present)")
    p.add_argument("files", nargs="*", type=Path, help="the changed files (pre-commit passes them)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tapguard.controls import engine, precommit
    from tapguard.evidence import text

    out = Console(highlight=False, soft_wrap=True)  # stdout, where pre-commit shows a hook's report
    waiver_file = args.waivers or (Path("waivers.yaml") if Path("waivers.yaml").exists() else None)
    results = precommit.run(args.stack, args.plan_json, waiver_file, args.files)
    catalogue = engine.catalogue()
    for result in results:
        name = result.stack.name
        for finding in result.failures:  # data, never markup nor a CI-log command
            out.print(text.console(f"{name}: FAIL {text.finding(finding, catalogue.get(finding.control))}"))
        if result.needs_plan:  # one line: what only a plan can settle, by control
            counts_by_control = Counter(f.control for f in result.needs_plan)
            listed = ", ".join(f"{c} x{n}" for c, n in sorted(counts_by_control.items()))
            out.print(text.console(f"{name}: NEEDS PLAN (unknown until a plan, never a pass): {listed}"))
        for call in result.not_followed:
            out.print(text.console(f"{name}: NEEDS PLAN module not read at HCL level: {call}"))
        counts = f"{len(result.failures)} failing"
        if result.level == "HCL":
            counts += f", {len(result.needs_plan) + len(result.not_followed)} need a plan"
        out.print(text.console(f"tapguard {result.level}-level check of {name}: {result.verdict} ({counts})"))
    return 1 if any(r.failures for r in results) else 0
