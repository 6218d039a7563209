"""AC1: stacks of one AWS account share no account-wide name and declare each singleton once (also across plans)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import FAIL, PASS, UNKNOWN, accounts, assessment, waivers
from tapguard.planning import model
from tests.conftest import set_after
from tests.controls.violations import Violations, add, evaluate, violation_tests

VIOLATIONS: Violations = {
    # a second API Gateway account setting in the same region: the two overwrite each other's CloudWatch role
    "AC1": (
        "eu-west-1",
        lambda d: add(d, "aws_api_gateway_account.second", "aws_api_gateway_account", {"cloudwatch_role_arn": "arn:aws:iam::1:role/x"}),
        "aws_api_gateway_account.second",
    ),
}

test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan = violation_tests(VIOLATIONS)

APIGW_ROLE = "module.api.aws_iam_role.cloudwatch"
ACCOUNT_TRAIL = "module.observability.aws_cloudtrail.this[0]"  # us-west-2's: the account's multi-region trail


def with_trail(data: dict[str, Any], owner: dict[str, Any], name: str, multi_region: bool) -> dict[str, Any]:
    """`data` with a copy of the owner's trail under `name`, recording every region or only its own."""
    trail = copy.deepcopy(next(rc for rc in owner["resource_changes"] if rc["address"] == ACCOUNT_TRAIL))
    trail["change"]["after"].update(name=name, is_multi_region_trail=multi_region)
    data["resource_changes"].append(trail)
    return data


def plan(region: str, *resources: tuple[str, str, dict[str, Any]]) -> model.Plan:
    """A synthetic plan: (address, type, values) created in `region`."""
    changes = [
        {"address": a, "mode": "managed", "type": t, "name": a.rsplit(".", 1)[-1], "change": {"actions": ["create"], "after": v}}
        for a, t, v in resources
    ]
    provider = {"aws": {"name": "aws", "expressions": {"region": {"constant_value": region}}}}
    return model.from_dict({"format_version": "1.2", "resource_changes": changes, "configuration": {"provider_config": provider}})


def role(name: str) -> tuple[str, str, dict[str, Any]]:
    return (APIGW_ROLE, "aws_iam_role", {"name": name})


def test_the_names_before_the_rename_clash_naming_both_addresses() -> None:
    # what both stacks declared with environment_suffix = "dev" before issue 20 (EntityAlreadyExists on deploy)
    found = accounts.across(
        {"us-west-2": plan("us-west-2", role("role-apigwlogs-dev")), "eu-west-1": plan("eu-west-1", role("role-apigwlogs-dev"))},
        None,
        ["us-west-2", "eu-west-1"],
    )
    assert sorted(found) == ["eu-west-1", "us-west-2"]
    for env, other in (("us-west-2", "eu-west-1"), ("eu-west-1", "us-west-2")):
        [finding] = found[env]
        assert (finding.control, finding.status, finding.address, finding.actual) == ("AC1", FAIL, APIGW_ROLE, "role-apigwlogs-dev")
        assert f"[{other}] {APIGW_ROLE}" in finding.message and APIGW_ROLE in finding.message


def test_the_names_after_the_rename_do_not_clash() -> None:
    plans = {
        "us-west-2": plan("us-west-2", role("role-apigwlogs-us-west-2-dev")),
        "eu-west-1": plan("eu-west-1", role("role-apigwlogs-eu-west-1-dev")),
    }
    assert accounts.across(plans, None, plans) == {}


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        # IAM names are unique case-insensitively; S3 bucket names are lower case anyway
        (("r", "aws_iam_role", {"name": "Role-X-dev"}), ("r", "aws_iam_role", {"name": "role-x-dev"}), True),
        (("b", "aws_s3_bucket", {"bucket": "s3-x-dev"}), ("b", "aws_s3_bucket", {"bucket": "s3-x-dev"}), True),
        (("b", "aws_s3_bucket", {"bucket": "s3-x-dev"}), ("b", "aws_s3_bucket", {"bucket": "s3-y-dev"}), False),
        # a role and a bucket of one name do not collide: names are unique per type
        (("r", "aws_iam_role", {"name": "x"}), ("b", "aws_s3_bucket", {"bucket": "x"}), False),
        # a multi-region trail's name is taken everywhere; single-region trails only in their region
        (("t", "aws_cloudtrail", {"name": "t", "is_multi_region_trail": True}), ("t", "aws_cloudtrail", {"name": "t"}), True),
        (("t", "aws_cloudtrail", {"name": "t"}), ("t", "aws_cloudtrail", {"name": "t"}), False),
        # a multi-region trail is an account singleton whatever its name; a single-region one beside it is not
        (
            ("t", "aws_cloudtrail", {"name": "t1", "is_multi_region_trail": True}),
            ("t", "aws_cloudtrail", {"name": "t2", "is_multi_region_trail": True}),
            True,
        ),
        (
            ("t", "aws_cloudtrail", {"name": "t1", "is_multi_region_trail": True}),
            ("t", "aws_cloudtrail", {"name": "t2", "is_multi_region_trail": False}),
            False,
        ),
        # regional singletons clash only in one region; account singletons everywhere
        (("a", "aws_api_gateway_account", {}), ("a", "aws_api_gateway_account", {}), False),
        (("p", "aws_iam_account_password_policy", {}), ("p", "aws_iam_account_password_policy", {}), True),
    ],
)
def test_what_collides_across_two_regions(
    first: tuple[str, str, dict[str, Any]], second: tuple[str, str, dict[str, Any]], clash: bool
) -> None:
    found = accounts.across({"a": plan("us-west-2", first), "b": plan("eu-west-1", second)}, [["a", "b"]], [])
    assert bool(found) is clash, found


def test_a_regional_singleton_twice_in_one_region_clashes() -> None:
    gd = ("module.x.aws_guardduty_detector.this", "aws_guardduty_detector", {"enable": True})
    found = accounts.across({"a": plan("eu-west-1", gd), "b": plan("eu-west-1", gd)}, [["a", "b"]], [])
    assert [f.status for f in found["a"] + found["b"]] == [FAIL, FAIL]


def test_only_environments_of_one_account_are_compared() -> None:
    same = {
        "a": plan("us-west-2", role("role-x-dev")),
        "b": plan("us-west-2", role("role-x-dev")),
        "c": plan("us-west-2", role("role-x-dev")),
    }
    assert sorted(accounts.across(same, [["a", "b"], ["c"]], [])) == ["a", "b"]
    assert accounts.across(same, [], []) == {}
    # none declared: the project's own stacks share one account, plans made elsewhere are not compared
    assert sorted(accounts.across(same, None, ["a", "c"])) == ["a", "c"]


def test_an_unknown_name_is_unknown_not_a_pass(fresh: Any) -> None:
    data = fresh("eu-west-1")
    rc = next(rc for rc in data["resource_changes"] if rc["address"] == APIGW_ROLE)
    rc["change"]["after"].pop("name")
    rc["change"]["after_unknown"]["name"] = True
    findings = evaluate("eu-west-1", data, "AC1")
    assert [f.status for f in findings if f.address == APIGW_ROLE] == [UNKNOWN]


def test_the_real_stacks_share_nothing_in_one_account(plan_data: dict[str, dict[str, Any]]) -> None:
    plans = {name: model.from_dict(data, name) for name, data in plan_data.items()}
    assert accounts.across(plans, None, plans) == {}
    claimed = [c for name, p in plans.items() for c in accounts.claims(name, p)]
    assert len(claimed) > 20  # the roles, buckets, trails and the OIDC provider are all judged
    # the account's multi-region trail is declared once, by its owner
    trail = ("singleton", accounts.MULTI_REGION_TRAIL)
    assert [(c.environment, c.address) for c in claimed if c.key == trail] == [("us-west-2", ACCOUNT_TRAIL)]


def test_the_real_stacks_fail_when_one_name_is_repeated(fresh: Any, plan_data: dict[str, dict[str, Any]]) -> None:
    eu = fresh("eu-west-1")
    us_name = next(rc["change"]["after"]["name"] for rc in plan_data["us-west-2"]["resource_changes"] if rc["address"] == APIGW_ROLE)
    set_after(eu, APIGW_ROLE, "name", us_name)
    found = accounts.across(
        {"us-west-2": model.from_dict(plan_data["us-west-2"]), "eu-west-1": model.from_dict(eu)}, None, ["us-west-2", "eu-west-1"]
    )
    assert [f.address for f in found["eu-west-1"]] == [APIGW_ROLE] and "[us-west-2]" in found["eu-west-1"][0].message


def test_check_with_several_environments_runs_it(tmp_path: Path) -> None:
    (tmp_path / "tapguard.toml").write_text('[accounts]\nshared = [["a", "b"]]\n')
    plans: dict[str, Path] = {}
    for name, region in (("a", "us-west-2"), ("b", "eu-west-1"), ("c", "eu-west-1")):
        p = plan(region, role("role-apigwlogs-dev"))
        plans[name] = tmp_path / f"{name}.json"
        plans[name].write_text(json.dumps(p.data))
    run = assessment.assess(tmp_path, [], plans, None, use_checkov=False)
    status = {e.name: e.status_of("AC1") for e in run.environments}
    assert status == {"a": FAIL, "b": FAIL, "c": PASS}
    assert run.failed
    assert waivers.WAIVER_CONTROL not in status


def test_two_multi_region_trails_in_one_account_fail_naming_both(fresh: Any, plan_data: dict[str, dict[str, Any]]) -> None:
    # what both stacks declared before the trail had one owner: a multi-region trail each, names made unique per region
    eu = with_trail(fresh("eu-west-1"), plan_data["us-west-2"], "trail-audit-eu-west-1-dev", multi_region=True)
    found = accounts.across(
        {"us-west-2": model.from_dict(plan_data["us-west-2"]), "eu-west-1": model.from_dict(eu)}, None, ["us-west-2", "eu-west-1"]
    )
    assert sorted(found) == ["eu-west-1", "us-west-2"]
    for env, other in (("us-west-2", "eu-west-1"), ("eu-west-1", "us-west-2")):
        [finding] = found[env]
        assert (finding.status, finding.address, finding.actual) == (FAIL, ACCOUNT_TRAIL, f"{accounts.MULTI_REGION_TRAIL} (account)")
        assert "singleton declared twice" in finding.message and f"[{other}] {ACCOUNT_TRAIL}" in finding.message


def test_a_single_region_trail_beside_the_account_trail_passes(fresh: Any, plan_data: dict[str, dict[str, Any]]) -> None:
    # the edge: a trail of the stack's own region only takes no account slot (its name is regional too)
    eu = with_trail(fresh("eu-west-1"), plan_data["us-west-2"], "trail-audit-eu-west-1-dev", multi_region=False)
    plans = {"us-west-2": model.from_dict(plan_data["us-west-2"]), "eu-west-1": model.from_dict(eu)}
    assert accounts.across(plans, None, plans) == {}


def test_two_multi_region_trails_in_one_plan_fail(fresh: Any, plan_data: dict[str, dict[str, Any]]) -> None:
    us = with_trail(fresh("us-west-2"), plan_data["us-west-2"], "trail-audit-second-dev", multi_region=True)
    us["resource_changes"][-1]["address"] = "aws_cloudtrail.second"
    failed = [f for f in evaluate("us-west-2", us, "AC1") if f.status == FAIL]
    assert sorted(f.address for f in failed) == sorted([ACCOUNT_TRAIL, "aws_cloudtrail.second"])


def test_a_trail_of_unknown_scope_is_unknown_not_a_pass(fresh: Any) -> None:
    data = fresh("us-west-2")
    rc = next(rc for rc in data["resource_changes"] if rc["address"] == ACCOUNT_TRAIL)
    rc["change"]["after"].pop("is_multi_region_trail")
    rc["change"]["after_unknown"]["is_multi_region_trail"] = True
    found = [f for f in evaluate("us-west-2", data, "AC1") if f.address == ACCOUNT_TRAIL and f.attribute == "is_multi_region_trail"]
    assert [f.status for f in found] == [UNKNOWN]
