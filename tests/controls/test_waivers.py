"""Waivers: a valid one covers its failure only (its control, its address, its environment); an expired, unknown or
too broad one fails again; one of the wrong shape is bad input naming the field."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tapguard import controls
from tapguard.controls import FAIL, assessment, waivers
from tapguard.foundation.errors import TapguardError
from tapguard.planning import project
from tests.conftest import set_after


def _waiver_file(tmp_path: Path, **override: Any) -> Path:
    entry = {
        "control": "E1",
        "address": "module.aurora.*",
        "reason": "migration in progress",
        "owner": "platform@example.com",
        "ticket": "SEC-42",
        "expires": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        **override,
    }
    path = tmp_path / "waivers.yaml"
    import yaml

    path.write_text(yaml.safe_dump({"waivers": [{k: v for k, v in entry.items() if v is not None}]}))
    return path


def _violating(fresh: Any, tmp_path: Path) -> Path:
    data = fresh("eu-west-1")
    set_after(data, "module.aurora.aws_rds_cluster.this", "storage_encrypted", False)
    plan = tmp_path / "eu.json"
    plan.write_text(json.dumps(data))
    return plan


def test_a_valid_waiver_covers_the_failure_and_is_reported_used(fresh: Any, tmp_path: Path, root: Path, env_plans: dict[str, Path]) -> None:
    # with the owner of the account trail: eu-west-1 alone cannot verify its L1/L2 (unknown, never a pass)
    plans = {"eu-west-1": _violating(fresh, tmp_path), "us-west-2": env_plans["us-west-2"]}
    run = assessment.assess(root, project.environments(root), plans, _waiver_file(tmp_path), use_checkov=False)
    assert not run.failed
    assert run.environments[0].status_of("E1") == "waived"
    assert run.waivers.report()["used"][0]["ticket"] == "SEC-42"


def test_an_expired_waiver_fails_the_control_again(fresh: Any, tmp_path: Path, root: Path) -> None:
    path = _waiver_file(tmp_path, expires="2020-01-01")
    run = assessment.assess(root, project.environments(root), {"eu-west-1": _violating(fresh, tmp_path)}, path, use_checkov=False)
    assert run.failed and run.environments[0].status_of("E1") == FAIL
    assert any("EXPIRED on 2020-01-01" in p.message and p.control == "E1" for p in run.waivers.problems)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"owner": None}, "waivers[0]: missing owner"),
        ({"expires": "next week"}, "waivers[0].expires: 'next week' is not YYYY-MM-DD"),
        ({"checkov": "CKV_AWS_1"}, "waivers[0].checkov: expected a list of checkov check ids, got a string"),
    ],
)
def test_malformed_waivers_are_bad_input(tmp_path: Path, override: dict[str, Any], message: str) -> None:
    with pytest.raises(TapguardError, match=re.escape(message)):
        waivers.load(_waiver_file(tmp_path, **override), [*controls.catalogue(), waivers.WAIVER_CONTROL])


def test_a_waiver_for_an_unknown_control_fails_loudly(tmp_path: Path) -> None:
    loaded = waivers.load(_waiver_file(tmp_path, control="Z9"), [*controls.catalogue(), waivers.WAIVER_CONTROL])
    assert not loaded.valid and len(loaded.problems) == 1
    assert "unknown control 'Z9'" in loaded.problems[0].message and loaded.problems[0].status == FAIL


def test_unused_waivers_are_reported(tmp_path: Path, env_plans: dict[str, Path], root: Path) -> None:
    run = assessment.assess(
        root, project.environments(root), {"eu-west-1": env_plans["eu-west-1"]}, _waiver_file(tmp_path), use_checkov=False
    )
    assert run.waivers.report()["unused"][0]["control"] == "E1"


def test_waiver_file_that_is_not_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "waivers.yaml"
    bad.write_text("waivers: [\n")
    with pytest.raises(TapguardError, match="not valid YAML"):
        waivers.load(bad, ["E1"])


def test_the_example_waiver_file_is_valid(root: Path) -> None:
    loaded = waivers.load(root / "waivers.example.yaml", [*controls.catalogue(), waivers.WAIVER_CONTROL])
    assert loaded.valid and not loaded.problems


# ---------------------------------------------------------------- matching (issue 22: each clause of covers() pinned)

SCRATCH_PLAN_RESOURCES = {
    'aws_s3_bucket.x["a"]': "aws_s3_bucket",
    'aws_s3_bucket.x["b"]': "aws_s3_bucket",
    "aws_db_instance.d": "aws_db_instance",
}


def _scratch_plan(tmp_path: Path) -> Path:
    """A plan made elsewhere: two for_each buckets and a database, each failing E8, L11, N2 and R12 (no profile needed)."""
    changes, values = [], []
    for address, kind in SCRATCH_PLAN_RESOURCES.items():
        name = address.split(".")[1].split("[")[0]
        changes.append({"address": address, "mode": "managed", "type": kind, "name": name, "change": {"actions": ["create"], "after": {}}})
        values.append({"address": address, "mode": "managed", "type": kind, "name": name, "values": {}})
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"resources": values}},
        "resource_changes": changes,
        "configuration": {"root_module": {}},
    }
    path = tmp_path / "scratch.json"
    path.write_text(json.dumps(plan))
    return path


def _entries(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    import yaml

    base = {"reason": "r", "owner": "o@example.com", "ticket": "T-1", "expires": "2099-01-01"}
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": [{**base, **e} for e in entries]}))
    return path


def _waived(run: assessment.Assessment) -> dict[tuple[str, str], bool]:
    """(control, address) -> waived, for every failing finding of the one environment."""
    return {(f.control, f.address): bool(f.waiver) for f in run.environments[0].findings if f.status in (FAIL, "unknown")}


def _assess(root: Path, tmp_path: Path, waiver_file: Path | None, env: str = "scratch") -> assessment.Assessment:
    return assessment.assess(root, [], {env: _scratch_plan(tmp_path)}, waiver_file, use_checkov=False)


def test_the_scratch_plan_fails_two_controls_on_one_address(root: Path, tmp_path: Path) -> None:
    failing = _waived(_assess(root, tmp_path, None))
    assert {("E8", 'aws_s3_bucket.x["a"]'), ("L11", 'aws_s3_bucket.x["a"]')} <= set(failing)


def test_a_waiver_for_one_control_does_not_silence_another_on_the_same_address(root: Path, tmp_path: Path) -> None:
    run = _assess(root, tmp_path, _entries(tmp_path, {"control": "E8", "address": 'aws_s3_bucket.x["a"]'}))
    waived = _waived(run)
    assert waived[("E8", 'aws_s3_bucket.x["a"]')] is True
    assert waived[("L11", 'aws_s3_bucket.x["a"]')] is False  # same address, other control: still failing
    assert waived[("E8", 'aws_s3_bucket.x["b"]')] is False  # same control, the other for_each instance
    assert waived[("E8", "aws_db_instance.d")] is False
    assert run.failed


@pytest.mark.parametrize(
    ("environment", "env", "covered"),
    [
        ("scr*", "scratch", True),
        ("scratc?", "scratch", True),
        ("prod-*", "scratch", False),
        ("scratch", "scratch-2", False),
        ("*", "any", True),
    ],
)
def test_environment_globs(root: Path, tmp_path: Path, environment: str, env: str, covered: bool) -> None:
    entry = {"control": "E8", "address": "aws_db_instance.d", "environment": environment}
    run = _assess(root, tmp_path, _entries(tmp_path, entry), env=env)
    assert _waived(run)[("E8", "aws_db_instance.d")] is covered


@pytest.mark.parametrize(
    ("address", "glob", "matched"),
    [
        ('aws_s3_bucket.x["a"]', 'aws_s3_bucket.x["a"]', True),  # brackets and quotes are literal
        ('aws_s3_bucket.x["a"]', 'aws_s3_bucket.x["b"]', False),
        ("aws_s3_bucket.xa", 'aws_s3_bucket.x["a"]', False),  # fnmatch read ["a"] as a class matching "a"
        ("aws_s3_bucket.x[0]", "aws_s3_bucket.x[0]", True),
        ("aws_s3_bucket.x0", "aws_s3_bucket.x[0-9]", False),
        ("aws_s3_bucket.x[!]", "aws_s3_bucket.x[!]", True),
        ('module.m["k"].aws_s3_bucket.x["a"]', 'module.m["k"].*', True),
        ('aws_s3_bucket.x["a"]', 'aws_s3_bucket.x["?"]', True),
        ('aws_s3_bucket.x["ab"]', 'aws_s3_bucket.x["?"]', False),
        ("aws_s3_bucket.x", "aws_s3_bucket.*", True),
        ("aws_s3_bucket.x", "aws_s3_bucket.", False),
        ("aws_s3_bucket.x", "AWS_S3_BUCKET.X", False),  # case matters on every platform
        ("", "*", True),
        ("abc", "a**c", True),
        ("a" * 3000 + "b", "*a*a*a*a*a*a*a*a*a*a*c", False),  # no exponential backtracking
    ],
)
def test_addresses_match_exactly_with_star_and_question_mark(address: str, glob: str, matched: bool) -> None:
    assert waivers.matches(address, glob) is matched


def test_an_exact_for_each_address_waives_that_instance_only(root: Path, tmp_path: Path) -> None:
    run = _assess(root, tmp_path, _entries(tmp_path, {"control": "E8", "address": 'aws_s3_bucket.x["a"]', "checkov": ["CKV_AWS_19"]}))
    assert _waived(run)[("E8", 'aws_s3_bucket.x["a"]')] and not _waived(run)[("E8", 'aws_s3_bucket.x["b"]')]
    assert run.waivers.checkov_waiver("CKV_AWS_19", 'aws_s3_bucket.x["a"]', "scratch") is not None
    assert run.waivers.checkov_waiver("CKV_AWS_19", "aws_s3_bucket.xa", "scratch") is None
    assert run.waivers.checkov_waiver("CKV_AWS_20", 'aws_s3_bucket.x["a"]', "scratch") is None


# ---------------------------------------------------------------- scope: all


@pytest.mark.parametrize("address", ["*", "*.*", "?*", "**"])
def test_a_waiver_for_every_resource_without_scope_all_is_a_problem(root: Path, tmp_path: Path, address: str) -> None:
    run = _assess(root, tmp_path, _entries(tmp_path, {"control": "E8", "address": address}))
    assert not run.waivers.valid and run.failed
    assert "without `scope: all`" in run.waivers.problems[0].message and run.waivers.problems[0].control == "E8"
    assert not any(_waived(run).values())


def test_scope_all_covers_every_resource_and_is_exposed_with_what_it_hides(root: Path, tmp_path: Path) -> None:
    entries = (
        {"control": "E8", "address": "*", "scope": "all"},
        {"control": "E8", "address": "aws_db_instance.d"},  # named first in matching: not counted against scope all
    )
    run = _assess(root, tmp_path, _entries(tmp_path, *entries))
    assert all(w for (control, _), w in _waived(run).items() if control == "E8")
    assert not any(w for (control, _), w in _waived(run).items() if control != "E8")
    broad = run.scope_all_waivers
    assert [(w["control"], w["address"], w["scope"], w["hides"]) for w in broad] == [("E8", "*", "all", 2)]
    assert run.waivers.report()["scope_all"] == broad


def test_scope_all_with_a_named_address_is_a_problem(root: Path, tmp_path: Path) -> None:
    run = _assess(root, tmp_path, _entries(tmp_path, {"control": "E8", "address": "aws_db_instance.d", "scope": "all"}))
    assert "`scope: all` is for address '*'" in run.waivers.problems[0].message


def test_the_config_can_forbid_scope_all(tmp_path: Path) -> None:
    path = _entries(tmp_path, {"control": "E8", "address": "*", "scope": "all"})
    known = [*controls.catalogue(), waivers.WAIVER_CONTROL]
    assert waivers.load(path, known).valid
    forbidden = waivers.load(path, known, forbid_scope_all=True)
    assert not forbidden.valid and "forbidden by forbid_scope_all" in forbidden.problems[0].message


def test_forbid_scope_all_in_tapguard_toml_fails_the_run(root: Path, tmp_path: Path) -> None:
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (project_dir / "tapguard.toml").write_text("forbid_scope_all = true\n")
    path = _entries(tmp_path, {"control": "E8", "address": "*", "scope": "all"})
    run = assessment.assess(project_dir, [], {"scratch": _scratch_plan(tmp_path)}, path, use_checkov=False)
    assert run.failed and not run.waivers.valid and not run.scope_all_waivers


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"scope": "everything"}, "waivers[0].scope: expected 'all'"),
        ({"scope": True}, "waivers[0].scope: expected 'all' (the waiver covers every resource of its control), got a boolean"),
        ({"address": ["a"]}, "waivers[0].address: expected a string"),
        ({"environment": 3}, "waivers[0].environment: expected a string"),
        ({"owner": ["[/]"]}, "waivers[0].owner: expected a string, got a list"),
        ({"adress": "x"}, "waivers[0].adress: unknown key (known: address, checkov"),
        ({"checkov": [1]}, "waivers[0].checkov[0]: expected a checkov check id, got an integer"),
    ],
)
def test_waivers_of_the_wrong_shape_are_bad_input_naming_the_field(tmp_path: Path, entry: dict[str, Any], message: str) -> None:
    path = _entries(tmp_path, {"control": "E8", "address": "aws_db_instance.d", **entry})
    with pytest.raises(TapguardError) as caught:
        waivers.load(path, [*controls.catalogue(), waivers.WAIVER_CONTROL])
    assert message in str(caught.value) and "\n" not in str(caught.value)
