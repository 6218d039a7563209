"""L1/L2 of a stack whose account trail another stack owns: judged on the owner's plan in the same run, unknown without it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import FAIL, PASS, UNKNOWN, Finding, accounts, assessment
from tapguard.controls.engine import evaluate, profiles
from tapguard.planning import model, project
from tests.conftest import set_after

ROOT = Path(__file__).resolve().parents[3]
OWNER, OTHER = "us-west-2", "eu-west-1"
TRAIL = "module.observability.aws_cloudtrail.this[0]"
TRAIL_CONTROLS = ("L1", "L2")


def judged(plans: dict[str, dict[str, Any]], groups: list[list[str]] | None = None) -> dict[str, list[Finding]]:
    """L1/L2 of each plan with the stacks' profiles, the pending findings answered across the plans (as assess does)."""
    models = {name: model.from_dict(data, name) for name, data in plans.items()}
    findings = {name: evaluate(name, m, profiles()[name], only=TRAIL_CONTROLS) for name, m in models.items()}
    owners = {name: profiles()[name].trail_owner for name in plans}
    answers = accounts.trails_across(findings, models, owners, groups, list(plans))
    return {name: accounts.answered(found, answers.get(name, [])) for name, found in findings.items()}


def of(findings: list[Finding], control: str) -> list[Finding]:
    return [f for f in findings if f.control == control]


def test_the_owner_is_written_down_once() -> None:
    owners = {name: p.trail_owner for name, p in profiles().items() if name in ("us-west-2", "eu-west-1")}
    assert owners == {OWNER: None, OTHER: OWNER}
    for env in (OWNER, OTHER):  # and in both stacks' READMEs
        readme = (ROOT / "environments" / env / "README.md").read_text()
        assert "multi-region CloudTrail | account | us-west-2" in readme, env


def test_the_non_owner_plans_no_trail_and_the_owner_one(plan_data: dict[str, dict[str, Any]]) -> None:
    trails = {env: [rc["address"] for rc in plan_data[env]["resource_changes"] if rc["type"] == "aws_cloudtrail"] for env in (OWNER, OTHER)}
    assert trails == {OWNER: [TRAIL], OTHER: []}


@pytest.mark.parametrize("control", TRAIL_CONTROLS)
def test_non_owner_passes_on_the_owners_compliant_trail_naming_it(control: str, fresh: Any) -> None:
    found = of(judged({OWNER: fresh(OWNER), OTHER: fresh(OTHER)})[OTHER], control)
    assert [(f.status, f.address) for f in found] == [(PASS, accounts.ACCOUNT_TRAIL)]
    assert found[0].actual == f"[{OWNER}] {TRAIL}" and OWNER in found[0].message


@pytest.mark.parametrize("control", TRAIL_CONTROLS)
def test_non_owner_alone_is_unknown_naming_the_owner_never_a_pass(control: str, fresh: Any) -> None:
    found = of(judged({OTHER: fresh(OTHER)})[OTHER], control)
    assert [(f.status, f.address) for f in found] == [(UNKNOWN, accounts.ACCOUNT_TRAIL)]
    assert OWNER in found[0].message and OWNER in str(found[0].expected)


@pytest.mark.parametrize("control", TRAIL_CONTROLS)
def test_non_owner_fails_when_the_owners_trail_records_one_region(control: str, fresh: Any) -> None:
    owner = fresh(OWNER)
    set_after(owner, TRAIL, "is_multi_region_trail", False)
    found = of(judged({OWNER: owner, OTHER: fresh(OTHER)})[OTHER], control)
    assert [f.status for f in found] == [FAIL] and "no multi-region trail" in found[0].message
    assert found[0].actual == [TRAIL]


@pytest.mark.parametrize(
    ("attribute", "value", "failing"),
    [
        ("cloud_watch_logs_role_arn", None, {"L2"}),  # the owner's trail fails L2 there, so here (L1 still passes)
        ("include_global_service_events", False, {"L1"}),
        ("enable_log_file_validation", False, {"L1", "L2"}),  # L1's class facet requires validation too
        ("enable_log_file_validation", True, set()),  # the compliant edge: both pass
    ],
)
def test_non_owner_follows_the_owners_trail_control_by_control(attribute: str, value: Any, failing: set[str], fresh: Any) -> None:
    owner = fresh(OWNER)
    set_after(owner, TRAIL, attribute, value)
    found = judged({OWNER: owner, OTHER: fresh(OTHER)})
    for control in TRAIL_CONTROLS:
        want = FAIL if control in failing else PASS
        assert (FAIL in {f.status for f in of(found[OWNER], control)}) == (want == FAIL), control
        assert [f.status for f in of(found[OTHER], control)] == [want], (control, of(found[OTHER], control))


def test_an_owners_trail_of_unknown_scope_is_unknown_not_a_pass(fresh: Any) -> None:
    owner = fresh(OWNER)
    rc = next(rc for rc in owner["resource_changes"] if rc["address"] == TRAIL)
    rc["change"]["after"].pop("is_multi_region_trail")
    rc["change"]["after_unknown"]["is_multi_region_trail"] = True
    found = judged({OWNER: owner, OTHER: fresh(OTHER)})[OTHER]
    assert {f.status for f in found} == {UNKNOWN}


def test_an_owner_outside_the_stacks_account_fails(fresh: Any) -> None:
    found = judged({OWNER: fresh(OWNER), OTHER: fresh(OTHER)}, groups=[[OWNER], [OTHER]])[OTHER]
    assert {f.status for f in found} == {FAIL} and all("not declared to share" in f.message for f in found)


def test_the_non_owner_with_a_trail_of_its_own_is_judged_on_it(fresh: Any) -> None:
    # a stack that names an owner but declares a trail anyway is held to it (and AC1 fails the second account trail)
    other = fresh(OTHER)
    trail = copy.deepcopy(next(rc for rc in fresh(OWNER)["resource_changes"] if rc["address"] == TRAIL))
    other["resource_changes"].append(trail)
    set_after(other, TRAIL, "cloud_watch_logs_role_arn", None)
    found = judged({OTHER: other})[OTHER]
    assert {(f.control, f.address) for f in found if f.status == FAIL} == {("L2", TRAIL)}
    assert accounts.ACCOUNT_TRAIL not in {f.address for f in found}


def test_a_trail_addressed_like_the_pending_finding_is_not_answered_for(fresh: Any) -> None:
    # hostile plan: its own trail, of unknown scope, at the address the pending finding uses; never turned into a pass
    other = fresh(OTHER)
    trail = copy.deepcopy(next(rc for rc in fresh(OWNER)["resource_changes"] if rc["address"] == TRAIL))
    trail["address"] = accounts.ACCOUNT_TRAIL
    trail["change"]["after"].pop("is_multi_region_trail")
    trail["change"]["after_unknown"]["is_multi_region_trail"] = True
    other["resource_changes"].append(trail)
    found = judged({OWNER: fresh(OWNER), OTHER: other})[OTHER]
    assert UNKNOWN in {f.status for f in of(found, "L1") if f.address == accounts.ACCOUNT_TRAIL}
    assert not any(OWNER in str(f.actual) for f in found)


def test_check_of_both_passes_and_of_the_non_owner_alone_does_not(env_plans: dict[str, Path]) -> None:
    envs = project.environments(ROOT)
    both = assessment.assess(ROOT, envs, {n: env_plans[n] for n in (OWNER, OTHER)}, None, use_checkov=False)
    other = next(e for e in both.environments if e.name == OTHER)
    for control in TRAIL_CONTROLS:
        assert other.status_of(control) == PASS, [f.describe() for f in other.findings_of(control)]
        assert [f.actual for f in other.findings_of(control)] == [f"[{OWNER}] {TRAIL}"]
    alone = assessment.assess(ROOT, envs, {OTHER: env_plans[OTHER]}, None, use_checkov=False)
    [result] = alone.environments
    for control in TRAIL_CONTROLS:
        assert result.status_of(control) == FAIL  # an unknown is never a pass
        assert [(f.status, f.address) for f in result.findings_of(control)] == [(UNKNOWN, accounts.ACCOUNT_TRAIL)]
    assert alone.failed


def test_a_second_owner_fails_ac1_in_the_run(env_plans: dict[str, Path], tmp_path: Path) -> None:
    other = json.loads(env_plans[OTHER].read_text())
    trail = copy.deepcopy(next(rc for rc in json.loads(env_plans[OWNER].read_text())["resource_changes"] if rc["address"] == TRAIL))
    trail["change"]["after"]["name"] = "trail-audit-eu-west-1-dev"  # the stack's own trail, as before the owner was chosen
    other["resource_changes"].append(trail)
    path = tmp_path / "eu-west-1.json"
    path.write_text(json.dumps(other))
    run = assessment.assess(ROOT, project.environments(ROOT), {OWNER: env_plans[OWNER], OTHER: path}, None, use_checkov=False)
    status = {e.name: e.status_of("AC1") for e in run.environments}
    assert status == {OWNER: FAIL, OTHER: FAIL}
    messages = [f.message for e in run.environments for f in e.findings_of("AC1") if f.status == FAIL]
    assert messages and all("singleton declared twice" in m for m in messages)
