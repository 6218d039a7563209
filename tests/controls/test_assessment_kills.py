"""One assessment, pinned (issue 22): how a control's status is read, what fails a run, which checkov failures gate,
how --check/--skip-check name controls, what a skipped control keeps, and what assess() hands to the reports."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import platform
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import tapguard
from tapguard.controls import assessment, checkov, engine, waivers
from tapguard.controls.assessment import NOT_SELECTED, SKIP_CHECK, Assessment, Coverage, EnvironmentResult
from tapguard.controls.checkov import CheckovResult
from tapguard.controls.engine import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Control, Finding
from tapguard.foundation.errors import TapguardError
from tapguard.planning import model
from tapguard.planning.admitted import AdmittedPlan
from tapguard.planning.project import Environment
from tapguard.planning.runner import PlanResult

WAIVER = {"reason": "accepted", "owner": "o@example.com", "ticket": "T-1", "expires": "2099-01-01"}


def _finding(control: str, status: str, waiver: dict[str, Any] | None = None, env: str = "e", address: str = "a.b") -> Finding:
    return Finding(control, env, address, "attr", status, None, None, "m", waiver)


def _env(findings: list[Finding], name: str = "e") -> EnvironmentResult:
    return EnvironmentResult(name, Path("plan.json"), "sha", "1.11.4", None, {}, findings, [], {})


def _control(cid: str, severity: str, scanners: dict[str, list[str]] | None = None) -> Control:
    return Control(cid, f"title {cid}", "network", ("1.1",), severity, "risk", "fix", scanners or {})


CATALOGUE = {
    "A1": _control("A1", "low", {"checkov": ["CKV_A"], "aws_config": ["a-config-rule"]}),
    "B2": _control("B2", "medium", {"checkov": ["CKV_SHARED"]}),
    "C3": _control("C3", "high", {"checkov": ["CKV_SHARED", "CKV_C"]}),
    "D4": _control("D4", "critical"),
    "X9": _control("X9", "unrated"),
}


def _run(envs: list[EnvironmentResult] | None = None, **fields: Any) -> Assessment:
    return Assessment(
        started=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        environments=envs or [],
        catalogue=fields.pop("catalogue", CATALOGUE),
        waivers=fields.pop("waivers", waivers.WaiverSet(source=None, valid=[], problems=[])),
        **fields,
    )


def _item(check_id: str, controls: list[str] | None, status: str = "failed", **more: Any) -> dict[str, Any]:
    return {"check_id": check_id, "check_name": "a check", "resource": "aws_kms_key.x", "controls": controls, "status": status, **more}


# ---------------------------------------------------------------- status_of / findings_of


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([(FAIL, None)], FAIL),
        ([(UNKNOWN, None)], FAIL),
        ([(FAIL, WAIVER), (UNKNOWN, None)], FAIL),  # one unwaived failure outweighs a waived one
        ([(PASS, None), (FAIL, None)], FAIL),
        ([(FAIL, WAIVER)], "waived"),
        ([(UNKNOWN, WAIVER), (PASS, None)], "waived"),
        ([(NOT_APPLICABLE, None), (NOT_APPLICABLE, None)], NOT_APPLICABLE),
        ([(NOT_APPLICABLE, None), (PASS, None)], PASS),
        ([(PASS, None)], PASS),
        ([(PASS, WAIVER)], PASS),  # a waiver on a pass waives nothing
        ([], PASS),
    ],
)
def test_a_controls_status_is_fail_then_waived_then_not_applicable_then_pass(statuses: list[Any], expected: str) -> None:
    env = _env([_finding("A1", s, w) for s, w in statuses] + [_finding("B2", FAIL), _finding("C3", NOT_APPLICABLE)])
    assert env.status_of("A1") == expected


def test_findings_of_follows_the_list_when_it_grows_or_is_replaced() -> None:
    first = _finding("A1", PASS)
    env = _env([first])
    assert env.findings_of("A1") == [first] and env.findings_of("B2") == []
    assert env.findings_of("A1") is env.findings_of("A1")  # indexed once while the list is unchanged
    second = _finding("A1", FAIL)
    env.findings.append(second)  # same list, one more finding
    assert env.findings_of("A1") == [first, second] and env.status_of("A1") == FAIL
    third = _finding("B2", FAIL)
    env.findings = [third, _finding("C3", PASS)]  # a new list of the same length
    assert env.findings_of("A1") == [] and env.findings_of("B2") == [third]
    assert env.status_of("A1") == PASS


# ---------------------------------------------------------------- drills


def test_a_drill_verdict_is_the_journals_verdict_object_only() -> None:
    assert assessment.drill_verdict({"verdict": {"passed": True}}) == {"passed": True}
    assert assessment.drill_verdict({"verdict": [1]}) == {}
    assert assessment.drill_verdict({}) == {}


@pytest.mark.parametrize(
    ("verdict", "unit", "shown"),
    [
        ({"switch": 12.3}, "s", "12.3 s"),
        ({"switch": 12.3}, "", "12.3"),
        ({"switch": 0}, "s", "0 s"),
        ({"switch": None, "unknown": {"switch": "no probe answered"}}, "s", "unknown (no probe answered)"),
        ({"unknown": {"switch": "lab down"}}, "s", "unknown (lab down)"),
        ({"switch": True, "unknown": {"switch": "a bool is no number"}}, "s", "unknown (a bool is no number)"),
        ({"switch": False}, "s", "unknown"),
        ({"unknown": {"other": "x"}}, "s", "unknown"),
        ({"unknown": {"switch": ""}}, "s", "unknown"),
        ({"unknown": "lab down"}, "s", "unknown"),
        ({"unknown": None}, "", "unknown"),
    ],
)
def test_a_drill_number_reads_with_its_unit_or_as_unknown_with_why(verdict: dict[str, Any], unit: str, shown: str) -> None:
    assert assessment.drill_measure(verdict, "switch", unit) == shown


def test_a_drill_number_has_no_unit_by_default() -> None:
    assert assessment.drill_measure({"switch": 4}, "switch") == "4"


@pytest.mark.parametrize(("passed", "counts"), [(True, True), ("true", False), (1, False), (False, False), (None, False)])
def test_only_the_boolean_true_passes_a_drill(passed: Any, counts: bool) -> None:
    assert assessment.drill_passed({"verdict": {"passed": passed}}) is counts
    assert assessment.drill_passed({"verdict": {}}) is False
    assert assessment.drill_passed({"passed": True}) is False  # not inside the verdict


# ---------------------------------------------------------------- what fails a run


def _clean_run(**fields: Any) -> Assessment:
    env = _env([_finding("A1", PASS), _finding("B2", FAIL, WAIVER), _finding("ZZ", FAIL)])  # ZZ: no control of the catalogue
    return _run([env], **fields)


def test_a_clean_run_does_not_fail() -> None:
    run = _clean_run(checkov=[CheckovResult("hcl", available=True), CheckovResult("plan:e", available=False, error="not installed")])
    run.drills.append({"verdict": {"passed": True}})
    assert not run.failed and run.checkov_gate == [] and run.failed_drills == []


def test_a_failing_control_alone_fails_the_run() -> None:
    run = _clean_run()
    run.environments.append(_env([_finding("D4", UNKNOWN)], "other"))
    assert run.failed


def test_a_waiver_problem_alone_fails_the_run() -> None:
    problems = [_finding(waivers.WAIVER_CONTROL, FAIL)]
    assert _clean_run(waivers=waivers.WaiverSet(source=None, valid=[], problems=problems)).failed


def test_a_checkov_error_alone_fails_the_run() -> None:
    run = _clean_run(checkov=[CheckovResult("plan:e", available=True, error="exited 2")])
    assert run.checkov_gate == [] and run.failed


def test_a_gating_checkov_failure_alone_fails_the_run() -> None:
    assert _clean_run(checkov=[CheckovResult("hcl", available=True, failed=[_item("CKV_A", ["A1"])])]).failed


def test_a_failed_drill_alone_fails_the_run() -> None:
    journal = {"verdict": {"passed": "true"}}
    run = _clean_run(drills=[{"verdict": {"passed": True}}, journal])
    assert run.failed_drills == [journal] and run.failed


# ---------------------------------------------------------------- checkov's gate


def test_the_gate_lists_hcl_failures_errors_and_unmapped_plan_failures_in_order() -> None:
    hcl = [
        _item("CKV_A", ["A1"]),
        _item("CKV_E", ["A1"], "error"),
        _item("CKV_W", ["A1"], "waived"),
        _item("CKV_U", [], "unverifiable_at_plan"),
    ]
    plan = [
        _item("CKV_C", ["C3"]),  # mapped: fails through C3's findings, not here
        _item("CKV_N", None),  # no controls at all
        _item("CKV_Z", ["ZZ"]),  # mapped only to an id outside the catalogue
        _item("CKV_R", ["C3"], "error"),  # an error gates even when mapped
    ]
    run = _run(checkov=[CheckovResult("hcl", True, failed=hcl), CheckovResult("plan:e", True, failed=plan)])
    assert [(scope, item["check_id"]) for scope, item in run.checkov_gate] == [
        ("hcl", "CKV_A"),
        ("hcl", "CKV_E"),
        ("plan:e", "CKV_N"),
        ("plan:e", "CKV_Z"),
        ("plan:e", "CKV_R"),
    ]
    assert run.checkov_gate[0][1] is hcl[0]


def test_a_scan_whose_scope_only_looks_like_a_plan_still_gates_mapped_failures() -> None:
    run = _run(checkov=[CheckovResult("hcl:plan:e", True, failed=[_item("CKV_C", ["C3"])])])
    assert [item["check_id"] for _, item in run.checkov_gate] == ["CKV_C"]


def test_a_failure_is_skipped_with_its_controls_only_when_all_of_them_are_skipped() -> None:
    scans = [CheckovResult("hcl", True, failed=[_item("CKV_A", ["A1"]), _item("CKV_S", ["B2", "C3"]), _item("CKV_X", ["A1", "ZZ"])])]
    run = _run(checkov=scans, skipped={"A1": SKIP_CHECK, "B2": SKIP_CHECK})
    assert [item["check_id"] for _, item in run.checkov_gate] == ["CKV_S"]
    run.skipped["C3"] = NOT_SELECTED
    assert run.checkov_gate == [] and not run.failed
    errors = [CheckovResult("plan:e", True, failed=[_item("CKV_R", ["A1"], "error"), _item("CKV_Q", ["ZZ"], "error")])]
    run.checkov[:] = errors  # a plan-scope error of a skipped control is skipped too; one mapped to nothing known is not
    assert [item["check_id"] for _, item in run.checkov_gate] == ["CKV_Q"]


# ---------------------------------------------------------------- counts


def test_counts_tally_each_environments_controls_by_status() -> None:
    first = _env([_finding("A1", FAIL), _finding("B2", FAIL, WAIVER), _finding("C3", NOT_APPLICABLE), _finding("D4", PASS)], "first")
    second = _env([_finding("A1", PASS), _finding("B2", UNKNOWN), _finding("C3", FAIL)], "second")
    assert _run([first, second]).counts() == {
        "first": {PASS: 2, FAIL: 1, "waived": 1, NOT_APPLICABLE: 1},
        "second": {PASS: 3, FAIL: 2, "waived": 0, NOT_APPLICABLE: 0},
    }
    assert _run([]).counts() == {}


# ---------------------------------------------------------------- module sources


def _plan(data: dict[str, Any]) -> model.Plan:
    return model.from_dict({"format_version": "1.2", "resource_changes": [], **data}, "scratch")


def test_module_sources_follow_nested_local_modules_only(tmp_path: Path) -> None:
    env_dir = tmp_path / "environments" / "prod"
    calls = {
        "kms": {
            "source": "../../modules/kms",
            "module": {"module_calls": {"alias": {"source": "./alias", "module": {"module_calls": {"deep": {"source": "../deep"}}}}}},
        },
        "vpc": {"source": "terraform-aws-modules/vpc/aws", "module": {"module_calls": {"inner": {"source": "./inner"}}}},
        "git": {"source": "git::https://example.com/m.git"},
        "nosource": {},
        "leaf": {"source": "./leaf"},
    }
    plan = _plan({"configuration": {"root_module": {"module_calls": calls}}})
    kms = (tmp_path / "modules" / "kms").resolve()
    assert assessment.module_sources(env_dir, plan) == {
        "module.kms": kms,
        "module.kms.module.alias": kms / "alias",
        "module.kms.module.alias.module.deep": kms / "deep",
        "module.leaf": env_dir.resolve() / "leaf",
    }


def test_module_sources_of_a_plan_without_configuration_or_environment_are_empty(tmp_path: Path) -> None:
    assert assessment.module_sources(tmp_path, _plan({})) == {}
    assert assessment.module_sources(tmp_path, _plan({"configuration": {}})) == {}
    # intake refuses nulls there; a plan model built by hand (as tests and tools do) may still hold them
    assert assessment.module_sources(tmp_path, model.Plan(None, {"configuration": {"root_module": {"module_calls": None}}}, [], {})) == {}
    plan = model.Plan(None, {"configuration": {"root_module": {"module_calls": {"m": {"source": "./m", "module": None}}}}}, [], {})
    assert assessment.module_sources(tmp_path, plan) == {"module.m": (tmp_path / "m").resolve()}
    assert assessment.module_sources(None, plan) == {}


# ---------------------------------------------------------------- stack profile


def test_a_plan_made_elsewhere_gets_the_generic_profile_and_a_stack_without_one_gets_every_control(tmp_path: Path) -> None:
    plan = _plan({})
    foreign = assessment.stack_profile("elsewhere", plan, None)
    assert foreign.generic and "R1" in foreign.skip and foreign.name == "elsewhere"
    stack = assessment.stack_profile("elsewhere", plan, Environment("elsewhere", tmp_path, None, None))
    assert not stack.generic and stack.skip == () and stack.name == "elsewhere" and stack.requires == foreign.requires
    configured = Environment("mine", tmp_path, None, None, profile={"min_azs": 5, "skip": ("R1",)})
    own = assessment.stack_profile("mine", plan, configured)
    assert own.min_azs == 5 and own.skip == ("R1",) and not own.generic


# ---------------------------------------------------------------- --check / --skip-check


@pytest.mark.parametrize(
    ("check", "skip", "expected"),
    [
        ([], [], {}),
        (["a1"], [], {"B2": NOT_SELECTED, "C3": NOT_SELECTED, "D4": NOT_SELECTED, "X9": NOT_SELECTED}),
        (["ckv_a, D4"], [], {"B2": NOT_SELECTED, "C3": NOT_SELECTED, "X9": NOT_SELECTED}),
        (["A-CONFIG-RULE"], [], {"B2": NOT_SELECTED, "C3": NOT_SELECTED, "D4": NOT_SELECTED, "X9": NOT_SELECTED}),
        (["Ckv_Shared"], [], {"A1": NOT_SELECTED, "D4": NOT_SELECTED, "X9": NOT_SELECTED}),
        (["HIGH"], [], {"A1": NOT_SELECTED, "B2": NOT_SELECTED, "X9": NOT_SELECTED}),
        (["A1,high"], [], {"B2": NOT_SELECTED, "X9": NOT_SELECTED}),  # a severity adds to the ids named before it
        (["medium"], [], {"A1": NOT_SELECTED, "X9": NOT_SELECTED}),
        (["low"], [], {"X9": NOT_SELECTED}),
        (["critical"], [], {"A1": NOT_SELECTED, "B2": NOT_SELECTED, "C3": NOT_SELECTED, "X9": NOT_SELECTED}),
        ([], ["medium"], {"A1": SKIP_CHECK, "B2": SKIP_CHECK}),
        ([], ["low"], {"A1": SKIP_CHECK}),
        ([], ["critical"], {"A1": SKIP_CHECK, "B2": SKIP_CHECK, "C3": SKIP_CHECK, "D4": SKIP_CHECK}),
        ([], ["c3", "ckv_a"], {"A1": SKIP_CHECK, "C3": SKIP_CHECK}),
        (["A1", "B2"], ["b2"], {"B2": SKIP_CHECK, "C3": NOT_SELECTED, "D4": NOT_SELECTED, "X9": NOT_SELECTED}),  # --skip-check wins
    ],
)
def test_check_and_skip_check_name_controls_by_id_checkov_id_or_severity(
    check: list[str], skip: list[str], expected: dict[str, str]
) -> None:
    assert assessment.skipped_controls(check, skip, CATALOGUE) == expected


def test_skip_check_by_a_severity_skips_that_severity_and_lower_of_the_real_catalogue() -> None:
    catalogue = engine.catalogue()
    skipped = assessment.skipped_controls([], ["low"], catalogue)
    assert skipped and set(skipped) == {c.id for c in catalogue.values() if c.severity == "low"}
    assert set(skipped.values()) == {"--skip-check"}


@pytest.mark.parametrize(
    ("check", "skip", "message"),
    [
        (["A1,,B2"], [], "--check: empty entry in a comma-separated list"),
        ([" "], [], "--check: empty entry in a comma-separated list"),
        ([], ["A1,"], "--skip-check: empty entry in a comma-separated list"),
        (
            ["nope"],
            [],
            "--check nope: not a control id, a checkov id of the catalogue or a severity (low, medium, high, critical); "
            "see `tapguard check --list`",
        ),
        (
            [],
            ["unrated"],
            "--skip-check unrated: not a control id, a checkov id of the catalogue or a severity (low, medium, high, critical); "
            "see `tapguard check --list`",
        ),
        (["x" * 40], [], f"--check {'x' * 40}: not a control id"),
        (["y" * 41], [], f"--check {'y' * 40!r}: not a control id"),
        (["bad\x1b[31mred"], [], "--check 'bad\\x1b[31mred': not a control id"),
    ],
)
def test_a_bad_check_name_is_one_line_of_bad_input(check: list[str], skip: list[str], message: str) -> None:
    with pytest.raises(TapguardError) as caught:
        assessment.skipped_controls(check, skip, CATALOGUE)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)
    if "not a control id" in message:
        assert str(caught.value).endswith("; see `tapguard check --list`")


# ---------------------------------------------------------------- skips


def test_a_skipped_control_keeps_one_not_applicable_finding_saying_why() -> None:
    kept = _finding("A1", FAIL)
    env = _env([kept, _finding("C3", FAIL), _finding("B2", PASS), _finding("C3", PASS)], "prod")
    assessment.apply_skips(env, {"C3": SKIP_CHECK, "B2": NOT_SELECTED})
    assert env.findings == [
        kept,
        Finding("B2", "prod", "*", "", NOT_APPLICABLE, None, None, "skipped: not selected by --check"),
        Finding("C3", "prod", "*", "", NOT_APPLICABLE, None, None, "skipped: --skip-check"),
    ]
    assert env.status_of("C3") == NOT_APPLICABLE and env.status_of("A1") == FAIL


def test_no_skip_leaves_the_findings_untouched() -> None:
    findings = [_finding("A1", FAIL)]
    env = _env(findings)
    assessment.apply_skips(env, {})
    assert env.findings is findings


# ---------------------------------------------------------------- checkov's findings


def test_checkov_plan_failures_become_findings_of_their_controls_in_their_environment() -> None:
    prod, stage, hcl_env = _env([], "prod"), _env([], "stage"), _env([], "hcl")
    run = _run([prod, stage, hcl_env], skipped={"D4": SKIP_CHECK})
    full = _item("CKV_A", ["A1", "ZZ", "D4", "C3"], resource="aws_kms_key.k", evaluated_keys=["rotation", "", "policy"], waiver=WAIVER)
    bare = {"check_id": "CKV_B", "status": "failed", "controls": ["B2"], "resource": None, "check_name": None}
    run.checkov = [
        CheckovResult(
            "plan:prod", True, failed=[_item("CKV_U", ["A1"], "unverifiable_at_plan"), full, _item("CKV_E", ["A1"], "error"), bare]
        ),
        CheckovResult("plan:gone", True, failed=[_item("CKV_A", ["A1"])]),
        CheckovResult("hcl", True, failed=[_item("CKV_A", ["A1"])]),
        CheckovResult("prod", True, failed=[_item("CKV_A", ["A1"])]),
        CheckovResult(
            "plan:stage",
            True,
            failed=[_item("CKV_A", ["A1"], "waived", check_name="key rotation:"), _item("CKV_X", ["B2"], check_name="key X")],
        ),
    ]
    assessment.checkov_findings(run)
    assert prod.findings == [
        Finding("A1", "prod", "aws_kms_key.k", "rotation, policy", FAIL, "checkov CKV_A failed", "checkov CKV_A passes",
                "checkov CKV_A fails: a check", WAIVER),
        Finding("C3", "prod", "aws_kms_key.k", "rotation, policy", FAIL, "checkov CKV_A failed", "checkov CKV_A passes",
                "checkov CKV_A fails: a check", WAIVER),
        Finding("B2", "prod", "", "", FAIL, "checkov CKV_B failed", "checkov CKV_B passes", "checkov CKV_B fails", None),
    ]  # fmt: skip
    assert stage.findings == [
        Finding("A1", "stage", "aws_kms_key.x", "", FAIL, "checkov CKV_A failed", "checkov CKV_A passes",
                "checkov CKV_A fails: key rotation"),
        Finding("B2", "stage", "aws_kms_key.x", "", FAIL, "checkov CKV_X failed", "checkov CKV_X passes", "checkov CKV_X fails: key X"),
    ]  # fmt: skip
    assert hcl_env.findings == []
    assert prod.status_of("A1") == "waived" and prod.status_of("B2") == FAIL and prod.status_of("D4") == PASS


# ---------------------------------------------------------------- --plan-json


def test_plan_json_pairs_name_an_environment_once_each() -> None:
    assert assessment.parse_plan_json_args([]) == {}
    assert assessment.parse_plan_json_args(["prod=a/b.json", "x=y=z"]) == {"prod": Path("a/b.json"), "x": Path("y=z")}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["prod"], "--plan-json takes ENV=PATH, got 'prod'"),
        (["=p.json"], "--plan-json takes ENV=PATH, got '=p.json'"),
        (["prod="], "--plan-json takes ENV=PATH, got 'prod='"),
        (["prod=a.json", "prod=b.json"], "--plan-json names environment 'prod' twice"),
    ],
)
def test_a_bad_plan_json_value_is_one_line_of_bad_input(values: list[str], message: str) -> None:
    with pytest.raises(TapguardError) as caught:
        assessment.parse_plan_json_args(values)
    assert str(caught.value) == message


def test_plans_come_from_the_runner_and_from_plan_json_which_wins(tmp_path: Path) -> None:
    given = tmp_path / "given.json"
    given.write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
    planned = [PlanResult("prod", tmp_path / "prod.json", 1.0, True), PlanResult("stage", tmp_path / "stage.json", 1.0, False)]
    plans = assessment.plans_from_args(["stage=" + str(given), "other=" + str(given)], planned)
    assert list(plans) == ["prod", "stage", "other"]
    assert plans["prod"].path == tmp_path / "prod.json" and plans["prod"].label == "plan of prod"
    assert plans["stage"].label == f"--plan-json stage={given}" and plans["stage"].path != given
    assert plans["other"].environment == "other"
    assert list(assessment.plans_from_args({"x": given}, [])) == ["x"]


# ---------------------------------------------------------------- tool versions


def test_tool_versions_name_every_tool_and_say_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.version

    def version(dist: str) -> str:
        if dist == "moto":
            raise importlib.metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(importlib.metadata, "version", version)
    found = assessment.tool_versions()
    assert list(found) == ["tapguard", "python", "checkov", "moto", "boto3", "pytest", "rich"]
    assert found["tapguard"] == tapguard.__version__ and found["python"] == platform.python_version()
    assert found["moto"] == "not installed" and found["pytest"] == real("pytest") and found["rich"] == real("rich")
    assert found["checkov"] == real("checkov") and found["boto3"] == real("boto3")
    extra = assessment.tool_versions({"terraform": "1.11.4", "python": "3.0"})
    assert extra["terraform"] == "1.11.4" and extra["python"] == "3.0"


# ---------------------------------------------------------------- one environment, one run

RESOURCES = {
    'aws_s3_bucket.x["a"]': "aws_s3_bucket",
    "aws_db_instance.d": "aws_db_instance",
    "aws_made_up_thing.t": "aws_made_up_thing",
    "aws_other_unknown.u": "aws_other_unknown",
}


def _scratch(tmp_path: Path, module_calls: dict[str, Any] | None = None, region: str | None = None, bucket: str | None = None) -> Path:
    changes, values = [], []
    for address, kind in RESOURCES.items():
        name = address.split(".")[1].split("[")[0]
        after = {"bucket": bucket} if bucket and kind == "aws_s3_bucket" else {}
        changes.append(
            {"address": address, "mode": "managed", "type": kind, "name": name, "change": {"actions": ["create"], "after": after}}
        )
        values.append({"address": address, "mode": "managed", "type": kind, "name": name, "values": after})
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"resources": values}},
        "resource_changes": changes,
        "configuration": {"root_module": {"module_calls": module_calls or {}}},
    }
    if region:
        plan["configuration"]["provider_config"] = {"aws": {"name": "aws", "expressions": {"region": {"constant_value": region}}}}
    path = tmp_path / "scratch.json"
    path.write_text(json.dumps(plan))
    return path


def _waiver_file(tmp_path: Path) -> Path:
    import yaml

    good = {**WAIVER, "control": "E8", "address": "aws_db_instance.d"}
    expired = {**WAIVER, "control": "L11", "address": "aws_db_instance.d", "expires": "2020-01-01"}
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": [good, expired]}))
    return path


def test_coverage_counts_classed_resources_and_names_the_unknown_types(tmp_path: Path) -> None:
    plan = model.load(_scratch(tmp_path))
    coverage = assessment._coverage(plan)
    assert coverage == Coverage(2, 4, ("aws_made_up_thing", "aws_other_unknown"))
    assert coverage.line() == "2/4 resources assessed; unassessed types: aws_made_up_thing, aws_other_unknown"
    assert coverage.as_dict() == {"assessed": 2, "total": 4, "unassessed_types": ["aws_made_up_thing", "aws_other_unknown"]}
    assert Coverage(3, 3, ()).line() == "3/3 resources assessed"


def test_an_environment_result_carries_its_plan_waivers_and_coverage(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    (stack / "mod").mkdir(parents=True)
    (stack / "main.tf").write_text('module "m" {\n  source = "./mod"\n}\n')
    (stack / "mod" / "main.tf").write_text("")
    path = _scratch(stack, {"m": {"source": "./mod"}}, region="eu-central-1")
    waiver_set = waivers.load(_waiver_file(tmp_path), [*engine.catalogue(), waivers.WAIVER_CONTROL])
    assert len(waiver_set.problems) == 1
    source = AdmittedPlan("scratch", path, "label")
    result = assessment.evaluate_environment("scratch", source, Environment("scratch", stack, None, None), waiver_set)
    assert result.name == "scratch" and result.plan_path == path and result.source is source
    assert result.plan_sha256 == source.digest and len(result.plan_sha256) == 64
    assert result.terraform_version == "1.11.4" and result.region == "eu-central-1"
    assert result.summary == source.model().summary() and result.summary["add"] == 4
    assert result.hcl_dirs == [stack.resolve(), (stack / "mod").resolve()]
    assert result.module_sources == {"module.m": (stack / "mod").resolve()}
    assert result.coverage == Coverage(2, 4, ("aws_made_up_thing", "aws_other_unknown"))
    assert not [f for f in result.findings if f in waiver_set.problems]  # reported once for the run
    assert result.status_of("E8") == FAIL and result.status_of("L11") == FAIL  # the bucket fails; the expired waiver waives nothing
    assert {f.address: bool(f.waiver) for f in result.findings_of("E8")}['aws_s3_bucket.x["a"]'] is False
    assert [f.waiver["ticket"] for f in result.findings_of("E8") if f.address == "aws_db_instance.d"] == ["T-1"]
    generic = "stack-specific control: not run under the generic profile"
    assert result.findings_of("R1") and generic not in [f.message for f in result.findings_of("R1")]  # a stack: every control runs
    assert [f.message for f in result.findings_of("D1")] == ["no resource blocks found in the HCL directories"]  # its HCL is read
    alone = assessment.evaluate_environment("scratch", path, None, waiver_set)
    assert alone.hcl_dirs == [] and alone.module_sources == {}
    assert [(f.actual, f.message) for f in alone.findings_of("R1")] == [("scratch", generic)]


def test_assess_judges_each_plan_applies_skips_and_releases_the_plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assessment, "git_sha", lambda root: f"sha of {root}")
    source = AdmittedPlan("scratch", _scratch(tmp_path), "label")
    run = assessment.assess(
        tmp_path,
        [],
        {"scratch": source},
        _waiver_file(tmp_path),
        use_checkov=False,
        extra_tools={"terraform": "9.9"},
        skipped={"R12": SKIP_CHECK},
    )
    assert run.catalogue == engine.catalogue() and run.checkov == [] and run.git_sha == f"sha of {tmp_path}"
    assert run.tools["terraform"] == "9.9" and run.tools["tapguard"] == tapguard.__version__
    assert run.skipped == {"R12": SKIP_CHECK} and run.started.tzinfo is dt.UTC and run.finished is not None
    assert run.started <= run.finished <= dt.datetime.now(dt.UTC)
    assert [(p.control, p.address) for p in run.waivers.problems] == [("L11", "waivers.yaml#waivers[1]")] and run.failed
    (env,) = run.environments
    assert env.name == "scratch" and env.source is source and source._model is None and source.loads == 1
    assert env.findings_of("R12") == [Finding("R12", "scratch", "*", "", NOT_APPLICABLE, None, None, "skipped: --skip-check")]
    assert env.status_of("E8") == FAIL and env.status_of("L11") == FAIL
    assert env.coverage == Coverage(2, 4, ("aws_made_up_thing", "aws_other_unknown"))
    assert assessment.assess(tmp_path, [], {"scratch": source}, None, use_checkov=False).skipped == {}


def test_a_waiver_problem_is_reported_once_for_the_run_not_in_each_environment(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    plans = {"one": _scratch(tmp_path / "1"), "two": _scratch(tmp_path / "2")}
    run = assessment.assess(tmp_path, [], plans, _waiver_file(tmp_path), use_checkov=False)
    assert len(run.waivers.problems) == 1 and run.failed
    for env in run.environments:
        assert [f.address for f in env.findings if f.environment == "*"] == []


def test_the_config_can_forbid_scope_all_waivers_for_the_run(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "tapguard.toml").write_text("forbid_scope_all = true\n")
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": [{**WAIVER, "control": "E8", "address": "*", "scope": "all"}]}))
    run = assessment.assess(tmp_path, [], {"scratch": _scratch(tmp_path)}, path, use_checkov=False)
    assert not run.waivers.valid and "forbid_scope_all" in run.waivers.problems[0].message


class _FakeScans:
    """checkov's scans replaced by records of how assess() asked for them (checkov itself is tested in its own files)."""

    def __init__(self, pause: float = 0.0) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.given: list[tuple[Any, Any]] = []  # (catalogue, waiver set) each scan was given
        self.threads: set[str] = set()
        self.pause, self.active, self.peak = pause, 0, 0
        self.lock = threading.Lock()

    def hcl_reports(self, root: Path, cache: bool) -> list[dict[str, Any]]:
        self.calls.append(("hcl_reports", root, cache))
        return [{"from": "disk"}]

    def scan_hcl(self, root: Path, catalogue: Any, waiver_set: Any, reports: Any) -> CheckovResult:
        self.calls.append(("scan_hcl", root, reports))
        self.given.append((catalogue, waiver_set))
        return CheckovResult("hcl", True, failed=[_item("CKV_H", ["E8"])])

    def scan_plan(self, name: str, plan: AdmittedPlan, root: Path, catalogue: Any, waiver_set: Any, hcl: Any, cache: bool) -> CheckovResult:
        with self.lock:
            self.calls.append(("scan_plan", name, root, hcl.scope if hcl else hcl, cache))
            self.given.append((catalogue, waiver_set))
            self.threads.add(threading.current_thread().name.rsplit("_", 1)[0])
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(self.pause)
        with self.lock:
            self.active -= 1
        assert plan.path.is_file() and plan.environment == name
        return CheckovResult(f"plan:{name}", True, failed=[_item("CKV_P", ["NM1"], resource="aws_db_instance.d")])


def _faked(monkeypatch: pytest.MonkeyPatch, pause: float = 0.0) -> _FakeScans:
    fake = _FakeScans(pause)
    for name in ("hcl_reports", "scan_hcl", "scan_plan"):
        monkeypatch.setattr(checkov, name, getattr(fake, name))
    return fake


def test_assess_with_checkov_scans_the_hcl_for_own_stacks_and_adds_plan_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _faked(monkeypatch)
    stack = tmp_path / "stack"
    stack.mkdir()
    envs = [Environment("mine", stack, None, None)]
    plans = {"mine": _scratch(stack), "foreign": _scratch(tmp_path)}
    run = assessment.assess(tmp_path, envs, plans, None, use_checkov=True, checkov_cache=False, skipped={"R1": SKIP_CHECK})
    assert sorted(fake.calls, key=str) == [
        ("hcl_reports", tmp_path, False),
        ("scan_hcl", tmp_path, [{"from": "disk"}]),
        ("scan_plan", "foreign", tmp_path, None, False),  # a plan made elsewhere is not reconciled against this repo's HCL
        ("scan_plan", "mine", tmp_path, "hcl", False),
    ]
    assert all(catalogue is run.catalogue and waiver_set is run.waivers for catalogue, waiver_set in fake.given) and len(fake.given) == 3
    assert [scan.scope for scan in run.checkov] == ["hcl", "plan:mine", "plan:foreign"]
    for env in run.environments:
        assert [f.message for f in env.findings_of("NM1") if f.message.startswith("checkov")] == ["checkov CKV_P fails: a check"]
    assert [item["check_id"] for _, item in run.checkov_gate] == ["CKV_H"]
    assert run.environments[0].hcl_dirs == [stack.resolve()] and run.environments[1].hcl_dirs == []

    given: Future[Any] = Future()
    given.set_result([{"from": "future"}])
    fake.calls.clear()
    assessment.assess(tmp_path, envs, {"mine": plans["mine"]}, None, use_checkov=True, hcl_scan=given)
    assert fake.calls == [("scan_hcl", tmp_path, [{"from": "future"}]), ("scan_plan", "mine", tmp_path, "hcl", True)]
    fake.calls.clear()
    foreign_only = assessment.assess(tmp_path, envs, {"foreign": plans["foreign"]}, None, use_checkov=True)
    assert fake.calls == [("scan_plan", "foreign", tmp_path, None, True)] and [s.scope for s in foreign_only.checkov] == ["plan:foreign"]


def test_plan_scans_run_two_at_a_time_on_named_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _faked(monkeypatch, pause=0.2)
    plans = {}
    for name in ("one", "two", "three"):
        (tmp_path / name).mkdir()
        plans[name] = _scratch(tmp_path / name)
    run = assessment.assess(tmp_path, [], plans, None, use_checkov=True)
    assert [scan.scope for scan in run.checkov] == ["plan:one", "plan:two", "plan:three"]
    assert fake.peak <= 2 and fake.threads == {"checkov-plan"}  # one checkov process per plan, never more than two


def test_a_stack_whose_profile_names_the_trail_owner_is_answered_from_the_owners_plan(tmp_path: Path) -> None:
    owner, other = tmp_path / "owner", tmp_path / "other"
    owner.mkdir()
    other.mkdir()
    envs = [Environment("owner", owner, None, None), Environment("other", other, None, None, profile={"trail_owner": "owner"})]
    plans = {"owner": _scratch(owner, bucket="one-name"), "other": _scratch(other, bucket="one-name")}
    same = assessment.assess(tmp_path, envs, plans, None, use_checkov=False)
    assert [f.message for f in same.environments[1].findings_of("L1")] == [
        "owner declares no multi-region trail: this stack's API activity is not recorded"
    ]
    clash = 'account-wide name used twice: aws_s3_bucket.x["a"] and [owner] aws_s3_bucket.x["a"] collide in one account'
    assert clash in [f.message for f in same.environments[1].findings_of("AC1")]  # the stacks of one account compared
    (tmp_path / "tapguard.toml").write_text('[accounts]\nshared = [["owner", "x"], ["other", "y"]]\n')
    apart = assessment.assess(tmp_path, envs, plans, None, use_checkov=False)
    assert [f.message for f in apart.environments[1].findings_of("L1")] == [
        "trail owner owner is not declared to share this stack's account (accounts.shared)"
    ]
    assert clash not in [f.message for f in apart.environments[1].findings_of("AC1")]


def test_a_known_stacks_profile_names_its_trail_owner(tmp_path: Path) -> None:
    envs = [Environment(name, tmp_path / name, None, None) for name in ("us-west-2", "eu-west-1")]
    for env in envs:
        env.path.mkdir()
    run = assessment.assess(tmp_path, envs, {env.name: _scratch(env.path) for env in envs}, None, use_checkov=False)
    assert [f.message for f in run.environments[1].findings_of("L2")] == [
        "us-west-2 declares no multi-region trail: this stack's API activity is not recorded"
    ]
