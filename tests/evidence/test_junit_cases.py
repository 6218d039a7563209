"""junit.xml where GitLab reads it: `file` and `line` on each testcase (relative to the git root), real times or none,
drills named by component and fault."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tapguard.evidence import junit
from tests.evidence.scratch import scratch
from tests.evidence.test_outputs import jenkins_valid

JOURNAL = {
    "title": "aurora failover by kill under 600 writes/min",
    "experiment": {"target": {"kind": "aws", "engine": "aurora-postgresql"}, "component": "aurora", "fault": "kill"},
    "start": "2026-01-01T00:00:00.000+00:00",
    "end": "2026-01-01T00:00:12.250+00:00",
    "verdict": {"passed": True},
}


def test_each_case_has_file_and_line_in_the_repository(tmp_path: Path) -> None:
    repo = scratch(tmp_path, environments=2, checkov=False)
    text = junit.render(repo.run, repo.root)
    jenkins_valid(text)
    tree = ET.fromstring(text)
    cases = tree.findall("testsuite/testcase")
    assert len(cases) == 2 * len(repo.run.catalogue)
    e1 = [c for c in cases if c.get("name", "").startswith("E1 ")]
    assert {(c.get("file"), c.get("line")) for c in e1} == {("infra/modules/db/main.tf", "1")}
    assert all((repo.repo / c.get("file", "")).is_file() for c in cases)
    assert all(c.get("time") is None for c in cases)
    assert tree.get("time") == "3.000", "the run's real duration, once"


def test_drills_are_named_by_component_and_fault_never_unknown() -> None:
    from tests.evidence.test_outputs import DRILLS

    assert junit.identity(JOURNAL, 1) == ("aurora", "kill")
    assert junit.identity({"title": "redis kill -9"}, 1) == ("redis", "redis kill -9")
    assert junit.identity({}, 3) == ("drill-3", "run-3")
    assert junit.identity({"experiment": {"target": {"engine": "valkey"}}, "title": 7}, 2) == ("valkey", "run-2")
    parent = ET.Element("testsuites")
    suite = junit.drill_suite(parent, [JOURNAL, DRILLS[1], {"verdict": {"passed": True}, "start": "x"}], "h")
    cases = suite.findall("testcase")
    assert [f"{c.get('classname')}.{c.get('name')}" for c in cases] == ["drill.aurora.kill", "drill.redis.kill -9", "drill.drill-3.run-3"]
    assert [c.get("time") for c in cases] == ["12.250", "30.000", None], "no journal times: no time, never 0"
    assert not any("unknown" in f"{c.get('classname')}.{c.get('name')}" for c in cases)
