"""`tapguard lab install|up|status|down`: the local HA lab on loopback."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from tapguard.cli.common import console
from tapguard.lab import packages


def register(sub: Any) -> None:
    p = sub.add_parser("lab", help="the local HA lab: PostgreSQL (pg_auto_failover) and Redis (Sentinel) on loopback")
    lab_sub = p.add_subparsers(dest="lab_command", required=True)
    lab_sub.add_parser("install", help="install the lab's Debian packages if missing (as root), or say what to install")
    lab_sub.add_parser("up", help="start the lab (idempotent)")
    status = lab_sub.add_parser("status", help="show the lab's roles and health")
    status.add_argument("--json", action="store_true")
    lab_sub.add_parser("down", help="stop every lab process and remove its data")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.lab_command == "install":
        installed = packages.install()
        console.print(f"lab packages: {'installed ' + ' '.join(installed) if installed else 'all present'}")
        return 0
    from tapguard.lab.lab import project_lab  # needs the database clients of tapguard[drill]

    lab = project_lab()
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
    if result["unreaped"]:
        console.print(f"lab down: exited but not yet reaped by their parent: {result['unreaped']}")
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
