"""checkov/trivy/tflint conventions on `tapguard check` (and `audit`): --check/--skip-check, --list [--json],
--config-file, --var-file, --create-baseline/--baseline, the subcommand's own usage, completion hints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from tapguard.cli import main
from tapguard.controls import engine
from tapguard.planning import project
from tapguard.planning.runner import PlanRunner, cache_key
from tests.conftest import set_after

KEY = 'module.kms.aws_kms_key.this["aurora"]'
LOGS = "module.network.aws_cloudwatch_log_group.flow"


@pytest.mark.parametrize("command", ["check", "audit"])
def test_an_unknown_flag_prints_the_subcommands_usage(command: str, capsys: Any) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([command, "--bogus"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert err.startswith(f"usage: tapguard {command} ") and "unrecognized arguments: --bogus" in err


class Listed(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    class Control(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        id: str
        title: str
        family: str
        severity: str
        requirements: list[str]
        checkov: list[str]

    class TypeClass(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        types: list[str]
        controls: list[str]

    format: str
    controls: list[Control]
    requirements: dict[str, list[str]]
    severities: list[str]
    classes: dict[str, TypeClass]


def test_list_json_is_valid_and_names_everything_check_accepts(capsys: Any) -> None:
    assert main(["check", "--list", "--json"]) == 0
    listed = Listed.model_validate(json.loads(capsys.readouterr().out))
    catalogue = engine.catalogue()
    assert listed.format == "tapguard.list/1"
    assert [c.id for c in listed.controls] == list(catalogue)
    assert listed.severities == ["low", "medium", "high", "critical"]
    assert {c.severity for c in listed.controls} <= set(listed.severities)
    assert set(listed.requirements["3.5.1"]) >= {"E1", "E2"}
    assert "I1" in listed.classes["identity"].controls and listed.classes["identity"].types
    assert main(["audit", "--list", "--json"]) == 0  # audit takes check's flags: the list, and no lab started
    assert Listed.model_validate(json.loads(capsys.readouterr().out)) == listed
    assert main(["check", "--list"]) == 0
    text = capsys.readouterr().out
    assert "E1" in text and "CKV_AWS_16" in text and "PCI DSS requirements" in text and "resource classes" in text


@pytest.fixture
def eu_plan(fresh: Any, tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Writes a variant of eu-west-1's real plan and returns `check` argv for it (no checkov: fast and deterministic)."""
    monkeypatch.chdir(root)

    def write(name: str, *mutations: Any) -> list[str]:
        data = fresh("eu-west-1")
        for mutate in mutations:
            mutate(data)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data))
        # with the owner of the account trail: eu-west-1 alone cannot verify its L1/L2 (unknown, never a pass)
        owner = tmp_path / "us-west-2.json"
        owner.write_text(json.dumps(fresh("us-west-2")))
        return [
            "check",
            "--plan-json",
            f"eu-west-1={path}",
            "--plan-json",
            f"us-west-2={owner}",
            "--no-checkov",
            "--out",
            str(tmp_path / "ev"),
            "-q",
        ]

    return write


def said(capsys: Any) -> str:
    """What the run printed: the report on stdout, the errors and the footer wherever they went."""
    captured = capsys.readouterr()
    return captured.out + captured.err


def no_rotation(data: dict[str, Any]) -> None:
    set_after(data, KEY, "enable_key_rotation", False)


def short_retention(data: dict[str, Any]) -> None:
    set_after(data, LOGS, "retention_in_days", 30)


def statuses(tmp_path: Path, argv: list[str]) -> dict[str, Any]:
    target = tmp_path / "json"
    assert main([*argv, "-o", "json", "--output-file-path", str(target)]) in (0, 1)
    data = json.loads((target / "controls.json").read_text())
    (target / "controls.json").unlink()
    return data


def test_skip_check_reports_skipped_never_pass_and_maps_checkov_ids(eu_plan: Any, tmp_path: Path, capsys: Any) -> None:
    argv = eu_plan("k1", no_rotation)
    assert main(argv) == 1
    capsys.readouterr()
    assert main([*argv, "--skip-check", "K1"]) == 0  # the only failing control, skipped
    err = said(capsys)
    assert "SKIPPED K1: --skip-check" in err and "FAIL K1" not in err
    assert main([*argv, "--skip-check", "ckv_aws_7"]) == 0  # checkov's id of key rotation, listed by K1's catalogue entry
    data = statuses(tmp_path, [*argv, "--skip-check", "K1,N3"])
    skipped = data["results"]["K1"]["eu-west-1"]
    assert skipped["status"] == "not_applicable" and skipped["not_applicable"] == ["*"]  # not judged: never a pass
    assert data["results"]["E1"]["eu-west-1"]["status"] == "pass"
    assert data["verdict"] == "pass" and data["skipped"] == {"K1": "--skip-check", "N3": "--skip-check"}
    reports = tmp_path / "reports"
    assert main([*argv, "--skip-check", "K1", "-o", "junit", "-o", "md", "--output-file-path", str(reports)]) == 0
    junit = (reports / "junit.xml").read_text()
    # once per environment: eu-west-1 and us-west-2 (the owner of the account trail, checked with it)
    assert 'message="skipped: --skip-check"' in junit and junit.count("skipped: --skip-check") == 2
    rows = [line for line in (reports / "report.md").read_text().splitlines() if "| K1 " in line]
    assert len(rows) == 1 and "⏭️" in rows[0] and "✅" not in rows[0]
    # a severity: --skip-check high skips high and lower; --check critical judges only the critical ones
    assert main([*argv, "--skip-check", "high"]) == 0
    assert main([*argv, "--check", "critical"]) == 0
    assert main([*argv, "--check", "K1", "--check", "E1"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--check", "Z9"], "--check Z9: not a control id"),
        (["--skip-check", "CKV_AWS_99999"], "--skip-check CKV_AWS_99999: not a control id, a checkov id"),
        (["--check", "N3,,E1"], "--check: empty entry"),
        (["--skip-check", "extreme"], "--skip-check extreme: not a control id"),
    ],
)
def test_an_unknown_id_is_one_line_and_exit_2(eu_plan: Any, flags: list[str], message: str, capsys: Any) -> None:
    assert main([*eu_plan("clean"), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_baseline_round_trip(eu_plan: Any, tmp_path: Path, capsys: Any) -> None:
    base = tmp_path / "tapguard-baseline.json"
    debt = eu_plan("debt", no_rotation)
    assert main([*debt, "--create-baseline", str(base)]) == 0  # every current failure accepted: nothing new gates
    entries = json.loads(base.read_text())["entries"]
    assert entries and {e["control"] for e in entries} == {"K1"} and all(e["environment"] == "eu-west-1" for e in entries)
    assert main(debt) == 1  # without the baseline the debt still fails
    capsys.readouterr()
    assert main([*debt, "--baseline", str(base)]) == 0
    err = said(capsys)
    assert "baseline: 0 new failure(s), 1 known, 0 fixed, 0 stale" in err and "KNOWN K1" in err
    more = eu_plan("more", no_rotation, short_retention)
    assert main([*more, "--baseline", str(base)]) == 1  # a new failure gates, and it alone is named as new
    err = said(capsys)
    new = [line for line in err.splitlines() if line.startswith("new failure:")]
    assert len(new) == 1 and LOGS in new[0] and "L8" in new[0], err
    assert "FAIL L8" in err and "KNOWN K1" in err and "FAIL K1" not in err
    fixed = eu_plan("fixed", short_retention)
    assert main([*fixed, "--baseline", str(base)]) == 1
    err = said(capsys)
    assert f"fixed (remove from the baseline): [eu-west-1] K1 {KEY}" in err
    gone = eu_plan("gone", lambda d: d.update(resource_changes=[rc for rc in d["resource_changes"] if rc["address"] != KEY]))
    main([*gone, "--baseline", str(base)])
    assert f"stale (no longer in the plan): [eu-west-1] K1 {KEY}" in said(capsys)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "expected an object with format"),
        ('{"format": "tapguard.baseline/2", "entries": []}', "format: expected 'tapguard.baseline/1'"),
        ('{"format": "tapguard.baseline/1", "entries": [{"environment": "x"}]}', "entries[0].control: required"),
        ('{"format": "tapguard.baseline/1", "entries": [], "extra": 1}', "extra: unknown key"),
        ('{"format": "tapguard.baseline/1", "entries": [{"environment": 1, "control": "K1", "address": "a"}]}', "entries[0].environment"),
        ("{", "not JSON"),
    ],
)
def test_a_bad_baseline_is_one_line(eu_plan: Any, tmp_path: Path, content: str, message: str, capsys: Any) -> None:
    bad = tmp_path / "b.json"
    bad.write_text(content)
    assert main([*eu_plan("clean"), "--baseline", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_config_file_elsewhere_is_read_with_the_same_schema(eu_plan: Any, tmp_path: Path, capsys: Any) -> None:
    conf = tmp_path / "ci" / "tapguard.toml"
    conf.parent.mkdir()
    conf.write_text('output = ["json"]\n')
    argv = eu_plan("clean")
    assert main([*argv, "--config-file", str(conf)]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "pass"  # the file's `output` was used
    conf.write_text("outptu = 1\n")
    assert main([*argv, "--config-file", str(conf)]) == 2
    assert f"{conf}: outptu: unknown key" in capsys.readouterr().err
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n')
    assert main([*argv, "--config-file", str(pyproject)]) == 2
    assert "no [tool.tapguard] table" in capsys.readouterr().err
    assert main(argv) == 0  # the next run in this process reads the project's own config again
    capsys.readouterr()


def test_var_file_is_in_the_plan_cache_key_and_passed_absolute(root: Path, tools: Any, tmp_path: Path, capsys: Any) -> None:
    env = project.select(root, ["eu-west-1"])[0]
    tfvars = tmp_path / "extra.tfvars"
    tfvars.write_text('environment_suffix = "one"\n')
    before = cache_key(env, tools, "local", {}, (tfvars,))
    assert before != cache_key(env, tools, "local", {})
    tfvars.write_text('environment_suffix = "two"\n')
    assert cache_key(env, tools, "local", {}, (tfvars,)) != before  # its content, not its name
    runner = PlanRunner(tools, tmp_path, {}, "local", var_files=(Path(tfvars.name),))
    assert all(p.is_absolute() for p in runner.var_files)
    for bad, message in (("missing.tfvars", "no such file"), (".", "is a directory")):
        assert main(["check", "eu-west-1", "--var-file", str(tmp_path / bad), "--no-checkov"]) == 2
        assert message in capsys.readouterr().err


def test_completion_offers_environments_and_control_ids(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.chdir(root)
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert "N3" in script and "critical" in script
    assert "_tapguard_controls" in script and "_tapguard_environments" in script and "eu-west-1" in script
    assert main(["completion", "zsh"]) == 0
    assert "E1" in capsys.readouterr().out
