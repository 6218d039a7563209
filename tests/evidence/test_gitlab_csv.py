"""`-o gitlab` (GitLab's SAST security report, schema 15.x) and `-o csv` (RFC 4180, never a formula).

GITLAB_SAST is written here from GitLab's documented required fields of a SAST report (security-report-schemas
15.x as GitLab's "Security scanner integration" page describes it): version; scan with analyzer and scanner (id,
name, version, vendor.name), type `sast`, start/end time `YYYY-MM-DDTHH:MM:SS`, status; vulnerabilities with id,
name (<= 255), description, severity (Info..Critical, Unknown), location (file, start_line, end_line: the location
fingerprint) and 1..20 identifiers (type, name, value)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tapguard.controls import FAIL, Finding
from tapguard.evidence import csv_report, formats, gitlab
from tests.evidence.scratch import CLUSTER, Scratch, scratch

_TOOL = {
    "type": "object",
    "required": ["id", "name", "version", "vendor"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "pattern": "^[^\\s]+$"},
        "name": {"type": "string", "minLength": 1},
        "version": {"type": "string", "minLength": 1},
        "vendor": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}},
        "url": {"type": "string", "pattern": "^https?://"},
    },
}
_TIME = {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$"}
GITLAB_SAST: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "scan", "vulnerabilities"],
    "properties": {
        "version": {"type": "string", "pattern": "^15\\.\\d+\\.\\d+$"},
        "scan": {
            "type": "object",
            "required": ["analyzer", "scanner", "type", "start_time", "end_time", "status"],
            "properties": {
                "analyzer": _TOOL,
                "scanner": _TOOL,
                "type": {"const": "sast"},
                "start_time": _TIME,
                "end_time": _TIME,
                "status": {"enum": ["success", "failure"]},
            },
        },
        "vulnerabilities": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "description", "severity", "location", "identifiers"],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "description": {"type": "string", "maxLength": 1048576},
                    "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                    "solution": {"type": "string", "maxLength": 7000},
                    "location": {
                        "type": "object",
                        "required": ["file", "start_line", "end_line"],
                        "properties": {
                            "file": {"type": "string", "minLength": 1},
                            "start_line": {"type": "integer", "minimum": 1},
                            "end_line": {"type": "integer", "minimum": 1},
                        },
                    },
                    "identifiers": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 20,
                        "items": {
                            "type": "object",
                            "required": ["type", "name", "value"],
                            "properties": {
                                "type": {"type": "string", "minLength": 1},
                                "name": {"type": "string", "minLength": 1},
                                "value": {"type": "string", "minLength": 1},
                                "url": {"type": "string", "pattern": "^https?://"},
                            },
                        },
                    },
                },
            },
        },
    },
}
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def gitlab_valid(text: str) -> dict[str, Any]:
    data = json.loads(text)
    jsonschema.Draft202012Validator(GITLAB_SAST).validate(data)
    ids = [v["id"] for v in data["vulnerabilities"]]
    assert len(ids) == len(set(ids)), "two vulnerabilities share an id"
    return data


def csv_safe(text: str) -> list[dict[str, str]]:
    """RFC 4180 (CRLF records, a header) and no cell a spreadsheet would evaluate."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    table = list(csv.DictReader(io.StringIO(text, newline="")))
    for row in table:
        assert None not in row and len(row) == len(csv_report.COLUMNS)
        for value in row.values():
            assert not value.lstrip().startswith(FORMULA) or value.startswith("'"), value
    return table


@pytest.fixture
def repo(tmp_path: Path) -> Scratch:
    return scratch(tmp_path, environments=25)


def test_gitlab_report_is_valid_and_one_vulnerability_per_place(repo: Scratch) -> None:
    data = gitlab_valid(formats.FORMATS["gitlab"].render(repo.run, repo.root))
    by_name = {v["identifiers"][0]["value"]: v for v in data["vulnerabilities"]}
    assert set(by_name) == {"E1", "E8", "E1/unverified", "L1", "CKV_AWS_96", "CKV_AWS_158/unverified"} | set(), sorted(by_name)
    e1 = by_name["E1"]
    assert e1["location"] == {"file": "infra/modules/db/main.tf", "start_line": 1, "end_line": 1}
    assert e1["severity"] == "Critical" and e1["description"].count(CLUSTER) == 25, "every environment it fails in, listed"
    assert by_name["E1/unverified"]["severity"] == "Unknown"
    assert (
        e1["identifiers"][0]["url"].endswith("#control-e1")
        and {"type": "pci_dss", "name": "PCI DSS 3.5.1", "value": "3.5.1"} in e1["identifiers"]
    )
    assert len([v for v in data["vulnerabilities"] if v["identifiers"][0]["value"] == "L1"]) == 25, "one per environment's main.tf"
    assert "N1" not in by_name, "a waived finding is not a vulnerability"
    assert data["scan"]["start_time"] == "2026-01-01T00:00:00" and data["scan"]["end_time"] == "2026-01-01T00:00:03"


def test_csv_has_one_row_per_finding_with_its_waiver(repo: Scratch) -> None:
    table = csv_safe(formats.FORMATS["csv"].render(repo.run, repo.root))
    tapguard = [r for r in table if r["tool"] == "tapguard"]
    assert len(tapguard) == 25 * 5, "E1 (duplicate merged), E8, E1 unverifiable, L1, N1 waived per environment"
    waived = [r for r in tapguard if r["verdict"] == "waived"]
    assert len(waived) == 25 and {r["waiver_reason"] for r in waived} == {"r"}
    assert {r["file"] for r in tapguard if r["rule"] == "E1" and r["verdict"] == "fail"} == {"infra/modules/db/main.tf"}
    assert len({r["fingerprint"] for r in tapguard}) == len(tapguard)
    assert {r["rule"] for r in table if r["tool"] == "checkov"} == {"CKV_AWS_96", "CKV_AWS_158"}


def test_both_formats_are_registered_for_every_way_out() -> None:
    assert formats.FORMATS["gitlab"].file_name == "gl-sast-report.json" and formats.FORMATS["csv"].media_type == "text/csv"
    assert {"gitlab", "csv"} <= {f.name for f in formats.BUNDLED} and {"gitlab", "csv"} <= set(formats.NAMES)


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("https://evil.example","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "  =1",
        "\u00a0=cmd|' /C calc'!A0",
        "a,b",
        'q"uote',
    ],
)
def test_a_formula_in_any_field_stays_text(repo: Scratch, value: str) -> None:
    env = repo.run.environments[0]
    env.findings.append(Finding("E2", env.name, value, value, FAIL, value, value, value, waiver=None))
    env.findings.append(
        Finding("E3", env.name, value, value, FAIL, None, "x", "m", waiver={"reason": value, "owner": value, "ticket": value})
    )
    table = csv_safe(csv_report.render(repo.run, repo.root))
    mine = [r for r in table if r["rule"] in ("E2", "E3") and r["environment"] == env.name]
    assert len(mine) == 2
    assert all(r["address"].lstrip("'").replace("\\t", "\t").replace("\\r", "\r") == value for r in mine)


hostile = st.text(st.characters(exclude_categories=()), max_size=40) | st.sampled_from(
    ["=1+1", "+A1", "-1", "@x", "\t=", "\r\n=", '"},{"id":"x', "\ud800", "\x00", "\u2028"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=hostile)
def test_any_text_keeps_csv_safe_and_gitlab_valid(tmp_path_factory: pytest.TempPathFactory, value: str) -> None:
    repo = scratch(tmp_path_factory.mktemp("h"), environments=1)
    env = repo.run.environments[0]
    env.name = value or "x"
    for n, f in enumerate(env.findings):
        env.findings[n] = Finding(
            f.control, env.name, value + f.address, value, f.status, value, value, value, waiver=f.waiver and {"reason": value}
        )
    repo.run.checkov[0].failed[0]["resource"] = value
    repo.run.checkov[0].failed[0]["check_id"] = value or "CKV"
    csv_safe(csv_report.render(repo.run, repo.root))
    data = gitlab_valid(json.dumps(gitlab.render(repo.run, repo.root)))
    assert json.loads(json.dumps(data)) == data
