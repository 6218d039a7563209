"""`tapguard doctor|plan|check|evidence|lab|drill`: one line per error, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tapguard import __version__, localaws, project, toolchain
from tapguard.errors import TapguardError
from tapguard.plan import PlanResult, PlanRunner

console = Console(stderr=True, highlight=False)


# ---------------------------------------------------------------- shared plumbing
@contextmanager
def aws_session(mode: str, envs: Sequence[project.Environment]) -> Iterator[tuple[dict[str, str], list[str]]]:
    """The AWS environment for a run: the embedded endpoint (started, seeded, stopped) or the real account."""
    if mode == "local":
        console.print("[bold cyan]AWS: embedded local endpoint (moto), offline; existing secrets are seeded[/]")
        with localaws.running(envs) as endpoint:
            yield endpoint.env(), endpoint.secret_strings()
    else:
        console.print("[bold yellow]AWS: REAL account from your credentials (plan only, nothing is applied)[/]")
        yield {}, []


def plan_environments(args: argparse.Namespace, envs: list[project.Environment]) -> tuple[list[PlanResult], list[str]]:
    """Plan each environment; returns the results and the seeded secret values (for leak guards)."""
    if not envs:
        return [], []
    root = project.find_root()
    state = project.state_dir(root)
    tools = toolchain.discover(state)
    mode = localaws.choose_mode(args.local, args.aws)
    runner = PlanRunner(tools, state, {}, mode, use_cache=not args.no_cache)
    if all(runner.cached(e) for e in envs):
        return [runner.plan(e) for e in envs], []  # unchanged: no AWS endpoint needed
    with aws_session(mode, envs) as (aws_env, secrets):
        runner.aws_env, runner.secrets = aws_env, list(secrets)
        label = f"planning {', '.join(e.name for e in envs)} with {tools.binary.flavour} {tools.binary.version}"
        with console.status(label), ThreadPoolExecutor(max_workers=min(2, len(envs))) as pool:
            results = list(pool.map(runner.plan, envs))
    return results, secrets


def add_aws_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--local", action="store_true", help="use the embedded AWS endpoint (default without credentials)")
    group.add_argument("--aws", action="store_true", help="use the real AWS account of your credentials")
    parser.add_argument("--no-cache", action="store_true", help="plan again even if nothing changed")


# ---------------------------------------------------------------- commands
def cmd_doctor(args: argparse.Namespace) -> int:
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


def cmd_plan(args: argparse.Namespace) -> int:
    root = project.find_root()
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
            _display(r.json_path, root),
        )
    Console().print(table)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for r in results:
            (out / f"{r.environment}.plan.json").write_bytes(r.json_path.read_bytes())
    drifted = [r.environment for r in results if any(r.summary[k] for k in ("add", "change", "replace", "destroy"))]
    if args.fail_on_changes and drifted:
        console.print(f"[bold red]changes (drift) in {', '.join(drifted)}[/]")
        return 3
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from tapguard import audit
    from tapguard.check import parse_plan_json_args
    from tapguard.controls import FAIL

    root = project.find_root()
    given = parse_plan_json_args(args.plan_json)
    names = list(args.environments) or ([] if given else [e.name for e in project.environments(root)])
    to_plan = [e for e in project.select(root, [n for n in names if n not in given])] if [n for n in names if n not in given] else []
    planned, secrets = plan_environments(args, to_plan)
    plans = audit.plans_from_args(args.plan_json, planned)
    waiver_file = args.waivers or (root / "waivers.yaml")
    if args.waivers and not args.waivers.is_file():
        raise TapguardError(f"--waivers {args.waivers}: no such file")
    envs = project.environments(root) + to_plan
    with console.status("evaluating controls" + ("" if args.no_checkov else " and running checkov")):
        run = audit.run_check(root, envs, plans, waiver_file, use_checkov=not args.no_checkov)
    if args.drills:
        from tapguard.evidence.write import load_drills

        run.drills = load_drills(args.drills)
    bundle = audit.write(run, root, args.out or root / "evidence", secrets)
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
    for scan in run.checkov:
        out.print(scan.summary_line())
    from tapguard.evidence.bundle import sha256

    out.print(f"evidence: {_display(bundle.path, root)} (manifest sha256 {sha256(bundle.path / 'manifest.json')[:16]}…)")
    gate = [s for s in run.checkov if s.scope == "hcl" and s.gate_failures]
    verdict = "FAIL" if run.failed or gate else "PASS"
    out.print(f"[bold {'red' if verdict == 'FAIL' else 'green'}]verdict: {verdict}[/]")
    return 1 if verdict == "FAIL" else 0


def cmd_audit(args: argparse.Namespace) -> int:
    """check + lab drills into one bundle: the job the README runs."""
    import tempfile

    from tapguard.drill.cli import lab_for_project, print_verdicts
    from tapguard.drill.lab_targets import LabPostgres, LabRedis
    from tapguard.drill.runner import DrillSettings, drill_lock, run_drill

    journals: list[dict[str, Any]] = []
    if not args.no_drill:
        lab = lab_for_project()
        started = lab.load() is None
        try:
            with console.status("starting the failover lab"):
                state = lab.up()
            with drill_lock():
                for target in (LabPostgres(lab.postgres(state)), LabRedis(lab.redis(state))):
                    with console.status(f"drill: {target.component} kill -9 under 100,000 writes/min"):
                        journals.append(run_drill(target, DrillSettings(fault="kill")))
        finally:
            if started and not args.keep_lab:
                lab.down()
        print_verdicts(journals)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"drills": journals}, handle)
    args.drills = Path(handle.name) if journals else None
    try:
        code = cmd_check(args)
    finally:
        Path(handle.name).unlink(missing_ok=True)
    drills_ok = all(j.get("verdict", {}).get("passed") for j in journals)
    return code or (0 if drills_ok else 1)


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    from tapguard.evidence.bundle import verify

    result = verify(args.bundle)
    if result.ok:
        Console().print(f"[green]OK[/] {args.bundle}: {result.checked} files match manifest.json")
        return 0
    for label, names in (("changed", result.changed), ("added", result.added), ("removed", result.removed)):
        for name in names:
            Console().print(f"[red]{label}[/] {name}")
    return 1


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tapguard", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tapguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("doctor", help="show the toolchain, provider source and AWS mode tapguard would use")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("plan", help="plan environments for real (hermetic copy, cached by content)")
    p.add_argument("environments", nargs="*", metavar="ENV", help="environment names or root module paths (default: all)")
    p.add_argument("--out", help="also copy each redacted plan JSON into this directory")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    p.add_argument("--fail-on-changes", action="store_true", help="exit 3 when a plan has changes (drift against the deployed state)")
    add_aws_flags(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("check", help="plan, evaluate every PCI DSS control, scan with checkov, write the evidence bundle")
    p.add_argument("environments", nargs="*", metavar="ENV", help="environment names or root module paths (default: all)")
    p.add_argument("--plan-json", action="append", default=[], metavar="ENV=PATH", help="use a plan JSON produced elsewhere (repeatable)")
    p.add_argument("--waivers", type=Path, help="waiver file (default: waivers.yaml at the project root, if present)")
    p.add_argument("--out", type=Path, help="directory that receives the bundle (default: evidence/)")
    p.add_argument("--no-checkov", action="store_true", help="skip the checkov baseline")
    p.add_argument("--drills", type=Path, help="drills.json of a drill run to include in the bundle")
    add_aws_flags(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("evidence", help="work with evidence bundles")
    evidence_sub = p.add_subparsers(dest="evidence_command", required=True)
    v = evidence_sub.add_parser("verify", help="detect any changed, added or removed file in a bundle")
    v.add_argument("bundle", type=Path)
    v.set_defaults(func=cmd_evidence_verify)

    p = sub.add_parser("audit", help="the main job: plan every stack, check every control, run lab drills, one evidence bundle")
    p.add_argument("--out", type=Path, help="directory that receives the bundle (default: evidence/)")
    p.add_argument("--waivers", type=Path, help="waiver file (default: waivers.yaml at the project root, if present)")
    p.add_argument("--no-drill", action="store_true", help="skip the lab drills")
    p.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    p.set_defaults(func=cmd_audit, local=True, aws=False, no_cache=False, no_checkov=False, plan_json=[], environments=[], drills=None)

    from tapguard.drill.cli import register as register_drill

    register_drill(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except TapguardError as exc:
        console.print(f"[bold red]tapguard: error:[/] {exc}", soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        console.print("[bold red]tapguard: interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
