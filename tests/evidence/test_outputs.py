"""Outputs where users load them: SARIF for GitHub code scanning, JUnit for Jenkins/GitLab, the PR comment.

The run is real (both stacks' plans); `all_failing` then marks every finding failed, the worst case
for sizes and locations, because the writers must hold whatever the controls say."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tapguard.controls import FAIL, Finding, assessment
from tapguard.controls.assessment import Assessment
from tapguard.evidence import junit, markdown, sarif
from tapguard.planning import project

HERE = Path(__file__).parent
DRILLS = [
    {
        "title": "postgres kill -9",
        "component": "postgres",
        "start": "2026-01-01T00:00:00+00:00",
        "end": "2026-01-01T00:00:41.5+00:00",
        "verdict": {"passed": False, "reasons": ["after-steady-state not met: 32 writes/s"], "downtime_s": 2.5, "max_downtime_s": 30},
    },
    {
        "title": "redis kill -9",
        "component": "redis",
        "start": "2026-01-01T00:01:00+00:00",
        "end": "2026-01-01T00:01:30+00:00",
        "verdict": {"passed": True, "downtime_s": 1.2, "max_downtime_s": 30, "lost": 0},
    },
]


@pytest.fixture(scope="module")
def real_run(env_plans: dict[str, Path], root: Path) -> Assessment:
    return assessment.assess(root, project.environments(root), env_plans, None, use_checkov=False)


def all_failing(run: Assessment, copies: int = 1) -> Assessment:
    """Every control failing in every environment (each finding failed; a finding made where a control had none);
    `copies` > 1 repeats the environments under new names, as a project with many stacks would."""
    worst = copy.deepcopy(run)
    envs = []
    for n in range(copies):
        for env in run.environments:
            findings = [dataclasses.replace(f, status=FAIL, waiver=None) for f in env.findings]
            seen = {f.control for f in findings}
            findings += [
                Finding(c, env.name, "(stack)", "", FAIL, None, "present", "nothing found") for c in worst.catalogue if c not in seen
            ]
            name = env.name if n == 0 else f"{env.name}-{n}"
            envs.append(dataclasses.replace(env, name=name, findings=findings))
    worst.environments = envs
    return worst


def test_sarif_is_ready_for_code_scanning(real_run: Assessment, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sarif_pydantic import Sarif

    from tests.evidence.test_sarif_github import github_limits

    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/tapguard")
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)
    data = json.loads(json.dumps(sarif.render(all_failing(real_run), root)))
    Sarif.model_validate(data)  # the SARIF 2.1.0 object model
    github_limits(data, root)
    assert data["version"] == "2.1.0" and len(data["runs"]) == 1, "one run for tapguard, whatever the number of environments"
    results = 0
    for run in data["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "tapguard" and driver["version"] and re.fullmatch(r"\d+\.\d+\.\d+.*", driver["semanticVersion"])
        assert driver["informationUri"].startswith("https://") and run["versionControlProvenance"][0]["revisionId"] == "f" * 40
        ids = [r["id"] for r in driver["rules"]]
        assert len(ids) == len(set(ids)) == len(real_run.catalogue)
        for rule in driver["rules"]:
            assert "security" in rule["properties"]["tags"] and any(t.startswith("PCI-DSS") for t in rule["properties"]["tags"])
            assert 0 < float(rule["properties"]["security-severity"]) <= 10
            assert rule["help"]["markdown"] and rule["help"]["text"]
            assert rule["helpUri"].startswith("https://") and rule["helpUri"].endswith(f"#control-{rule['id'].lower()}")
        for result in run["results"]:
            results += 1
            assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
            physical = result["locations"][0]["physicalLocation"]
            file = root / physical["artifactLocation"]["uri"]
            assert file.is_file() and file.suffix == ".tf", physical
            lines = file.read_text().splitlines()
            line = physical["region"]["startLine"]
            assert 1 <= line <= len(lines)
            if result["ruleId"] == "D1" and ":" in result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]:
                assert lines[line - 1].lstrip().startswith("resource "), (file, line)
            assert "True" not in result["message"]["text"].split("actual ")[-1].split(",")[0]
    assert results > 200


def test_sarif_without_a_known_repository_has_no_placeholder(real_run: Assessment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(name, raising=False)
    data = sarif.render(real_run, tmp_path)  # not a git checkout: no repository to name
    assert data["runs"][0]["versionControlProvenance"] == []
    assert "acme" not in json.dumps(data) and "localhost" not in json.dumps(data)


def jenkins_valid(text: str) -> None:
    """Valid against junit-10.xsd (the Jenkins xunit plugin's) but for `file`/`line` on a testcase, which it does not declare."""
    import xmlschema

    tree = ET.fromstring(text)
    for case in tree.iter("testcase"):
        assert set(case.attrib) <= {"name", "time", "classname", "group", "file", "line"}, case.attrib
        case.attrib.pop("file", None)
        case.attrib.pop("line", None)
    xmlschema.XMLSchema(HERE / "junit-10.xsd").validate(ET.tostring(tree, encoding="unicode"))


def test_junit_is_valid_for_jenkins_and_drills_are_cases(real_run: Assessment, root: Path) -> None:
    worst = all_failing(real_run)
    worst.drills = DRILLS
    text = junit.render(worst, root)
    jenkins_valid(text)
    tree = ET.fromstring(text)
    cases = tree.findall(".//testcase")
    assert cases and not tree.findall(".//testcase/properties")
    suites = {s.get("name"): s for s in tree.findall("testsuite")}
    assert all((root / s.get("file", "")).is_file() for n, s in suites.items() if n.startswith("pci-dss::"))
    controls = [c for n, s in suites.items() if n.startswith("pci-dss::") for c in s.findall("testcase")]
    assert all(c.get("time") is None for c in controls), "controls are not timed one by one: no made-up share of the run"
    assert all((root / c.get("file", "")).is_file() and int(c.get("line", "0")) >= 1 for c in controls), "GitLab reads file on the case"
    drills = suites["drills"].findall("testcase")
    assert [d.get("time") for d in drills] == ["41.500", "30.000"]
    assert [(d.get("classname"), d.get("name")) for d in drills] == [("drill.postgres", "kill -9"), ("drill.redis", "kill -9")]
    assert drills[0].find("failure") is not None and drills[1].find("failure") is None
    assert int(tree.get("failures", "0")) == len(worst.environments) * len(worst.catalogue) + 1
    assert re.search(r" at modules/[\w-]+/\w+\.tf:\d+", text), "failures name file:line"


def test_junit_of_a_real_run_is_valid(real_run: Assessment, root: Path) -> None:
    jenkins_valid(junit.render(real_run, root))


def balanced(text: str) -> None:
    fences = re.findall(r"^(`{3,})", text, flags=re.M)
    assert len(fences) % 2 == 0, "an open code fence"
    assert text.count("<details") == text.count("</details>"), "an open <details>"


@pytest.mark.parametrize("copies", [1, 20])
def test_pr_comment_fits_and_renders_whatever_the_number_of_environments(real_run: Assessment, copies: int) -> None:
    worst = all_failing(real_run, copies)
    reports = []
    for env in worst.environments:  # the PR workflow makes one bundle per environment
        one = dataclasses.replace(worst, environments=[env])
        report = markdown.render(one, DRILLS)
        balanced(report)
        reports.append(report)
    text = markdown.comment(reports)
    assert len(text) < 65_536
    balanced(text)
    first = reports[0]
    assert first.index("tapguard failures") < first.index("Drill:") < first.index("Controls by requirement")
    assert "after-steady-state not met" in first
    for report in reports if copies == 1 else []:
        assert "```hcl" not in report.split("**Remediation.**")[1].split("\n")[0], "remediation prose is text, not fenced"
    assert all(f"| {env.name} |" in text for env in worst.environments), "every environment's verdict row is in the comment"
    if copies == 1:
        assert re.search(r"actual `(true|false|null|\"[^`]*\"|\[[^`]*\]|\{[^`]*\}|-?\d[^`]*)`", text)
    assert not re.search(r"actual `(True|False|None|'[^`]*')`", text), "values are JSON, not Python reprs"


def test_remediation_markdown_fences_only_hcl() -> None:
    from tapguard.evidence import remediation

    text = 'Put subnets in private route tables:\n  resource "aws_subnet" "private" { map_public_ip_on_launch = false }\n'
    out = remediation.markdown(text)
    assert out.startswith("Put subnets in private route tables:\n\n```hcl\nresource")
    assert remediation.markdown("Remove lifecycle { prevent_destroy = true }.") == "Remove lifecycle { prevent_destroy = true }."
    assert remediation.value(True) == "true" and remediation.value(None) == "null" and remediation.value({"a": [1]}) == '{"a": [1]}'


def test_comment_command_joins_bundles(tmp_path: Path, real_run: Assessment, capsys: pytest.CaptureFixture[str]) -> None:
    from tapguard.cli import main

    for env in real_run.environments:
        (tmp_path / env.name).mkdir()
        (tmp_path / env.name / "report.md").write_text(markdown.render(dataclasses.replace(real_run, environments=[env])))
    out = tmp_path / "comment.md"
    assert main(["evidence", "comment", *(str(tmp_path / e.name) for e in real_run.environments), "-o", str(out)]) == 0
    text = out.read_text()
    assert text.startswith(markdown.MARKER) and all(e.name in text for e in real_run.environments)
