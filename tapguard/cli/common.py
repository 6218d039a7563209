"""What several commands share: the consoles, the AWS mode flags, planning the selected environments."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from tapguard.planning import localaws, project, toolchain
from tapguard.planning.runner import PlanResult, PlanRunner

console = Console(stderr=True, highlight=False)


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


def display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
