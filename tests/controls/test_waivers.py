"""Waivers: a valid one covers its failure and is reported used; an expired or malformed one fails again."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tapguard import controls
from tapguard.controls import FAIL, assessment, waivers
from tapguard.errors import TapguardError
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


def test_a_valid_waiver_covers_the_failure_and_is_reported_used(fresh: Any, tmp_path: Path, root: Path) -> None:
    run = assessment.assess(
        root, project.environments(root), {"eu-west-1": _violating(fresh, tmp_path)}, _waiver_file(tmp_path), use_checkov=False
    )
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
        ({"owner": None}, "missing owner"),
        ({"control": "Z9"}, "unknown control 'Z9'"),
        ({"expires": "next week"}, "is not YYYY-MM-DD"),
        ({"checkov": "CKV_AWS_1"}, "checkov must be a list"),
    ],
)
def test_malformed_waivers_fail_loudly(tmp_path: Path, override: dict[str, Any], message: str) -> None:
    loaded = waivers.load(_waiver_file(tmp_path, **override), [*controls.catalogue(), waivers.WAIVER_CONTROL])
    assert not loaded.valid and len(loaded.problems) == 1
    assert message in loaded.problems[0].message and loaded.problems[0].status == FAIL


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
