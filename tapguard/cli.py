"""`tapguard doctor|plan|check|evidence|lab|drill`: one line per error, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

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


def plan_environments(args: argparse.Namespace, envs: list[project.Environment]) -> list[PlanResult]:
    root = project.find_root()
    state = project.state_dir(root)
    tools = toolchain.discover(state)
    mode = localaws.choose_mode(args.local, args.aws)
    with aws_session(mode, envs) as (aws_env, secrets):
        runner = PlanRunner(tools, state, aws_env, mode, use_cache=not args.no_cache, secrets=secrets)
        with console.status(f"planning {', '.join(e.name for e in envs)} with {tools.binary.flavour} {tools.binary.version}"):
            with ThreadPoolExecutor(max_workers=min(2, len(envs))) as pool:
                results = list(pool.map(runner.plan, envs))
    return results


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
    table.add_row("AWS mode", "real account (credentials found)" if localaws.aws_credentials_configured() else "embedded local endpoint (no credentials)")
    table.add_row("environments", ", ".join(f"{e.name} ({e.region})" for e in project.environments(root)))
    Console().print(table)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    root = project.find_root()
    envs = project.select(root, args.environments)
    results = plan_environments(args, envs)
    if args.json:
        print(json.dumps([{"environment": r.environment, "plan_json": str(r.json_path), "seconds": round(r.seconds, 2), "cached": r.cached, **r.summary} for r in results], indent=2))
        return 0
    table = Table(title="plans")
    for col in ("environment", "add", "change", "replace", "destroy", "time", "plan JSON"):
        table.add_column(col, justify="right" if col in ("add", "change", "replace", "destroy", "time") else "left")
    for r in results:
        s = r.summary
        table.add_row(r.environment, str(s["add"]), str(s["change"]), str(s["replace"]), str(s["destroy"]), f"{r.seconds:.1f}s{' (cached)' if r.cached else ''}", _display(r.json_path, root))
    Console().print(table)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for r in results:
            (out / f"{r.environment}.plan.json").write_bytes(r.json_path.read_bytes())
    return 0


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
    add_aws_flags(p)
    p.set_defaults(func=cmd_plan)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Other command groups (check, evidence, lab, drill) register themselves here.
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    _load_command_groups()
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


def _load_command_groups() -> None:
    import importlib

    for name in ("tapguard.commands_check", "tapguard.commands_drill"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


if __name__ == "__main__":
    sys.exit(main())
