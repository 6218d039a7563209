"""What `tapguard check` hands back besides the bundle: `-o` formats, the cli report, and the exit gate.

The machine formats are the evidence writers' own renderings (tapguard.evidence.*), written to stdout
or to --output-file-path; they are plain text and never depend on the terminal's width.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tapguard.controls import FAIL
from tapguard.controls.assessment import NOT_SELECTED, Assessment
from tapguard.evidence.formats import FORMATS, NAMES
from tapguard.foundation.config import Config
from tapguard.foundation.errors import TapguardError

SEVERITIES = ("low", "medium", "high", "critical")
PSEUDO_CONTROLS = ("WAIVERS", "DRILLS")  # failures that are no control's: a bad waiver, a failed drill (for --soft-fail-on)


def add_output_flags(p: argparse.ArgumentParser) -> None:
    out = p.add_argument_group("output and exit code")
    out.add_argument(
        "-o",
        "--output",
        action="append",
        choices=NAMES,
        metavar="FORMAT",
        help=f"report format, repeatable: {', '.join(NAMES)} (default: cli, or `output` in the config)",
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

    control: str  # control id, a checkov id, or one of PSEUDO_CONTROLS
    severity: str
    line: str
    fingerprint: tuple[str, str, str, str] | None = None  # what a baseline can accept (None: never, e.g. a bad waiver)


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
                fingerprint = (f.environment, f.control, f.address, f.attribute)
                found.append(Failure(f.control, control.severity if control else "high", f.describe(control), fingerprint))
    for problem in run.waivers.problems:
        control = run.catalogue.get(problem.control)
        found.append(Failure(problem.control, control.severity if control else "high", f"{problem.address}: {problem.message}"))
    for scope, g in run.checkov_gate:  # the HCL gate, a plan's unmapped failures, checkov errors
        accepted_as = (scope, str(g["check_id"]), str(g.get("resource") or ""), "") if g["status"] == "failed" else None
        found.append(Failure(g["check_id"], "high", f"checkov {scope} {g['check_id']} {g.get('resource')}", accepted_as))
    for journal in run.failed_drills:  # a drill whose verdict is not `passed: true` fails the run like a control
        found.append(Failure("DRILLS", "critical", f"drill {journal.get('title')}: the verdict did not pass"))
    return found


def gate(args: argparse.Namespace, run: Assessment, accepted: frozenset[tuple[str, str, str, str]] = frozenset()) -> tuple[int, str]:
    """Exit code and a note: 1 when a failure is hard (see --soft-fail-on/--hard-fail-on), else 0.

    `accepted`: fingerprints of a baseline (--baseline): those failures never gate."""
    known = set(run.catalogue) | set(PSEUDO_CONTROLS)
    soft = Selector.parse("--soft-fail-on", args.soft_fail_on, known)
    hard = Selector.parse("--hard-fail-on", args.hard_fail_on, known)
    everything = failures(run)
    found = [f for f in everything if f.fingerprint is None or f.fingerprint not in accepted]
    if not found:
        return 0, (f"baseline: the {len(everything)} failure(s) are all known" if everything else "")
    if args.soft_fail:
        return 0, f"soft fail: {len(found)} failure(s) do not change the exit code"
    # --hard-fail-on names what fails the run; otherwise everything does except what --soft-fail-on names
    blocking = [f for f in found if (hard.matches(f, at_least=True) if hard else not soft.matches(f, at_least=False))]
    if blocking:
        return 1, ""
    return 0, f"soft fail: none of the {len(found)} failure(s) is selected to fail the run"


def selected(args: argparse.Namespace, cfg: Config) -> list[str]:
    """The formats to write, in order, each once: `-o` as given, else the config's `output` (checked against the registry)."""
    given = getattr(args, "output", None)
    if not given:
        for name in cfg.output:
            if name not in FORMATS:
                raise TapguardError(f"{cfg.key('output')}: unknown format {name!r} (choose from {', '.join(NAMES)})")
    return list(dict.fromkeys(given or cfg.output))


def render(fmt: str, run: Assessment, root: Path, cli_text: Callable[[], str]) -> str:
    """One -o format as text: the registry's writer (the bundle's bytes), or the console report for cli."""
    return cli_text() if FORMATS[fmt].writer is None else FORMATS[fmt].render(run, root)


def emit(formats: list[str], directory: Path | None, run: Assessment, root: Path, cli_text: Callable[[], str]) -> list[Path]:
    """Write each format to `directory` (returns the files) or to stdout in the order given."""
    from tapguard.foundation import inputs

    written: list[Path] = []
    if directory is not None:
        inputs.output_directory(directory, "--output-file-path")
    for fmt in formats:
        text = render(fmt, run, root, cli_text)
        if directory is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            name = FORMATS[fmt].file_name
            written.append(inputs.write_file(directory, name, text, f"--output-file-path {directory / name}"))
    sys.stdout.flush()
    return written


def report_console(file: Any = None) -> Console:
    """A console for reports: the terminal's width on a terminal, never a wrap or a truncated path when piped."""
    probe = Console(file=file)
    if probe.is_terminal:
        return Console(file=file, width=max(probe.width, 120), emoji=False)
    return Console(file=file, width=100_000, soft_wrap=False, emoji=False)


def cli_report(
    run: Assessment,
    quiet: bool,
    footer: Sequence[str | Text],
    console: Console,
    accepted: frozenset[tuple[str, str, str, str]] = frozenset(),
) -> None:
    """The human report: the control table (unless quiet), every failure, checkov, the footer lines.

    Every data field is a `Text` (tapguard.evidence.text.console): Rich markup and emoji codes in plans,
    waivers or names are shown as written, never read. A `str` footer line is the command's own markup."""
    from tapguard.controls import FAIL as FAILED
    from tapguard.evidence import text

    def line(*parts: str | Text) -> Text:
        return Text.assemble(*parts)

    if not quiet:
        table = Table(title="PCI DSS v4.0.1 controls by requirement")
        table.add_column("requirement")
        table.add_column("control")
        for env in run.environments:
            table.add_column(text.console(env.name))
        style = {"pass": "green", "fail": "bold red", "waived": "yellow", "not_applicable": "dim"}
        for control in run.catalogue.values():
            if control.id in run.skipped:
                cells = [Text("skipped", style="dim") for _ in run.environments]
            else:
                cells = [Text(e.status_of(control.id), style=style[e.status_of(control.id)]) for e in run.environments]
            table.add_row(
                text.console(", ".join(control.requirements) or f"({control.family})"),
                text.console(f"{control.id} {control.title}"),
                *cells,
            )
        console.print(table)
    for env in run.environments:
        for f in env.findings:
            if f.status in (FAILED, "unknown") and not f.waiver:
                known = (f.environment, f.control, f.address, f.attribute) in accepted
                label = Text("KNOWN", style="yellow") if known else Text("FAIL", style="red")
                console.print(line(label, " ", text.console(text.finding(f, run.catalogue.get(f.control)))), soft_wrap=True)
    unselected = sorted(cid for cid, reason in run.skipped.items() if reason == NOT_SELECTED)
    for cid, reason in sorted(run.skipped.items()):
        if reason != NOT_SELECTED:
            console.print(line(Text("SKIPPED", style="dim"), " ", text.console(cid), f": {reason}"), soft_wrap=True)
    if unselected:
        console.print(line(Text("SKIPPED", style="dim"), f" {len(unselected)} control(s) not selected by --check"), soft_wrap=True)
    for problem in run.waivers.problems:
        console.print(
            line(Text("WAIVER", style="bold red"), " ", text.console(problem.address), ": ", text.console(problem.message)), soft_wrap=True
        )
    for env in run.environments:
        if env.coverage:
            console.print(line("coverage [", text.console(env.name), "]: ", text.console(env.coverage.line())), soft_wrap=True)
    for scan in run.checkov:
        console.print(text.console(scan.summary_line()), soft_wrap=True)
    if quiet:
        counts = run.counts()
        for name, tally in counts.items():
            tail = f": {tally['pass']} pass, {tally['fail']} fail, {tally['waived']} waived, {tally['not_applicable']} n/a"
            console.print(line(text.console(name), tail), soft_wrap=True)
    for footer_line in footer:
        console.print(footer_line, soft_wrap=True, emoji=False)
