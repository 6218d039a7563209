"""`tapguard lab install|up|status|down` and `tapguard drill`."""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from tapguard import project
from tapguard.drill import safety
from tapguard.drill.runner import DrillSettings, drill_lock, run_drill
from tapguard.drill.target import FailoverTarget
from tapguard.errors import TapguardError
from tapguard.lab import packages
from tapguard.lab.lab import Lab

console = Console(stderr=True, highlight=False)


def lab_for_project() -> Lab:
    return Lab(project.state_dir(project.find_root()))


# ---------------------------------------------------------------- lab
def cmd_lab(args: argparse.Namespace) -> int:
    if args.lab_command == "install":
        installed = packages.install()
        console.print(f"lab packages: {'installed ' + ' '.join(installed) if installed else 'all present'}")
        return 0
    lab = lab_for_project()
    if args.lab_command == "up":
        with console.status("starting PostgreSQL (pg_auto_failover) and Redis (3 Sentinels) on 127.0.0.1"):
            lab.up()
        _print_status(lab.status())
        return 0
    if args.lab_command == "status":
        status = lab.status()
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            _print_status(status)
        return 0 if status.get("up") else 3
    result = lab.down()
    console.print(
        f"lab down: {result['killed']} processes stopped, {'removed ' + result['removed'] if result['removed'] else 'nothing to remove'}"
    )
    return 0


def _print_status(status: dict[str, Any]) -> None:
    if not status.get("up"):
        Console().print("lab: down")
        return
    table = Table(title=f"lab ({status['directory']})")
    for col in ("component", "port", "role", "state"):
        table.add_column(col)
    pg = status["postgres"]
    table.add_row("pg monitor", str(pg["monitor"]), "monitor", "")
    for node in pg["nodes"]:
        if "error" in node:
            table.add_row("pg node", "?", "?", node["error"])
        else:
            table.add_row(f"pg {node['name']}", str(node["port"]), node["reported"], f"goal {node['goal']}, health {node['health']}")
    table.add_row("pg replication", "", "", "synchronous" if pg["synchronous"] is True else str(pg["synchronous"]))
    rd = status["redis"]
    for port in rd["ports"]:
        table.add_row("redis", str(port), "master" if port == rd["master"] else "replica", "")
    table.add_row("sentinels", ", ".join(map(str, rd["sentinels"])), "", "healthy" if rd["healthy"] is True else str(rd["healthy"]))
    Console().print(table)


# ---------------------------------------------------------------- drill
def targets_from_args(args: argparse.Namespace) -> list[FailoverTarget]:
    components = ["aurora", "redis"] if args.component == "all" else [args.component]
    if args.target == "lab":
        from tapguard.drill.lab_targets import FAULTS, LabPostgres, LabRedis

        if args.fault not in FAULTS:
            raise TapguardError(f"--fault {args.fault} is not a lab fault (choose {', '.join(FAULTS)})")
        lab = lab_for_project()
        state = lab.load()
        if state is None:
            with console.status("the lab is down: starting it"):
                state = lab.up()
        out: list[FailoverTarget] = []
        for component in components:
            if component == "aurora":
                out.append(LabPostgres(lab.postgres(state), hang_seconds=args.hang_seconds))
            else:
                out.append(LabRedis(lab.redis(state), hang_seconds=args.hang_seconds, wait_replicas=0 if args.no_wait else 1))
        return out
    return [aws_target(args, components)]


def aws_target(args: argparse.Namespace, components: list[str]) -> FailoverTarget:
    import boto3

    from tapguard.drill.aws_targets import AwsAurora, AwsElastiCache

    if len(components) != 1:
        raise TapguardError("one failover per run on AWS: choose --component aurora or --component redis")
    if args.fault not in ("failover",):
        raise TapguardError("on AWS the fault is --fault failover")
    outputs = terraform_outputs(args.env) if args.env else {}
    session = boto3.Session(region_name=args.region or outputs.get("region"))
    component = components[0]
    allow_list = safety.read_allow_list(args.allow_list)
    target: FailoverTarget
    if component == "aurora":
        cluster_id = args.cluster_id or outputs.get("aurora_cluster_id")
        if not cluster_id:
            raise TapguardError("no cluster: give --cluster-id, or --env with applied terraform state")
        rds = session.client("rds")
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        tags = {t["Key"]: t["Value"] for t in cluster.get("TagList", [])} or safety.tags_of(rds, cluster["DBClusterArn"])
        safety.check(args.env, args.confirm, component, cluster_id, cluster["DBClusterArn"], tags, allow_list)
        target = AwsAurora(
            session,
            cluster_id,
            args.secret_arn or (outputs.get("secret_arns") or {}).get("aurora_master"),
            args.target_instance,
            fis_template=args.fis_template,
        )
    else:
        group_id = args.replication_group_id or outputs.get("redis_replication_group_id")
        if not group_id:
            raise TapguardError("no replication group: give --replication-group-id, or --env with applied terraform state")
        elasticache = session.client("elasticache")
        group = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        tags = safety.tags_of(elasticache, group["ARN"])
        safety.check(args.env, args.confirm, component, group_id, group["ARN"], tags, allow_list)
        target = AwsElastiCache(session, group_id, args.auth_secret_arn or (outputs.get("secret_arns") or {}).get("redis_auth"))
    return target


def terraform_outputs(env: str) -> dict[str, Any]:
    import os
    import subprocess

    from tapguard import toolchain

    root = project.find_root()
    environment = project.select(root, [env])[0]
    tools = toolchain.discover(project.state_dir(root))
    proc = subprocess.run(
        [str(tools.binary.path), "output", "-json"],
        cwd=environment.path,
        capture_output=True,
        text=True,
        env={**os.environ, **tools.env()},
        check=False,
    )
    if proc.returncode != 0:
        raise TapguardError(f"cannot read terraform outputs of {env} (is it applied and initialised?); give the targets explicitly")
    try:
        return {k: v.get("value") for k, v in json.loads(proc.stdout or "{}").items()}
    except ValueError:
        raise TapguardError(f"terraform output -json of {env} is not JSON") from None


def settings_from_args(args: argparse.Namespace) -> DrillSettings:
    if args.rate <= 0 or args.connections <= 0 or args.max_downtime <= 0:
        raise TapguardError("--rate, --connections and --max-downtime must be positive")
    return DrillSettings(
        fault=args.fault,
        rate=args.rate / 60,
        connections=args.connections,
        steady_seconds=args.steady_seconds,
        max_downtime=args.max_downtime,
        recovery_timeout=max(90.0, args.max_downtime * 3),
    )


def run_drills(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.target == "aws" and args.repeat != 1:
        raise TapguardError("one failover per run on AWS: --repeat is for the lab")
    settings = settings_from_args(args)
    journals = []
    with drill_lock():
        for target in targets_from_args(args):
            for i in range(args.repeat):
                journals.append(_run_live(target, settings, f"{target.component} {settings.fault} {i + 1}/{args.repeat}"))
    return journals


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

        return run_drill(target, settings, progress)


def print_verdicts(journals: list[dict[str, Any]]) -> None:
    table = Table(title="failover drills")
    for col in ("drill", "status", "downtime", "limit", "acked", "lost", "p99 before/during/after ms", "detect", "promote", "verdict"):
        table.add_column(col)
    for j in journals:
        v = j.get("verdict", {})
        p99 = v.get("p99_ms") or {}
        table.add_row(
            j["title"],
            j["status"],
            f"{v.get('downtime_s')} s",
            f"{v.get('max_downtime_s')} s",
            str(v.get("acknowledged")),
            str(v.get("lost")),
            "/".join(str(p99.get(k)) for k in ("before", "during", "after")),
            f"{v.get('time_to_detect_s')} s",
            f"{v.get('time_to_promote_s')} s",
            "[green]PASS[/]" if v.get("passed") else f"[bold red]FAIL[/] {'; '.join(v.get('reasons', []))}",
        )
    Console(width=160).print(table)
    groups: dict[str, list[float]] = {}
    for j in journals:
        if j.get("verdict", {}).get("downtime_s") is not None:
            groups.setdefault(j["title"], []).append(j["verdict"]["downtime_s"])
    for title, values in groups.items():
        if len(values) > 1:
            median = statistics.median(values)
            Console().print(
                f"{title}: median downtime {median:.2f} s over {len(values)} runs (min {min(values):.2f}, max {max(values):.2f})"
            )


def cmd_dry_run(args: argparse.Namespace) -> int:
    problems = 0
    for target in targets_from_args(args):
        found = target.preconditions()
        problems += len(found)
        Console().print(
            f"{target.component} ({target.engine}): " + ("[green]ready[/]" if not found else "[red]" + "; ".join(found) + "[/]")
        )
    Console().print("dry run: nothing was injected")
    return 1 if problems else 0


def cmd_drill(args: argparse.Namespace) -> int:
    from tapguard.evidence.drill_bundle import write_drill_bundle

    if args.dry_run:
        return cmd_dry_run(args)

    journals: list[dict[str, Any]] = []
    try:
        journals = run_drills(args)
    except KeyboardInterrupt:
        console.print("[bold red]interrupted: probe stopped and target restored[/]")
        raise
    finally:
        if journals:
            root = project.find_root()
            bundle = write_drill_bundle(journals, root, args.out or root / "evidence")
            console.print(f"drill evidence: {bundle.path}")
    print_verdicts(journals)
    return 0 if journals and all(j.get("verdict", {}).get("passed") for j in journals) else 1


def add_drill_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", choices=("lab", "aws"), default="lab", help="the local lab (default) or AWS")
    p.add_argument("--env", help="environment whose terraform outputs name the targets (AWS)")
    p.add_argument("--component", choices=("aurora", "redis", "all"), default="all")
    p.add_argument("--fault", default=None, help="lab: kill (default), hang, switchover; aws: failover")
    p.add_argument("--rate", type=float, default=100_000, help="writes per minute (default 100,000)")
    p.add_argument("--connections", type=int, default=8, help="probe connections (default 8)")
    p.add_argument("--max-downtime", type=float, default=30.0, help="seconds of write downtime allowed (default 30)")
    p.add_argument("--hang-seconds", type=float, default=10.0, help="how long the hang fault freezes the writer")
    p.add_argument("--steady-seconds", type=float, default=5.0, help="steady-state window before the fault")
    p.add_argument("--repeat", type=int, default=1, help="lab only: run each drill N times (medians)")
    p.add_argument("--no-wait", action="store_true", help="lab Redis: count writes acknowledged by the primary alone (no WAIT)")
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


def register(sub: Any) -> None:
    p = sub.add_parser("lab", help="the local HA lab: PostgreSQL (pg_auto_failover) and Redis (Sentinel) on loopback")
    lab_sub = p.add_subparsers(dest="lab_command", required=True)
    lab_sub.add_parser("install", help="install the lab's Debian packages if missing (as root), or say what to install")
    lab_sub.add_parser("up", help="start the lab (idempotent)")
    status = lab_sub.add_parser("status", help="show the lab's roles and health")
    status.add_argument("--json", action="store_true")
    lab_sub.add_parser("down", help="stop every lab process and remove its data")
    p.set_defaults(func=cmd_lab)

    p = sub.add_parser("drill", help="force a failover under load, time it, prove no acknowledged write was lost")
    add_drill_arguments(p)
    p.set_defaults(func=_drill_entry)


def _drill_entry(args: argparse.Namespace) -> int:
    if args.fault is None:
        args.fault = "failover" if args.target == "aws" else "kill"
    if args.repeat < 1:
        raise TapguardError("--repeat must be at least 1")
    return cmd_drill(args)
