"""junit.xml paths with a project root and a main.tf: the suite's file, each case's file and line, each failure's `at`.

A scratch git repository holding two stacks (prod, stage) whose main.tf has two resource blocks (lines 3 and 7);
rendered with the project root, every path is relative to the repository, and a finding with no block of its own
(a stack-wide finding, a control with nothing to show) is placed at main.tf line 1. The two-control catalogue is
tests/evidence/test_markdown_mutants.py's.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tapguard.controls import FAIL, NOT_APPLICABLE, UNKNOWN, Finding
from tapguard.evidence import junit
from tests.evidence.test_markdown_mutants import env, run

MAIN_TF = 'terraform {}\n\nresource "aws_rds_cluster" "db" {\n  storage_encrypted = false\n}\n\nresource "aws_s3_bucket" "w" {\n}\n'


@pytest.fixture(autouse=True)
def host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "ci-host")


def rendered(tmp_path: Path) -> ET.Element:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    stacks = {}
    for name in ("prod", "stage"):
        stacks[name] = project / "envs" / name
        stacks[name].mkdir(parents=True)
        (stacks[name] / "main.tf").write_text(MAIN_TF)
    prod = env(
        "prod",
        [
            Finding("Z1", "prod", "aws_rds_cluster.db", "storage_encrypted", FAIL, False, True, "not encrypted"),
            Finding("Z1", "prod", "(no key policy)", "", UNKNOWN, None, "a policy", "no policy"),
            Finding("Z2", "prod", "(no trail)", "", NOT_APPLICABLE, None, "x", "n/a"),
        ],
    )
    stage = env("stage", [Finding("Z1", "stage", "aws_s3_bucket.w", "kms", FAIL, None, "x", "waived one", waiver={"reason": "r"})])
    prod.hcl_dirs, stage.hcl_dirs = [stacks["prod"]], [stacks["stage"]]
    return ET.fromstring(junit.render(run([prod, stage]), project))


def where(element: ET.Element | None) -> tuple[str | None, str | None]:
    assert element is not None
    return element.get("file"), element.get("line")


def test_each_suite_names_its_root_main_tf_relative_to_the_repository(tmp_path: Path) -> None:
    root = rendered(tmp_path)
    assert [suite.get("file") for suite in root.iter("testsuite")] == ["envs/prod/main.tf", "envs/stage/main.tf"]


def test_a_case_is_placed_at_its_first_failing_block_else_its_waived_block_else_main_tf_line_1(tmp_path: Path) -> None:
    root = rendered(tmp_path)
    assert where(root.find("testsuite[@name='pci-dss::prod']/testcase[@classname='prod.data']")) == ("envs/prod/main.tf", "3")
    assert where(root.find("testsuite[@name='pci-dss::prod']/testcase[@classname='prod.logging']")) == ("envs/prod/main.tf", "1")
    assert where(root.find("testsuite[@name='pci-dss::stage']/testcase[@classname='stage.data']")) == ("envs/stage/main.tf", "7")
    assert where(root.find("testsuite[@name='pci-dss::stage']/testcase[@classname='stage.logging']")) == ("envs/stage/main.tf", "1")


def test_each_failing_finding_says_where_it_is_and_a_stack_wide_one_is_at_main_tf_line_1(tmp_path: Path) -> None:
    failure = rendered(tmp_path).find("testsuite[@name='pci-dss::prod']/testcase[@classname='prod.data']/failure")
    assert failure is not None and failure.get("message") == "PCI DSS 3.5.1, 3.6.1: 2 finding(s)"
    assert failure.text == (
        "Z1 (PCI DSS 3.5.1, 3.6.1) [prod] aws_rds_cluster.db storage_encrypted: not encrypted — actual false, expected True"
        " at envs/prod/main.tf:3\n"
        "Z1 (PCI DSS 3.5.1, 3.6.1) [prod] (no key policy): no policy — actual null, expected a policy at envs/prod/main.tf:1\n"
        "\nRemediation:\nset `storage_encrypted`"
    )
