"""A drill's numbers as the reports show them: a number that could not be measured says "unknown" and why, never 0 or None."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import assessment
from tapguard.controls.assessment import Assessment, drill_measure
from tapguard.evidence import html, junit, markdown
from tapguard.planning import project

NOT_RECOVERED = {
    "title": "postgres kill -9",
    "component": "postgres",
    "start": "2026-01-01T00:00:00+00:00",
    "end": "2026-01-01T00:01:30+00:00",
    "verdict": {
        "passed": False,
        "reasons": ["the service did not recover"],
        "downtime_s": None,
        "time_to_steady_s": None,
        "max_downtime_s": 30,
        "acknowledged": 1200,
        "acknowledged_without_replica": 17,
        "lost": None,
        "unknown": {"downtime_s": "no acknowledged write after the fault", "lost": "the acknowledged writes could not be read back"},
    },
}


@pytest.mark.parametrize(
    ("key", "unit", "shown"),
    [
        ("downtime_s", "s", "unknown (no acknowledged write after the fault)"),
        ("lost", "", "unknown (the acknowledged writes could not be read back)"),
        ("time_to_steady_s", "s", "unknown"),
        ("max_downtime_s", "s", "30 s"),
        ("acknowledged", "", "1200"),
    ],
)
def test_a_number_or_unknown_with_the_reason(key: str, unit: str, shown: str) -> None:
    assert drill_measure(NOT_RECOVERED["verdict"], key, unit) == shown


def test_zero_is_a_measurement_and_a_boolean_is_not() -> None:
    assert drill_measure({"lost": 0}, "lost") == "0"
    assert drill_measure({"lost": False}, "lost") == "unknown"


@pytest.fixture(scope="module")
def run(env_plans: dict[str, Path], root: Path) -> Assessment:
    result = assessment.assess(root, project.environments(root), {"us-west-2": env_plans["us-west-2"]}, None, use_checkov=False)
    result.drills = [NOT_RECOVERED]
    return result


def outputs(run: Assessment, root: Path) -> dict[str, Any]:
    return {"md": markdown.render(run, run.drills), "html": html.render(run, run.drills), "junit": junit.render(run, root)}


def test_every_report_says_unknown_and_counts_what_no_replica_confirmed(run: Assessment, root: Path) -> None:
    for name, text in outputs(run, root).items():
        assert "None s" not in text and "lost None" not in text, name
        assert "no acknowledged write after the fault" in text and "could not be read back" in text, name
        assert "17 without a replica" in text, name
    case = next(c for c in ET.fromstring(outputs(run, root)["junit"]).iter("testcase") if c.get("classname") == "drill.postgres")
    assert case.find("failure") is not None
