"""`tapguard drill`: force a failover under load, time it, prove no acknowledged write was lost."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from tapguard.cli.common import console
from tapguard.drill import interrupts, repeats
from tapguard.drill.runner import DrillInterrupted, drill_lock, run_locked
from tapguard.drill.settings import DrillSettings
from tapguard.drill.targets.base import FailoverTarget
from tapguard.foundation import inputs
from tapguard.foundation.errors import TapguardError
from tapguard.planning import project

if TYPE_CHECKING:  # the targets import the database clients of tapguard[drill]: only when a drill runs
    from tapguard.drill.targets.build import TargetParams


def register(sub: Any) -> None:
    p = sub.add_parser("drill", help="force a failover under load, time it, prove no acknowledged write was lost")
    add_drill_arguments(p)
    p.set_defaults(func=run)


def add_drill_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", choices=("lab", "aws"), default="lab", help="the local lab (default) or AWS")
    p.add_argument("--env", help="environment whose terraform outputs name the targets (AWS)")
    p.add_argument("--component", choices=("aurora", "redis", "all"), default="all")
    p.add_argument(
        "--fault",
        default=None,
        help="the fault to inject (default: kill on the lab, failover on AWS); an unknown name lists the target's faults",
    )
    p.add_argument("--rate", type=float, default=100_000, help="writes per minute (default 100,000)")
    p.add_argument("--connections", type=int, default=8, help="probe connections (default 8)")
    p.add_argument("--max-downtime", type=float, default=30.0, help="seconds of write downtime allowed (default 30)")
    p.add_argument("--hang-seconds", type=float, default=10.0, help="how long the hang fault freezes the writer")
    p.add_argument("--steady-seconds", type=float, default=5.0, help="steady-state window before the fault")
    p.add_argument(
        "--warmup-timeout",
        type=float,
        default=20.0,
        help="seconds the probe may take to reach a whole steady window before the drill aborts (default 20)",
    )
    p.add_argument("--settle-seconds", type=float, default=3.0, help="window that must be at steady state after recovery (default 3)")
    p.add_argument(
        "--steady-timeout", type=float, default=30.0, help="seconds after recovery to get back to steady state before failing (default 30)"
    )
    p.add_argument("--repeat", type=int, default=1, help="lab only: run each drill N times (median, p95, max per metric)")
    p.add_argument("--no-wait", action="store_true", help="lab Redis: count writes acknowledged by the primary alone (no WAIT)")
    p.add_argument(
        "--require-replica-ack",
        action="store_true",
        help="fail when any write was acknowledged without a replica's confirmation (PostgreSQL wait_primary included)",
    )
    p.add_argument("--out", type=Path, help="evidence directory (default evidence/)")
    p.add_argument("--dry-run", action="store_true", help="check safety and preconditions only; inject nothing")
    aws = p.add_argument_group("AWS safety and targets")
    aws.add_argument("--confirm", help="AWS: the environment (or target id) you mean to fail over")
    aws.add_argument("--allow-list", type=Path, help="AWS: file of target ids allowed besides the tapguard:drill=allowed tag")
    aws.add_argument("--region")
    aws.add_argument("--cluster-id")
    aws.add_argument("--target-instance")
    aws.add_argument("--secret-arn", help="Aurora master secret (read at run time, never printed)")
    aws.add_argument("--fis-template", help="start this FIS experiment template (aws:rds:failover-db-cluster) instead of FailoverDBCluster")
    aws.add_argument("--replication-group-id")
    aws.add_argument("--auth-secret-arn", help="Redis AUTH secret (read at run time, never printed)")


def run(args: argparse.Namespace) -> int:
    if args.repeat < 1:
        raise TapguardError("--repeat must be at least 1")
    if args.target == "aws" and args.repeat != 1:
        raise TapguardError("one failover per run on AWS: --repeat is for the lab")
    if args.target == "aws" and not args.confirm:  # before any AWS call or lock: nothing may depend on credentials
        what = args.env or args.cluster_id or args.replication_group_id or "ENV"
        raise TapguardError(f"a drill against AWS fails over production-grade resources: add --confirm {what} to proceed")
    if args.out is not None and (args.out.exists() or args.out.is_symlink()):
        # checked now, created only once the drill holds its lock: a refused drill writes nothing
        inputs.output_directory(args.out, "--out")
    settings_from_args(args)
    return drill(args)


def target_params(args: argparse.Namespace) -> TargetParams:
    from tapguard.drill.targets.build import TargetParams

    return TargetParams(
        target=args.target,
        component=args.component,
        fault=args.fault,
        hang_seconds=args.hang_seconds,
        no_wait=args.no_wait,
        env=args.env,
        confirm=args.confirm,
        allow_list=args.allow_list,
        region=args.region,
        cluster_id=args.cluster_id,
        target_instance=args.target_instance,
        secret_arn=args.secret_arn,
        fis_template=args.fis_template,
        replication_group_id=args.replication_group_id,
        auth_secret_arn=args.auth_secret_arn,
    )


def targets(args: argparse.Namespace) -> list[FailoverTarget]:
    from tapguard.drill.targets.build import build_targets

    with console.status("preparing the drill targets"):
        return build_targets(target_params(args))


def settings_from_args(args: argparse.Namespace) -> DrillSettings:
    numbers = {
        "--rate": args.rate,
        "--max-downtime": args.max_downtime,
        "--hang-seconds": args.hang_seconds,
        "--steady-seconds": args.steady_seconds,
        "--settle-seconds": args.settle_seconds,
        "--steady-timeout": args.steady_timeout,
        "--warmup-timeout": args.warmup_timeout,
    }
    for flag, value in numbers.items():
        # nan passes every comparison and inf never ends a wait: both are refused like zero
        if not math.isfinite(value) or value <= 0:
            raise TapguardError(f"{flag} must be a positive finite number (got {value})")
    if args.connections <= 0:
        raise TapguardError("--connections must be positive")
    return DrillSettings(
        rate=args.rate / 60,
        connections=args.connections,
        steady_seconds=args.steady_seconds,
        settle_seconds=args.settle_seconds,
        steady_timeout=args.steady_timeout,
        warmup_timeout=args.warmup_timeout,
        max_downtime=args.max_downtime,
        recovery_timeout=max(90.0, args.max_downtime * 3),
        require_replica_ack=args.require_replica_ack,
    )


def run_drills(args: argparse.Namespace, journals: list[dict[str, Any]]) -> None:
    """Every drill asked for, appended to journals as each ends; an interrupted one is appended, then KeyboardInterrupt."""
    if args.target == "aws" and args.repeat != 1:
        raise TapguardError("one failover per run on AWS: --repeat is for the lab")
    settings = settings_from_args(args)  # bad numbers are refused before any target (or AWS) is touched
    chosen = targets(args)  # --confirm and the allow checks before the lock: refusing needs no lock
    with drill_lock(*chosen):  # every target's lock before the first drill: busy means nothing was done
        if args.out is not None:
            inputs.output_directory(args.out, "--out")
        for target in chosen:
            for i in range(args.repeat):
                try:
                    journals.append(_run_live(target, settings, f"{target.component} {target.fault.name} {i + 1}/{args.repeat}"))
                except DrillInterrupted as stopped:
                    journals.append(stopped.journal)
                    raise


def _run_live(target: FailoverTarget, settings: DrillSettings, label: str) -> dict[str, Any]:
    state: dict[str, Any] = {}

    def render() -> Table:
        table = Table(title=f"drill: {label}", show_header=False)
        for key in ("phase", "ok_per_s", "errors_per_s", "writer", "elapsed_s"):
            table.add_row(key.replace("_", " "), str(state.get(key, "")))
        return table

    with Live(render(), console=console, refresh_per_second=4, transient=True) as live:

        def progress(update: dict[str, Any]) -> None:
            state.update(update)
            live.update(render())

        return run_locked(target, settings, progress)  # run_drills holds every target's lock


def print_verdicts(journals: list[dict[str, Any]]) -> None:
    table = Table(title="failover drills")
    for col in ("drill", "status", "downtime", "steady after", "limit", "acked", "lost", "p99 before/during/after ms", "verdict"):
        table.add_column(col)
    for j in journals:
        v = j.get("verdict", {})
        p99 = v.get("p99_ms") or {}
        table.add_row(
            escape(str(j["title"])),
            escape(str(j["status"])) + (" (deviated)" if j.get("deviated") else ""),
            measured(v, "downtime_s", " s"),
            measured(v, "time_to_steady_s", " s") + _thaw(v),
            f"{v.get('max_downtime_s')} s",
            measured(v, "acknowledged") + _alone(v),
            measured(v, "lost"),
            "/".join(f"{p99[k]:g}" if isinstance(p99.get(k), int | float) else "unknown" for k in ("before", "during", "after")),
            "[green]PASS[/]" if v.get("passed") else f"[bold red]FAIL[/] {escape('; '.join(v.get('reasons', [])))}",
        )
    Console(width=160).print(table)
    summary = [row for row in repeats.summarise(journals) if row["runs"] > 1]
    if summary:
        stats = Table(title="repeated drills: median / p95 / max")
        for col in ("drill", "passed", *repeats.METRICS):
            stats.add_column(col)
        for row in summary:
            cells = ["-" if row[m] is None else f"{row[m]['median']:g} / {row[m]['p95']:g} / {row[m]['max']:g}" for m in repeats.METRICS]
            stats.add_row(escape(row["title"]), f"{row['passed']}/{row['runs']}", *cells)
        Console(width=200).print(stats)


def measured(verdict: dict[str, Any], metric: str, unit: str = "") -> str:
    """A verdict's number, or "unknown (why)" when it was not measured: never a 0 that nobody counted."""
    value = verdict.get(metric)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}{unit}"
    why = (verdict.get("unknown") or {}).get(metric) or "not measured"
    return f"unknown ({escape(str(why))})"


def _alone(verdict: dict[str, Any]) -> str:
    """Beside the total: the acknowledged writes no replica had confirmed, and those never asked about."""
    parts = []
    if verdict.get("acknowledged_without_replica"):
        parts.append(f"{verdict['acknowledged_without_replica']} without replica")
    if verdict.get("acknowledged_replica_not_asked"):
        parts.append(f"{verdict['acknowledged_replica_not_asked']} replica not asked")
    return f" ({', '.join(parts)})" if parts else ""


def _thaw(verdict: dict[str, Any]) -> str:
    """The thaw, beside the recovery it no longer hides: steady again how long after the fault ended."""
    if verdict.get("fault_end_s") is None or not verdict.get("steady_after_fault_end"):
        return ""
    after = verdict.get("time_to_steady_after_fault_end_s")
    return f"; after thaw {'unknown' if after is None else f'{after:g} s'}"


def dry_run(args: argparse.Namespace) -> int:
    problems = 0
    for target in targets(args):
        found = target.preconditions()
        problems += len(found)
        Console().print(
            f"{target.component} ({target.engine}): " + ("[green]ready[/]" if not found else "[red]" + "; ".join(found) + "[/]")
        )
    Console().print("dry run: nothing was injected")
    return 1 if problems else 0


def drill(args: argparse.Namespace) -> int:
    from tapguard.evidence.drills import write_drill_bundle

    journals: list[dict[str, Any]] = []
    interrupted = False
    with interrupts.sigterm_as_interrupt():  # a cancelled CI job stops the drill as Ctrl-C does
        if args.dry_run:
            return dry_run(args)
        try:
            run_drills(args, journals)
        except KeyboardInterrupt:
            interrupted = True
            console.print("[bold red]interrupted: probe stopped, target restored, nothing more injected[/]")
        if journals:
            with interrupts.held():  # the partial journal is written whole
                root = project.find_root()
                bundle = write_drill_bundle(journals, root, args.out or root / "evidence")
            console.print(f"drill evidence: {bundle.path}")
    print_verdicts(journals)
    if interrupted:
        return interrupts.INTERRUPTED_EXIT
    return 0 if journals and all(j.get("verdict", {}).get("passed") for j in journals) else 1
