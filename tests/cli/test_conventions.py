"""CLI conventions: -o formats on stdout or in files, soft/hard fail gates, --quiet, -V, completion, exit codes in --help."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tapguard.cli import main
from tapguard.cli.parser import EXIT_CODES

PLAN = {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {}, "resource_changes": [], "configuration": {}}


@pytest.fixture
def empty_plan(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`check` of an empty plan given for a stack: every resource its profile requires is missing, so controls fail.

    (Under a name that is no stack, an empty plan passes: the generic profile requires nothing.)"""
    monkeypatch.chdir(root)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PLAN))
    return ["check", "--plan-json", f"eu-west-1={path}", "--no-checkov", "--out", str(tmp_path / "ev")]


def test_json_and_sarif_on_stdout_are_machine_readable(empty_plan: list[str], capsys: Any) -> None:
    assert main([*empty_plan, "-o", "json"]) == 1
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert "requirements" in data and "verdict: FAIL" in out.err
    assert main([*empty_plan, "-o", "sarif"]) == 1
    assert json.loads(capsys.readouterr().out)["version"] == "2.1.0"


def test_every_format_into_files(empty_plan: list[str], tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "reports"
    args = [*empty_plan, "--output-file-path", str(target)]
    for fmt in ("cli", "json", "sarif", "junit", "md", "html"):
        args += ["-o", fmt]
    assert main(args) == 1
    assert capsys.readouterr().out == ""
    names = sorted(p.name for p in target.iterdir())
    assert names == ["controls.json", "junit.xml", "report.html", "report.md", "results.sarif", "tapguard_cli.txt"]
    ET.parse(target / "junit.xml")
    cli = (target / "tapguard_cli.txt").read_text()
    assert "verdict: FAIL" in cli and "\x1b[" not in cli


def test_soft_and_hard_fail(empty_plan: list[str], capsys: Any) -> None:
    assert main([*empty_plan, "-q", "--soft-fail"]) == 0
    assert "soft fail" in capsys.readouterr().out
    assert main([*empty_plan, "-q", "--soft-fail-on", "critical"]) == 0  # every severity is at most critical
    assert main([*empty_plan, "-q", "--soft-fail-on", "low"]) == 1  # high failures remain
    assert main([*empty_plan, "-q", "--hard-fail-on", "N*"]) == 1  # network controls fail on an empty plan
    assert main([*empty_plan, "-q", "--hard-fail-on", "WAIVERS"]) == 0  # no waiver problem
    capsys.readouterr()


def test_quiet_prints_failures_and_a_summary_not_the_table(empty_plan: list[str], capsys: Any) -> None:
    main([*empty_plan, "-q"])
    out = capsys.readouterr().out
    assert "PCI DSS v4.0.1 controls by requirement" not in out
    assert "FAIL " in out and "eu-west-1:" in out and "verdict: FAIL" in out
    main(empty_plan)
    assert "PCI DSS v4.0.1 controls by requirement" in capsys.readouterr().out


def test_piped_output_never_truncates(empty_plan: list[str], capsys: Any) -> None:
    main(empty_plan)
    out = capsys.readouterr().out
    assert "…" not in out.split("evidence:")[0]  # no ellipsis from a narrow table
    assert max(len(line) for line in out.splitlines()) > 80


def test_version_completion_and_exit_codes_in_help(capsys: Any) -> None:
    with pytest.raises(SystemExit) as done:
        main(["-V"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("tapguard ")
    for shell, marker in (("bash", "complete"), ("zsh", "#compdef tapguard")):
        assert main(["completion", shell]) == 0
        script = capsys.readouterr().out
        assert marker in script and "--soft-fail-on" in script and "check" in script
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert EXIT_CODES.splitlines()[0] in text and "130" in text and "bad input" in text
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "130  interrupted" in capsys.readouterr().out
