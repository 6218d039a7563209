"""junit.xml pinned down where mutation testing found it loose: the whole document of a small run, and its helpers.

A two-control catalogue of its own (tests/evidence/test_markdown_mutants.py) over three environments (failing with a
--skip-check, passing, waived), two checkov items (a failure, one unverifiable at plan) and three drills (failed with
reasons, passed, failed without any); the hostname is fixed. The expected document was reviewed line by line.
"""

from __future__ import annotations

import datetime as dt
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tapguard.controls import FAIL, NOT_APPLICABLE, Finding
from tapguard.controls.checkov import CheckovResult
from tapguard.evidence import junit
from tests.evidence.test_markdown_mutants import checkov_item, env, failing, passing, run

DRILLS = [
    {
        "title": "aurora failover",
        "experiment": {"component": "aurora", "fault": "kill"},
        "start": "2026-01-01T00:00:00+00:00",
        "end": "2026-01-01T00:00:12.5+00:00",
        "verdict": {
            "passed": False,
            "reasons": ["too slow", "lost 2"],
            "downtime_s": 40,
            "max_downtime_s": 30,
            "lost": 2,
            "acknowledged": 100,
            "acknowledged_without_replica": 1,
        },
    },
    {"title": "redis kill", "start": "2026-01-01T00:01:00+00:00", "end": "2026-01-01T00:01:02+00:00", "verdict": {"passed": True}},
    {"verdict": {"passed": False}},
]


@pytest.fixture(autouse=True)
def host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "ci-host")


def test_the_whole_document_of_a_small_run() -> None:
    waiver = {"reason": "r", "expires": "2027-01-01"}
    waived = env("stage", [Finding("Z1", "stage", "aws_s3_bucket.w", "kms", FAIL, None, "x", "w", waiver=waiver)])
    unverifiable = checkov_item(2, file=None, status="unverifiable_at_plan", check_name="Name 2")
    scans = [CheckovResult("hcl", True, failed=[checkov_item(1, requirements=["3.5.1", 4], message="msg <1>"), unverifiable])]
    finished = dt.datetime(2026, 1, 2, 3, 4, 7, 250000, tzinfo=dt.UTC)
    made = run([failing(), passing(), waived], checkov=scans, drills=DRILLS, skipped={"Z2": "--skip-check Z2"}, finished=finished)
    assert junit.render(made) == EXPECTED.read_text()


def test_a_control_that_applies_nowhere_is_skipped_as_not_applicable_and_no_finish_means_no_time() -> None:
    text = junit.render(run([failing()]))
    assert '<skipped message="not applicable to this stack" />' in text
    assert '<testsuites name="tapguard compliance" tests="2" failures="1" errors="0">' in text
    assert "checkov" not in text and "drills" not in text


def test_the_run_time_is_never_negative_and_a_drill_without_start_has_no_suite_timestamp() -> None:
    made = run([passing()], finished=dt.datetime(2026, 1, 2, 3, 3, tzinfo=dt.UTC), drills=[{"verdict": {"passed": True}, "title": "t"}])
    root = ET.fromstring(junit.render(made))
    assert root.get("time") == "0.000"
    drills = root.find("testsuite[@name='drills']")
    assert drills is not None and drills.get("timestamp") is None and drills.get("time") is None


def test_control_characters_never_reach_the_xml() -> None:
    made = run([passing()], drills=[{"title": "a\x0bb\x00c", "verdict": {"passed": False, "reasons": "one\x1b reason"}}])
    text = junit.render(made)
    assert not any(ch in text for ch in "\x0b\x00\x1b")
    ET.fromstring(text)


def test_seconds_parse_and_duration() -> None:
    assert (junit._seconds(1.23456), junit._seconds(-2.0), junit._seconds(0.0)) == ("1.235", "0.000", "0.000")
    assert junit._parse("2026-01-01T00:00:00+00:00") == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert junit._parse("yesterday") is None and junit._parse(None) is None
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert junit._duration(start, start + dt.timedelta(seconds=3)) == 3.0
    assert junit._duration(start, start) == 0.0
    assert junit._duration(start + dt.timedelta(seconds=1), start) is None
    assert junit._duration(start, start.replace(tzinfo=None)) is None
    assert junit._duration(None, start) is None and junit._duration(start, None) is None


@pytest.mark.parametrize(
    ("drill", "expected"),
    [
        ({"experiment": {"component": " pg ", "fault": " kill ", "target": {"engine": "x"}}, "title": "t"}, ("pg", "kill")),
        ({"component": "redis", "fault": "freeze", "title": "ignored"}, ("redis", "freeze")),
        ({"experiment": {"target": {"engine": "valkey"}}, "title": "valkey stop -9"}, ("valkey", "stop -9")),
        ({"experiment": "not a dict", "title": "pg failover"}, ("pg", "pg failover")),
        ({"experiment": {"target": "not a dict"}, "title": "  "}, ("drill-4", "run-4")),
        ({"component": 5, "fault": ["x"]}, ("drill-4", "run-4")),
    ],
)
def test_identity_of_a_drill(drill: dict[str, object], expected: tuple[str, str]) -> None:
    assert junit.identity(drill, 4) == expected


def test_uri_is_relative_to_the_repository_else_the_project_else_as_given(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra" / "env").mkdir(parents=True)
    main = repo / "infra" / "env" / "main.tf"
    main.write_text("")
    assert junit._uri(main, repo / "infra") == "infra/env/main.tf"
    bare = tmp_path / "bare"
    (bare / "env").mkdir(parents=True)
    (bare / "env" / "main.tf").write_text("")
    assert junit._uri(bare / "env" / "main.tf", bare) == "env/main.tf"
    assert junit._uri(Path("/elsewhere/main.tf"), bare) == "/elsewhere/main.tf"
    assert junit._uri(Path("rel/main.tf"), None) == "rel/main.tf"


EXPECTED = Path(__file__).with_name("junit_mutants_expected.xml")


def test_counts_add_up_per_suite_and_every_waiver_and_reason_is_listed() -> None:
    both = env("both", [Finding(c, "both", "a", "x", FAIL, 1, 2, "bad") for c in ("Z1", "Z2")])
    none = env("none", [Finding(c, "none", "(n/a)", "", NOT_APPLICABLE, None, None, "n/a") for c in ("Z1", "Z2")])
    waiver = {"reason": "r", "expires": "2027-01-01"}
    waived = env("waived", [Finding("Z1", "waived", a, "x", FAIL, 1, 2, "w", waiver=waiver) for a in ("a", "b")])
    items = [
        checkov_item(1),
        checkov_item(2),
        checkov_item(3, status="unverifiable_at_plan"),
        checkov_item(4, status="unverifiable_at_plan"),
    ]
    items.append(checkov_item(5, lines=None))
    made = run(
        [both, none, waived],
        checkov=[CheckovResult("hcl", True, failed=items)],
        drills=[{"verdict": {"passed": False, "reasons": "too slow"}}],
    )
    root = ET.fromstring(junit.render(made))
    counts = {s.get("name"): (s.get("tests"), s.get("failures"), s.get("skipped")) for s in root.findall("testsuite")}
    assert counts == {
        "pci-dss::both": ("2", "2", "0"),
        "pci-dss::none": ("2", "0", "2"),
        "pci-dss::waived": ("2", "0", "0"),
        "checkov": ("5", "3", "2"),
        "drills": ("1", "1", None),
    }
    assert (root.get("tests"), root.get("failures")) == ("12", "6")
    outs = [e.text for e in root.iter("system-out")]
    assert "waived: a until 2027-01-01\nwaived: b until 2027-01-01" in outs
    failure = root.find("testsuite[@name='drills']/testcase/failure")
    assert failure is not None and failure.get("message") == "too slow"
    unlined = root.find("testsuite[@name='checkov']/testcase[@name='CKV_5 aws_x.y']/failure")
    assert unlined is not None and (unlined.text or "").splitlines()[1] == "/m/main.tf:"
