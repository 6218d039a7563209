"""gl-sast-report.json: GitLab's security report (SAST schema 15.x) for `artifacts:reports:sast`.

GitLab tracks a SAST vulnerability by report type, location (file, start_line, end_line) and primary identifier, and
merges two that share a location and any identifier. So one vulnerability is one control (or checkov check) at one
place in the code, every environment and address it fails there listed in its description: 25 environments calling
one module make one vulnerability at the module's line, not 25 that GitLab would merge without saying which. A
finding that cannot be verified at plan has severity `Unknown` and its own primary identifier (`<id>/unverified`);
a waived finding is not a vulnerability (controls.json lists it with its waiver). Every data field goes through
tapguard.evidence.text.field (capped, one visible line); JSON escaping does the rest.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from tapguard.controls.assessment import Assessment
from tapguard.evidence import remediation
from tapguard.evidence.published import FAILED, UNVERIFIABLE, Item, ScannerItem, fingerprint, items, scanner_items
from tapguard.evidence.sarif import help_uri
from tapguard.evidence.text import field

VERSION = "15.0.4"  # a security-report-schemas release GitLab 15.0 and later validate against
SCHEMA = f"https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v{VERSION}/dist/sast-report-format.json"
MAX_NAME, MAX_SOLUTION, MAX_DESCRIPTION, MAX_IDENTIFIERS = 255, 7000, 50_000, 20
MAX_PLACES = 50  # environments/addresses listed in one vulnerability's description
NO_FILE = "(plan only: no Terraform source in this repository)"
SEVERITY = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}


def _stamp(run: Assessment, finished: bool) -> str:
    """UTC, to the second, without a zone: the pattern the schema gives (`YYYY-MM-DDTHH:MM:SS`)."""
    moment = (run.finished or run.started) if finished else run.started
    return (moment.astimezone(dt.UTC) if moment.tzinfo else moment).strftime("%Y-%m-%dT%H:%M:%S")


def _uuid(*parts: Any) -> str:
    return str(uuid.UUID(fingerprint(*parts)[:32]))


def _word(value: Any, fallback: str) -> str:
    """An identifier's value: the data as one visible line, or `fallback` when it holds nothing (GitLab refuses empty ones)."""
    return _cut(field(value), 255).strip() or fallback


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tool(version: str) -> dict[str, Any]:
    return {
        "id": "tapguard",
        "name": "tapguard",
        "version": version,
        "vendor": {"name": "tapguard"},
        "url": "https://pypi.org/project/tapguard/",
    }


def _places(lines: list[str]) -> str:
    shown = lines[:MAX_PLACES]
    more = f"\n- … {len(lines) - MAX_PLACES} more in controls.json" if len(lines) > MAX_PLACES else ""
    return "\n".join(f"- {line}" for line in shown) + more


def _control_vulnerabilities(published: list[Item], base: str | None) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str | None, int], list[Item]] = {}
    for item in published:
        if item.verdict in (FAILED, UNVERIFIABLE):
            groups.setdefault((item.control_id, item.verdict, item.file, item.line), []).append(item)
    out = []
    for (control_id, verdict, file, line), members in groups.items():
        control = members[0].control
        unverified = verdict == UNVERIFIABLE
        title = field(control.title if control else control_id)
        places = [
            f"[{field(i.environment)}] {field(i.finding.address)} {field(i.finding.attribute)}".rstrip()
            + f": {field(i.finding.message)} (actual {field(remediation.value(i.finding.actual))}, expected {field(i.finding.expected)})"
            for i in members
        ]
        risk = f"{control.risk}\n\n" if control else ""
        head = (
            "Cannot be verified at plan (unknown until apply, or needs a plan); the gate counts it until it is known.\n\n"
            if unverified
            else ""
        )
        primary = _word(control_id, "(no control id)") + ("/unverified" if unverified else "")
        identifiers: list[dict[str, Any]] = [{"type": "tapguard_control", "name": f"tapguard {primary}", "value": primary}]
        if control:
            identifiers[0]["url"] = help_uri(control.id, base)
            identifiers += [{"type": "pci_dss", "name": f"PCI DSS {r}", "value": r} for r in control.requirements]
        out.append(
            {
                "id": _uuid("tapguard", primary, file, line),
                "name": _cut(f"{field(control_id)} {title}" + (" (unverified at plan)" if unverified else ""), MAX_NAME),
                "description": _cut(f"{head}{risk}{_places(places)}", MAX_DESCRIPTION),
                "severity": "Unknown" if unverified else SEVERITY.get(control.severity if control else "", "Unknown"),
                "solution": _cut(control.remediation.strip() if control else "", MAX_SOLUTION) or "See the control's documentation.",
                "location": {"file": file or NO_FILE, "start_line": line, "end_line": line},
                "identifiers": identifiers[:MAX_IDENTIFIERS],
            }
        )
    return out


def _checkov_vulnerabilities(scanned: list[ScannerItem]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str | None, int], list[ScannerItem]] = {}
    for item in scanned:
        groups.setdefault((item.check_id, item.verdict, item.file, item.line), []).append(item)
    out = []
    for (check_id, verdict, file, line), members in groups.items():
        first = members[0]
        unverified = verdict == UNVERIFIABLE
        primary = _word(check_id, "(no check id)") + ("/unverified" if unverified else "")
        places = [f"[{field(i.scope)}] {field(i.resource)}: {field(i.message)}" for i in members]
        identifiers: list[dict[str, Any]] = [{"type": "checkov", "name": f"checkov {primary}", "value": primary}]
        controls = [_word(c, "") for c in first.controls]
        requirements = [_word(r, "") for r in first.requirements]
        identifiers += [{"type": "tapguard_control", "name": f"tapguard {c}", "value": c} for c in controls if c]
        identifiers += [{"type": "pci_dss", "name": f"PCI DSS {r}", "value": r} for r in requirements if r]
        out.append(
            {
                "id": _uuid("checkov", primary, file, line),
                "name": _cut(f"checkov {field(check_id)}: {field(first.name)}", MAX_NAME),
                "description": _cut(
                    ("Unverifiable at plan; the HCL scan of the same resource passed.\n\n" if unverified else "") + _places(places),
                    MAX_DESCRIPTION,
                ),
                "severity": "Unknown" if unverified else SEVERITY.get(first.severity, "High"),
                "location": {"file": file or NO_FILE, "start_line": line, "end_line": line},
                "identifiers": identifiers[:MAX_IDENTIFIERS],
            }
        )
    return out


def render(run: Assessment, root: Path) -> dict[str, Any]:
    import tapguard
    from tapguard.foundation import config

    base = config.load(root).sarif_help_base
    vulnerabilities = _control_vulnerabilities(items(run, root), base) + _checkov_vulnerabilities(scanner_items(run, root))
    # the scan ran to the end (its findings are the vulnerabilities); a scanner that crashed is a failed scan
    status = "failure" if any(scan.errored for scan in run.checkov) else "success"
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "scan": {
            "analyzer": _tool(tapguard.__version__),
            "scanner": _tool(tapguard.__version__),
            "type": "sast",
            "start_time": _stamp(run, finished=False),
            "end_time": _stamp(run, finished=True),
            "status": status,
        },
        "vulnerabilities": vulnerabilities,
    }
