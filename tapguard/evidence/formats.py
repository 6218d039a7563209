"""The output formats, registered once: name -> writer, file name, media type.

The config's `output` key, `-o`, `--output-file-path` and the bundle all go through this table, so a
format printed to stdout and the same format in the bundle are the same bytes. `cli` is the console
report: the command renders it (it depends on the terminal), and it is never part of a bundle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tapguard.controls.assessment import Assessment
from tapguard.evidence.bundle import dump_json

COMPACT_ABOVE = 20_000  # findings: past this, controls.json is written without indentation (it is read by programs then)


def _controls_json(run: Assessment, root: Path) -> str:
    from tapguard.evidence import controls_json

    findings = sum(len(e.findings) for e in run.environments)
    return dump_json(controls_json.render(run), compact=findings > COMPACT_ABOVE)


def _sarif(run: Assessment, root: Path) -> str:
    from tapguard.evidence import sarif

    return dump_json(sarif.render(run, root))


def _gitlab(run: Assessment, root: Path) -> str:
    from tapguard.evidence import gitlab

    return dump_json(gitlab.render(run, root))


def _csv(run: Assessment, root: Path) -> str:
    from tapguard.evidence import csv_report

    return csv_report.render(run, root)


def _junit(run: Assessment, root: Path) -> str:
    from tapguard.evidence import junit

    return junit.render(run, root)


def _markdown(run: Assessment, root: Path) -> str:
    from tapguard.evidence import markdown

    return markdown.render(run, run.drills)


def _html(run: Assessment, root: Path) -> str:
    from tapguard.evidence import html

    return html.render(run, run.drills)


@dataclass(frozen=True)
class OutputFormat:
    name: str
    file_name: str
    media_type: str
    writer: Callable[[Assessment, Path], str] | None  # None: the console report, which the command renders

    @property
    def in_bundle(self) -> bool:
        return self.writer is not None

    def render(self, run: Assessment, root: Path) -> str:
        if self.writer is None:
            raise ValueError(f"{self.name} is rendered by the command, not from an assessment alone")
        text = self.writer(run, root)
        return text if text.endswith("\n") else text + "\n"  # a file ends with a newline, on stdout as in the bundle


FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("cli", "tapguard_cli.txt", "text/plain", None),
        OutputFormat("json", "controls.json", "application/json", _controls_json),
        OutputFormat("sarif", "results.sarif", "application/sarif+json", _sarif),
        OutputFormat("junit", "junit.xml", "application/xml", _junit),
        OutputFormat("md", "report.md", "text/markdown", _markdown),
        OutputFormat("html", "report.html", "text/html", _html),
        OutputFormat("gitlab", "gl-sast-report.json", "application/json", _gitlab),
        OutputFormat("csv", "findings.csv", "text/csv", _csv),
    )
}
NAMES: tuple[str, ...] = tuple(FORMATS)
BUNDLED: tuple[OutputFormat, ...] = tuple(f for f in FORMATS.values() if f.in_bundle)
