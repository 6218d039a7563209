"""findings.csv: one row per finding a reviewer must see (failed, unverifiable, waived; tapguard's and checkov's).

RFC 4180 (comma, CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled) and safe to open
in a spreadsheet: every data field is capped and on one visible line (tapguard.evidence.text.field), and a cell
that a spreadsheet would read as a formula (starting, after any spaces, with = + - @ or a tab / CR) gets a leading
apostrophe, so `=HYPERLINK(...)` in a resource name stays text.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from tapguard.controls.assessment import Assessment
from tapguard.evidence import remediation
from tapguard.evidence.published import items, scanner_items
from tapguard.evidence.text import field

COLUMNS = (
    "tool",
    "environment",
    "rule",
    "title",
    "severity",
    "verdict",
    "pci_dss",
    "address",
    "attribute",
    "actual",
    "expected",
    "message",
    "file",
    "line",
    "waiver_reason",
    "waiver_owner",
    "waiver_ticket",
    "waiver_expires",
    "fingerprint",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value: Any) -> str:
    """One cell: capped, one visible line, never a formula."""
    text = field(value if isinstance(value, str) else remediation.value(value) if value is not None else "")
    return "'" + text if text.lstrip().startswith(FORMULA_START) else text  # spaces first do not stop a formula


def rows(run: Assessment, root: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items(run, root):
        f, control, waiver = item.finding, item.control, item.finding.waiver or {}
        out.append(
            {
                "tool": "tapguard",
                "environment": item.environment,
                "rule": item.control_id,
                "title": control.title if control else "",
                "severity": control.severity if control else "",
                "verdict": item.verdict,
                "pci_dss": " ".join(control.requirements) if control else "",
                "address": f.address,
                "attribute": f.attribute,
                "actual": remediation.value(f.actual),
                "expected": f.expected if isinstance(f.expected, str) else remediation.value(f.expected),
                "message": f.message,
                "file": item.file or "",
                "line": item.line if item.file else "",
                "waiver_reason": waiver.get("reason", ""),
                "waiver_owner": waiver.get("owner", ""),
                "waiver_ticket": waiver.get("ticket", ""),
                "waiver_expires": waiver.get("expires", ""),
                "fingerprint": item.fingerprint,
            }
        )
    for s in scanner_items(run, root):
        out.append(
            {
                "tool": "checkov",
                "environment": s.scope,
                "rule": s.check_id,
                "title": s.name,
                "severity": s.severity,
                "verdict": s.verdict,
                "pci_dss": " ".join(s.requirements),
                "address": s.resource,
                "message": s.message,
                "file": s.file or "",
                "line": s.line if s.file else "",
                "fingerprint": s.fingerprint,
            }
        )
    return out


def render(run: Assessment, root: Path) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL, restval="")
    writer.writeheader()
    for row in rows(run, root):
        writer.writerow({k: cell(v) if isinstance(v, str) else v for k, v in row.items()})
    return buffer.getvalue()
