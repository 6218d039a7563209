"""What several commands share: the consoles, the AWS mode flags, planning the selected environments."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tapguard.planning import localaws, project, toolchain
from tapguard.planning.runner import PlanResult, PlanRunner

console = Console(stderr=True, highlight=False, soft_wrap=True)  # a line is never broken: logs are read by programs too


def banner(mode: str, cached: bool = False) -> None:
    """Which AWS the plans were made against: said on every run, also when they come from cache."""
    source = "plans from cache, made with " if cached else ""
    if mode == "local":
        console.print(f"[bold cyan]AWS: {source}embedded local endpoint (moto), offline; existing secrets are seeded[/]", soft_wrap=True)
    else:
        console.print(f"[bold yellow]AWS: {source}REAL account from your credentials (plan only, nothing is applied)[/]", soft_wrap=True)


@contextmanager
def aws_session(mode: str, envs: Sequence[project.Environment]) -> Iterator[tuple[dict[str, str], list[str]]]:
    """The AWS environment for a run: the embedded endpoint (started, seeded, stopped) or the real account."""
    banner(mode)
    if mode == "local":
        with localaws.running(envs) as endpoint:
            yield endpoint.env(), endpoint.secret_strings()
    else:
        yield {}, []


@contextmanager
def step(label: str) -> Iterator[None]:
    """A long step: a spinner with elapsed time on a terminal, one line with its duration otherwise."""
    started = time.monotonic()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as progress:
        progress.add_task(label, total=None)
        yield
    if not console.is_terminal:
        console.print(f"{label}: {time.monotonic() - started:.1f} s")


def plan_environments(
    args: argparse.Namespace, envs: list[project.Environment], planned: Callable[[PlanResult], None] | None = None
) -> tuple[list[PlanResult], list[str]]:
    """Plan each environment; returns the results and the seeded secret values (for leak guards).

    `planned` is called with each result as soon as that environment's plan is written.
    """
    if not envs:
        return [], []
    root = project.find_root()
    state = project.state_dir(root)
    tools = toolchain.discover(state)
    mode = localaws.choose_mode(args.local, args.aws)
    runner = PlanRunner(tools, state, {}, mode, use_cache=not args.no_cache, var_files=tuple(getattr(args, "var_files", ())))
    if all(runner.cached(e) for e in envs):
        banner(mode, cached=True)
        results = [runner.plan(e) for e in envs]  # unchanged: no AWS endpoint needed
        for result in results:
            if planned is not None:
                planned(result)
        return results, []
    with aws_session(mode, envs) as (aws_env, secrets):
        runner.aws_env, runner.secrets = aws_env, list(secrets)
        progress = Progress(
            SpinnerColumn(),
            TextColumn("planning {task.description}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[state]}"),
            console=console,
        )
        tasks = {e.name: progress.add_task(e.name, total=1, state=f"{tools.binary.flavour} {tools.binary.version}") for e in envs}

        def plan_one(env: project.Environment) -> PlanResult:
            progress.start_task(tasks[env.name])
            result = runner.plan(env)
            progress.update(tasks[env.name], completed=1, state="cached" if result.cached else f"done in {result.seconds:.1f} s")
            progress.stop_task(tasks[env.name])
            if planned is not None:
                planned(result)
            return result

        with progress, ThreadPoolExecutor(max_workers=min(2, len(envs))) as pool:
            results = list(pool.map(plan_one, envs))
    return results, secrets


def add_aws_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--local", action="store_true", help="use the embedded AWS endpoint (default without credentials)")
    group.add_argument("--aws", action="store_true", help="use the real AWS account of your credentials")
    parser.add_argument("--no-cache", action="store_true", help="plan (and scan with checkov) again even if nothing changed")


def display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
