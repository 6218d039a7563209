"""`tapguard check`: plan (or read plans made elsewhere), assess every PCI DSS control, scan with checkov, write the bundle."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tapguard.cli.common import add_aws_flags, console, display, plan_environments
from tapguard.controls import FAIL, assessment
from tapguard.errors import TapguardError
from tapguard.evidence import signing
from tapguard.evidence.digest import sha256
from tapguard.evidence.paths import check_segment
from tapguard.evidence.write import load_drills, write_bundle
from tapguard.planning import project


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="plan, evaluate every PCI DSS control, scan with checkov, write the evidence bundle")
    p.add_argument("environments", nargs="*", metavar="ENV", help="environment names or root module paths (default: all)")
    p.add_argument("--plan-json", action="append", default=[], metavar="ENV=PATH", help="use a plan JSON produced elsewhere (repeatable)")
    p.add_argument("--waivers", type=Path, help="waiver file (default: waivers.yaml at the project root, if present)")
    p.add_argument("--out", type=Path, help="directory that receives the bundle (default: evidence/)")
    p.add_argument("--no-checkov", action="store_true", help="skip the checkov baseline")
    p.add_argument("--drills", type=Path, help="drills.json of a drill run to include in the bundle")
    add_sign_key_flag(p)
    add_aws_flags(p)
    p.set_defaults(func=run)


def add_sign_key_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sign-key", metavar="FILE|env:NAME", help="sign the bundle's manifest with this Ed25519 private key (a file, or env:NAME)"
    )


def run(args: argparse.Namespace, drills: list[dict[str, Any]] | None = None) -> int:
    """The check; `drills` are journals of drills this process ran (tapguard audit)."""
    root = project.find_root()
    given = assessment.parse_plan_json_args(args.plan_json)
    for name in given:
        check_segment(name)  # it becomes a file name in the bundle: checked before anything is planned or written
    sign_key = signing.private_key(args.sign_key) if args.sign_key else None
    names = list(args.environments) or ([] if given else [e.name for e in project.environments(root)])
    to_plan = [e for e in project.select(root, [n for n in names if n not in given])] if [n for n in names if n not in given] else []
    planned, secrets = plan_environments(args, to_plan)
    plans = assessment.plans_from_args(args.plan_json, planned)
    waiver_file = args.waivers or (root / "waivers.yaml")
    if args.waivers and not args.waivers.is_file():
        raise TapguardError(f"--waivers {args.waivers}: no such file")
    envs = project.environments(root) + to_plan
    with console.status("evaluating controls" + ("" if args.no_checkov else " and running checkov")):
        run = assessment.assess(root, envs, plans, waiver_file, use_checkov=not args.no_checkov)
    if args.drills:
        run.drills = load_drills(args.drills)
    if drills:
        run.drills = drills
    bundle = write_bundle(run, root, args.out or root / "evidence", secrets, sign_key=sign_key)
    out = Console(width=max(Console().width, 120))
    table = Table(title="PCI DSS v4.0.1 controls by requirement")
    table.add_column("requirement")
    table.add_column("control")
    for env in run.environments:
        table.add_column(env.name)
    style = {"pass": "green", "fail": "bold red", "waived": "yellow", "not_applicable": "dim"}
    for control in run.catalogue.values():
        cells = [f"[{style[e.status_of(control.id)]}]{e.status_of(control.id)}[/]" for e in run.environments]
        table.add_row(", ".join(control.requirements) or f"({control.family})", f"{control.id} {control.title}", *cells)
    out.print(table)
    for env in run.environments:
        for f in env.findings:
            if f.status in (FAIL, "unknown") and not f.waiver:
                out.print(f"[red]FAIL[/] {f.describe(run.catalogue.get(f.control))}", soft_wrap=True)
    for problem in run.waivers.problems:
        out.print(f"[bold red]WAIVER[/] {problem.address}: {problem.message}", soft_wrap=True)
    for env in run.environments:
        if env.coverage:
            out.print(f"coverage \\[{env.name}]: {env.coverage.line()}", soft_wrap=True)
    for scan in run.checkov:
        out.print(scan.summary_line(), markup=False)  # plain text: "tapguard[scan]" is not markup
    out.print(f"evidence: {display(bundle.path, root)} (manifest sha256 {sha256(bundle.path / 'manifest.json')[:16]}…)")
    gate = [s for s in run.checkov if s.scope == "hcl" and s.gate_failures]
    verdict = "FAIL" if run.failed or gate else "PASS"
    out.print(f"[bold {'red' if verdict == 'FAIL' else 'green'}]verdict: {verdict}[/]")
    return 1 if verdict == "FAIL" else 0
