"""What `tapguard check` hands back besides the bundle: `-o` formats, the cli report, and the exit gate.

The machine formats are the evidence writers' own renderings (tapguard.evidence.*), written to stdout
or to --output-file-path; they are plain text and never depend on the terminal's width.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tapguard.controls import FAIL
from tapguard.controls.assessment import Assessment
from tapguard.errors import TapguardError
from tapguard.planning.config import OUTPUT_FORMATS

SEVERITIES = ("low", "medium", "high", "critical")
FILE_NAMES = {
    "cli": "tapguard_cli.txt",
    "json": "controls.json",
    "sarif": "results.sarif",
    "junit": "junit.xml",
    "md": "report.md",
    "html": "report.html",
}


def add_output_flags(p: argparse.ArgumentParser) -> None:
    out = p.add_argument_group("output and exit code")
    out.add_argument(
        "-o",
        "--output",
        action="append",
        choices=OUTPUT_FORMATS,
        metavar="FORMAT",
        help=f"report format, repeatable: {', '.join(OUTPUT_FORMATS)} (default: cli, or `output` in the config)",
    )
    out.add_argument("--output-file-path", type=Path, metavar="DIR", help="write each -o format to a file in DIR instead of stdout")
    out.add_argument("--soft-fail", action="store_true", help="exit 0 even when controls fail (the verdict is still printed)")
    out.add_argument(
        "--soft-fail-on",
        action="append",
        default=[],
        metavar="ID|SEVERITY",
        help="failures of these controls (ids, globs, checkov ids) or severities (and lower) do not fail the run; comma-separated",
    )
    out.add_argument(
        "--hard-fail-on",
        action="append",
        default=[],
        metavar="ID|SEVERITY",
        help="only failures of these controls or severities (and higher) fail the run; comma-separated, repeatable",
    )
    out.add_argument("-q", "--quiet", "--compact", dest="quiet", action="store_true", help="failures and a summary only (no table)")


@dataclass(frozen=True)
class Failure:
    """One reason the verdict is FAIL: a control failing in an environment, a bad waiver, a checkov gate failure."""

    control: str  # control id, WAIVERS, or a checkov id
    severity: str
    line: str


@dataclass(frozen=True)
class Selector:
    controls: tuple[str, ...]
    severity: str | None  # the threshold given, if any

    @classmethod
    def parse(cls, flag: str, values: list[str], known: set[str]) -> Selector:
        controls: list[str] = []
        severity: str | None = None
        for raw in values:
            for item in (v.strip() for v in raw.split(",")):
                if not item:
                    raise TapguardError(f"{flag}: empty entry in {raw!r}")
                if item.lower() in SEVERITIES:
                    severity = item.lower()
                elif item in known or item.startswith("CKV") or any(fnmatch.fnmatchcase(k, item) for k in known):
                    controls.append(item)
                else:
                    raise TapguardError(f"{flag} {item}: not a control id, checkov id or severity ({', '.join(SEVERITIES)})")
        return cls(tuple(controls), severity)

    def __bool__(self) -> bool:
        return bool(self.controls) or self.severity is not None

    def matches(self, failure: Failure, at_least: bool) -> bool:
        if any(fnmatch.fnmatchcase(failure.control, c) for c in self.controls):
            return True
        if self.severity is None or failure.severity not in SEVERITIES:
            return False
        rank, threshold = SEVERITIES.index(failure.severity), SEVERITIES.index(self.severity)
        return rank >= threshold if at_least else rank <= threshold


def failures(run: Assessment) -> list[Failure]:
    found: list[Failure] = []
    for env in run.environments:
        for f in env.findings:
            if f.status in (FAIL, "unknown") and not f.waiver:
                control = run.catalogue.get(f.control)
                found.append(Failure(f.control, control.severity if control else "high", f.describe(control)))
    for problem in run.waivers.problems:
        control = run.catalogue.get(problem.control)
        found.append(Failure(problem.control, control.severity if control else "high", f"{problem.address}: {problem.message}"))
    for scan in run.checkov:
        if scan.scope == "hcl":
            for g in scan.gate_failures:
                found.append(Failure(g["check_id"], "high", f"checkov {g['check_id']} {g.get('resource')}"))
    return found


def gate(args: argparse.Namespace, run: Assessment) -> tuple[int, str]:
    """Exit code and a note: 1 when a failure is hard (see --soft-fail-on/--hard-fail-on), else 0."""
    known = set(run.catalogue) | {"WAIVERS"}
    soft = Selector.parse("--soft-fail-on", args.soft_fail_on, known)
    hard = Selector.parse("--hard-fail-on", args.hard_fail_on, known)
    found = failures(run)
    if not found:
        return 0, ""
    if args.soft_fail:
        return 0, f"soft fail: {len(found)} failure(s) do not change the exit code"
    # --hard-fail-on names what fails the run; otherwise everything does except what --soft-fail-on names
    blocking = [f for f in found if (hard.matches(f, at_least=True) if hard else not soft.matches(f, at_least=False))]
    if blocking:
        return 1, ""
    return 0, f"soft fail: none of the {len(found)} failure(s) is selected to fail the run"


def render(fmt: str, run: Assessment, root: Path, cli_text: Callable[[], str]) -> str:
    """One -o format as text, from the evidence writers."""
    from tapguard.evidence import controls_json, html, junit, markdown, sarif

    if fmt == "cli":
        return cli_text()
    if fmt == "json":
        return json.dumps(controls_json.render(run), indent=2, default=str) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif.render(run, root), indent=2, default=str) + "\n"
    if fmt == "junit":
        return junit.render(run)
    if fmt == "md":
        return markdown.render(run, run.drills)
    return html.render(run, run.drills)


def emit(formats: list[str], directory: Path | None, run: Assessment, root: Path, cli_text: Callable[[], str]) -> list[Path]:
    """Write each format to `directory` (returns the files) or to stdout in the order given."""
    from tapguard import inputs

    written: list[Path] = []
    if directory is not None:
        inputs.output_directory(directory, "--output-file-path")
    for fmt in formats:
        text = render(fmt, run, root, cli_text)
        if directory is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            target = directory / FILE_NAMES[fmt]
            target.write_text(text, encoding="utf-8")
            written.append(target)
    sys.stdout.flush()
    return written


def report_console(file: Any = None) -> Console:
    """A console for reports: the terminal's width on a terminal, never a wrap or a truncated path when piped."""
    probe = Console(file=file)
    if probe.is_terminal:
        return Console(file=file, width=max(probe.width, 120))
    return Console(file=file, width=100_000, soft_wrap=False)


def cli_report(run: Assessment, quiet: bool, footer: list[str], console: Console) -> None:
    """The human report: the control table (unless quiet), every failure, checkov, the footer lines."""
    from tapguard.controls import FAIL as FAILED

    if not quiet:
        table = Table(title="PCI DSS v4.0.1 controls by requirement")
        table.add_column("requirement")
        table.add_column("control")
        for env in run.environments:
            table.add_column(env.name)
        style = {"pass": "green", "fail": "bold red", "waived": "yellow", "not_applicable": "dim"}
        for control in run.catalogue.values():
            cells = [f"[{style[e.status_of(control.id)]}]{e.status_of(control.id)}[/]" for e in run.environments]
            table.add_row(", ".join(control.requirements) or f"({control.family})", f"{control.id} {control.title}", *cells)
        console.print(table)
    for env in run.environments:
        for f in env.findings:
            if f.status in (FAILED, "unknown") and not f.waiver:
                console.print(f"[red]FAIL[/] {f.describe(run.catalogue.get(f.control))}", soft_wrap=True)
    for problem in run.waivers.problems:
        console.print(f"[bold red]WAIVER[/] {problem.address}: {problem.message}", soft_wrap=True)
    for env in run.environments:
        if env.coverage:
            console.print(f"coverage \\[{env.name}]: {env.coverage.line()}", soft_wrap=True)
    for scan in run.checkov:
        console.print(scan.summary_line(), soft_wrap=True, markup=False)  # plain text: "tapguard[scan]" is not markup
    if quiet:
        counts = run.counts()
        for name, tally in counts.items():
            console.print(f"{name}: {tally['pass']} pass, {tally['fail']} fail, {tally['waived']} waived, {tally['not_applicable']} n/a")
    for line in footer:
        console.print(line, soft_wrap=True)
