"""Verdicts follow the data: a failed drill fails `check` (and `audit`, which runs check with its journals);
drills.json, waivers and the config are declared schemas (wrong type: exit 2, the field named); and for any
input the CLI ends in 0, 1 or 2 without a traceback (hypothesis, fixed budgets).
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tapguard.cli import check, main
from tapguard.cli.parser import build_parser
from tapguard.controls import assessment

MINIMAL_PLAN = {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {}, "resource_changes": [], "configuration": {}}
JOURNAL: dict[str, Any] = {
    "title": "postgres failover by kill under 100,000 writes/min",
    "start": "2025-01-01T00:00:00.000+00:00",
    "end": "2025-01-01T00:01:00.000+00:00",
    "status": "completed",
    "experiment": {"target": {"kind": "lab"}, "component": "postgres", "rate_per_s": 1666.7},
    "verdict": {"passed": True, "reasons": [], "downtime_s": 4.2, "max_downtime_s": 30.0, "acknowledged": 10, "lost": 0},
    "timeline": {"bucket_ms": 100, "t0": 0.0, "ok": [3, 0, 4], "fail": [0, 2, 0], "p99_ms": [1.5, None, 2.0]},
    "marks": {"inject": 0.1, "recover": 0.25},
    "run": [
        {
            "activity": {"name": "inject", "type": "action"},
            "start": "2025-01-01T00:00:10",
            "end": "2025-01-01T00:00:11",
            "status": "succeeded",
        }
    ],
}
BUDGET = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def cli(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `tapguard check` in-process on a minimal plan of a scratch environment; (exit code, stdout + stderr)."""
    monkeypatch.chdir(root)
    monkeypatch.setenv("TAPGUARD_REGISTRY", "off")
    for key in ("TAPGUARD_ROOT", "TAPGUARD_TERRAFORM"):
        monkeypatch.delenv(key, raising=False)

    def run(*extra: str, files: dict[str, str] | None = None) -> tuple[int, str]:
        tmp = Path(tempfile.mkdtemp(prefix="tapguard-verdict-"))
        (tmp / "p.json").write_text(json.dumps(MINIMAL_PLAN))
        for name, text in (files or {}).items():
            (tmp / name).write_text(text)
        argv = [
            "check",
            "--plan-json",
            f"scratch={tmp / 'p.json'}",
            "--no-checkov",
            "--out",
            str(tmp / "ev"),
            *(a.format(tmp=tmp) for a in extra),
        ]
        capsys.readouterr()
        code = main(argv)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def drills_file(*journals: dict[str, Any]) -> dict[str, str]:
    return {"d.json": json.dumps({"format": "tapguard.drills/1", "drills": list(journals)})}


def with_verdict(**verdict: Any) -> dict[str, Any]:
    journal = copy.deepcopy(JOURNAL)
    journal["verdict"].update(verdict)
    return journal


def test_a_passed_drill_keeps_the_verdict(cli: Any) -> None:
    code, out = cli("--drills", "{tmp}/d.json", files=drills_file(JOURNAL))
    assert code == 0 and "verdict: PASS" in out, out


def test_a_failed_drill_fails_check(cli: Any) -> None:
    code, out = cli("--drills", "{tmp}/d.json", files=drills_file(JOURNAL, with_verdict(passed=False, reasons=["lost 3 writes"])))
    assert code == 1 and "verdict: FAIL" in out, out


def test_soft_fail_keeps_a_failed_drill_visible_but_exit_zero(cli: Any) -> None:
    code, out = cli("--drills", "{tmp}/d.json", "--soft-fail", files=drills_file(with_verdict(passed=False)))
    assert code == 0 and "verdict: FAIL" in out and "soft fail: 1 failure(s)" in out, out


def test_a_failed_drill_is_selected_like_a_control(cli: Any) -> None:
    failed = drills_file(with_verdict(passed=False))
    code, out = cli("--drills", "{tmp}/d.json", "--soft-fail-on", "DRILLS", files=failed)
    assert code == 0 and "none of the 1 failure(s) is selected" in out, out
    code, out = cli("--drills", "{tmp}/d.json", "--hard-fail-on", "critical", files=failed)
    assert code == 1, out


@pytest.mark.parametrize(
    ("journal", "message"),
    [
        (with_verdict(passed="false"), "drills[0].verdict.passed: expected a boolean, got a string"),
        (with_verdict(passed=1), "drills[0].verdict.passed: expected a boolean, got an integer"),
        (with_verdict(passed=None), "drills[0].verdict.passed: expected a boolean, got null"),
        ({k: v for k, v in JOURNAL.items() if k != "verdict"}, "drills[0].verdict: required"),
        ({**JOURNAL, "verdict": "passed"}, "drills[0].verdict: expected an object, got a string"),
        ({**JOURNAL, "timeline": []}, "drills[0].timeline: expected an object, got a list"),
        (
            {**JOURNAL, "timeline": {**JOURNAL["timeline"], "bucket_ms": 0}},
            "drills[0].timeline.bucket_ms: expected a number greater than 0",
        ),
        ({**JOURNAL, "timeline": {**JOURNAL["timeline"], "ok": [-1]}}, "drills[0].timeline.ok[0]: expected a non-negative integer"),
        (with_verdict(reasons="lost"), "drills[0].verdict.reasons: expected a list, got a string"),
        (with_verdict(downtime_s="4 s"), "drills[0].verdict.downtime_s: expected a number, got a string"),
        ({**JOURNAL, "run": [{"activity": "inject"}]}, "drills[0].run[0].activity: expected an object, got a string"),
        ({**JOURNAL, "title": ["x"]}, "drills[0].title: expected a string, got a list"),
    ],
)
def test_drills_json_of_the_wrong_shape_is_bad_input(cli: Any, journal: dict[str, Any], message: str) -> None:
    code, out = cli("--drills", "{tmp}/d.json", files=drills_file(journal))
    assert code == 2 and message in out and len(out.strip().splitlines()) == 1, out


def test_audit_fails_on_a_failed_drill_journal(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """audit hands the journals of the drills it ran to check.run: a failed (or non-boolean) verdict fails the run."""
    monkeypatch.chdir(root)
    monkeypatch.setenv("TAPGUARD_REGISTRY", "off")
    plan = tmp_path / "p.json"
    plan.write_text(json.dumps(MINIMAL_PLAN))
    args = build_parser().parse_args(["check", "--plan-json", f"scratch={plan}", "--no-checkov", "--out", str(tmp_path / "ev")])
    assert check.run(args, [JOURNAL]) == 0
    assert check.run(args, [JOURNAL, with_verdict(passed=False)]) == 1
    assert check.run(args, [with_verdict(passed="true")]) == 1  # truthy is not passed
    assert not assessment.drill_passed({"verdict": "passed"}) and not assessment.drill_passed({})


# ---------------------------------------------------------------- properties: any input ends in 0, 1 or 2

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        ["[/]", "[bold]x", "*", '"a"', "<!--", "\n## ✅", ":secret:", "2099-01-01", "all", "true", "false", "a\x00b", "/etc/*", "../*"]
    ),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6
)


def mutated(base: dict[str, Any], data: st.DataObject, keys: list[str]) -> dict[str, Any]:
    """`base` with a few of its keys (or new ones) replaced by arbitrary values, some removed."""
    out = copy.deepcopy(base)
    for key in data.draw(st.lists(st.sampled_from([*keys, "extra"]), max_size=3)):
        if data.draw(st.booleans()):
            out[key] = data.draw(VALUES)
        else:
            out.pop(key, None)
    return out


@BUDGET
@given(data=st.data())
def test_any_drills_json_ends_in_0_1_or_2(cli: Any, data: st.DataObject) -> None:
    journal = mutated(JOURNAL, data, list(JOURNAL))
    journal["verdict"] = mutated(JOURNAL["verdict"], data, list(JOURNAL["verdict"])) if data.draw(st.booleans()) else journal.get("verdict")
    journal["timeline"] = (
        mutated(JOURNAL["timeline"], data, list(JOURNAL["timeline"])) if data.draw(st.booleans()) else journal.get("timeline")
    )
    code, out = cli("--drills", "{tmp}/d.json", files=drills_file(journal))
    event(f"exit {code}")
    assert code in (0, 1, 2) and "Traceback" not in out, out
    if code == 0:  # a PASS needs a drill whose verdict is the boolean true
        assert journal["verdict"]["passed"] is True


WAIVER = {"control": "E8", "address": "aws_s3_bucket.x", "reason": "r", "owner": "o", "ticket": "T-1", "expires": "2099-01-01"}


@BUDGET
@given(data=st.data())
def test_any_waiver_file_ends_in_0_1_or_2(cli: Any, data: st.DataObject) -> None:
    entries = [mutated(WAIVER, data, [*WAIVER, "environment", "scope", "checkov"]) for _ in range(data.draw(st.integers(1, 2)))]
    text = yaml.safe_dump({"waivers": entries}, allow_unicode=True)
    code, out = cli("--waivers", "{tmp}/w.yaml", files={"w.yaml": text})
    event(f"exit {code}")
    assert code in (0, 1, 2) and "Traceback" not in out, out


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items() if v is not None) + "}"
    return '""'


CONFIG_KEYS = [
    "environments",
    "waivers",
    "evidence",
    "output",
    "output_file_path",
    "drills",
    "drill_outputs",
    "forbid_scope_all",
    "profile",
]


@BUDGET
@given(body=st.dictionaries(st.sampled_from(CONFIG_KEYS), VALUES.filter(lambda v: v is not None), max_size=3))
def test_any_config_ends_in_0_1_or_2(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], body: dict[str, Any]
) -> None:
    project_dir = Path(tempfile.mkdtemp(prefix="tapguard-config-"))
    (project_dir / "infra").mkdir()
    (project_dir / "infra" / "main.tf").write_text('terraform {\n  required_version = ">= 1.11"\n}\n')
    (project_dir / "tapguard.toml").write_text("".join(f"{key} = {toml_value(value)}\n" for key, value in body.items()))
    (project_dir / "p.json").write_text(json.dumps(MINIMAL_PLAN))
    monkeypatch.chdir(project_dir)
    monkeypatch.setenv("TAPGUARD_REGISTRY", "off")
    monkeypatch.delenv("TAPGUARD_ROOT", raising=False)
    capsys.readouterr()
    code = main(
        ["check", "--plan-json", f"scratch={project_dir / 'p.json'}", "--no-checkov", "--out", str(project_dir / "ev"), "-o", "json"]
    )
    captured = capsys.readouterr()
    event(f"exit {code}")
    assert code in (0, 1, 2) and "Traceback" not in captured.err, captured.err
