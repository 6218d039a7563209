"""Resource classes as data (tapguard/controls/classes.yaml): shape, coverage and clear errors for bad data."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tapguard.controls import classes
from tapguard.foundation.errors import TapguardError

ROOT = Path(__file__).resolve().parents[2]
PCI_CLASSES = ("data_store", "data_in_transit", "exposure", "identity", "keys", "logging_sink")


def test_at_least_120_pci_relevant_aws_types_with_a_source_each() -> None:
    data = classes.load()
    judged = [t for t in data.types.values() if t.aws and set(t.classes) & set(PCI_CLASSES)]
    assert len(judged) >= 120
    for t in judged:
        assert t.sources, t.type
        assert t.facets, f"{t.type} is classed but no control reads it"


def test_every_class_has_several_types_and_every_data_store_says_how_it_is_encrypted() -> None:
    data = classes.load()
    for name in PCI_CLASSES:
        assert len(data.with_class(name)) >= 5, name
    for t in data.with_class("data_store"):
        assert t.facets["at_rest"].cmk is not None, t.type


def test_every_resource_type_of_the_stacks_is_classed() -> None:
    declared = set()
    for tf in [*ROOT.glob("modules/**/*.tf"), *ROOT.glob("environments/**/*.tf")]:
        declared |= set(re.findall(r'^resource\s+"([a-z0-9_]+)"', tf.read_text(), re.M))
    data = classes.load()
    assert declared, "no HCL found"
    assert sorted(declared - set(data.types)) == []


def test_the_stacks_own_controls_keep_their_ids_where_they_are_a_special_case() -> None:
    data = classes.load()
    assert data.of("aws_rds_cluster").facets["at_rest"].control == "E1"  # type: ignore[union-attr]
    assert data.of("aws_db_instance").facets["at_rest"].control == "E8"  # type: ignore[union-attr]
    assert data.of("aws_security_group_rule").facets["public"].control == "N3"  # type: ignore[union-attr]
    assert data.of("aws_redshift_cluster").facets["public"].control == "N2"  # type: ignore[union-attr]
    inert = data.of("aws_route_table_association")
    assert inert is not None and inert.inert and inert.reason


@functools.cache
def _pristine() -> dict[str, Any]:
    loaded = yaml.load(classes.CLASSES_FILE.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert isinstance(loaded, dict)
    return loaded


def _raw() -> dict[str, Any]:
    return copy.deepcopy(_pristine())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["types"]["aws_db_instance"].update(classes=["database"]), "unknown class 'database'"),
        (lambda d: d["types"]["aws_db_instance"].pop("at_rest"), "a data_store must give the at_rest facet"),
        (lambda d: d["types"]["aws_db_instance"]["at_rest"].pop("cmk"), "at_rest needs cmk"),
        (lambda d: d["types"]["aws_db_instance"]["public"]["deny"][0].update(equals=True), "unknown key 'equals'"),
        (lambda d: d["types"]["aws_db_instance"]["public"]["deny"][0].update({"in": [True]}), "exactly one operator"),
        (lambda d: d["types"]["aws_db_instance"]["backup"]["require"][0].update(min="seven"), "min takes a number"),
        (lambda d: d["types"]["aws_db_instance"].update(sources=["stackoverflow:1"]), "source 'stackoverflow:1'"),
        (lambda d: d["types"]["aws_db_instance"].update(sources=[]), "no source recorded"),
        (lambda d: d["types"]["aws_kms_alias"].pop("reason"), "an inert type needs a reason"),
        (lambda d: d["types"]["aws_efs_mount_target"].pop("covered_by"), "covered_by: expected a mapping"),
        (lambda d: d["types"]["aws_lb_listener"]["in_transit"]["deny"][0]["unless"].update(in_list="nope"), "in_list names 'nope'"),
        (lambda d: d["types"]["aws_db_instance"].update(control={"in_transit": "T9"}), "no in_transit facet"),
        (lambda d: d.update(types=[]), "types: expected a mapping"),
    ],
)
def test_bad_class_data_is_a_one_line_error_naming_the_place(mutate: Any, message: str) -> None:
    data = _raw()
    mutate(data)
    with pytest.raises(TapguardError) as caught:
        classes.parse(data, "classes.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_unreadable_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "classes.yaml"
    bad.write_text("types: [\n")
    with pytest.raises(TapguardError, match="cannot read resource classes"):
        classes.load(bad)


def test_schema_check_reports_unknown_types_and_paths() -> None:
    data = classes.parse(
        {
            "classes": {"data_store": {}},
            "facets": {"at_rest": {"control": "E8", "statement": "s", "requirements": ["3.5.1"]}},
            "provider": {"version": "5.100.0"},
            "types": {
                "aws_db_instance": {"classes": ["data_store"], "sources": ["checkov:CKV_AWS_16"],
                                    "at_rest": {"flag": {"path": "storage_encrypted", "is": True}, "cmk": ["kms_key_idd"]}},
                "aws_not_a_type": {"classes": ["data_store"], "sources": ["checkov:X"], "at_rest": {"cmk": []}},
            },
        }
    )  # fmt: skip
    schema = {"aws_db_instance": {"block": {"attributes": {"storage_encrypted": {"type": "bool"}, "kms_key_id": {"type": "string"}}}}}
    problems = classes.schema_problems(data, schema)
    assert problems == [
        "aws_db_instance: kms_key_idd: no attribute or block 'kms_key_idd'",
        "aws_not_a_type: no such resource type in the provider",
    ]


# ---------------------------------------------------------------- the class controls over the stacks' real plans
from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, engine  # noqa: E402
from tests.conftest import load  # noqa: E402
from tests.controls.violations import Violations, add, evaluate, violation_tests  # noqa: E402

ADDED = "aws_db_instance.added"


def _db(encrypted: bool = False, logs: list[str] | None = None, public: bool = False, backups: int = 7) -> dict[str, Any]:
    return {
        "identifier": "db-added", "engine": "postgres", "instance_class": "db.t4g.micro", "storage_encrypted": encrypted,
        "publicly_accessible": public, "enabled_cloudwatch_logs_exports": logs, "backup_retention_period": backups,
    }  # fmt: skip


def _region(data: dict[str, Any], region: str) -> None:
    data["configuration"]["provider_config"]["aws"]["expressions"]["region"] = {"constant_value": region}


VIOLATIONS: Violations = {
    "E8": ("us-west-2", lambda d: add(d, ADDED, "aws_db_instance", _db(encrypted=False, logs=["postgresql"])), ADDED),
    "T5": (
        "eu-west-1",
        lambda d: add(
            d, "aws_lb_listener.plain", "aws_lb_listener", {"protocol": "HTTP", "port": 80, "default_action": [{"type": "forward"}]}
        ),
        "aws_lb_listener.plain",
    ),
    "L11": ("us-west-2", lambda d: add(d, ADDED, "aws_db_instance", _db(encrypted=True, logs=None)), ADDED),
    "R12": (
        "eu-west-1",
        lambda d: add(
            d, "aws_dynamodb_table.cards", "aws_dynamodb_table", {"name": "cards", "point_in_time_recovery": [{"enabled": False}]}
        ),
        "aws_dynamodb_table.cards",
    ),
    "I5": (
        "us-west-2",
        lambda d: add(d, "aws_iam_account_password_policy.this", "aws_iam_account_password_policy", {"minimum_password_length": 7}),
        "aws_iam_account_password_policy.this",
    ),
    "C1": ("eu-west-1", lambda d: add(d, "aws_gamelift_fleet.cards", "aws_gamelift_fleet", {"name": "cards"}), "aws_gamelift_fleet.cards"),
    "C2": ("us-west-2", lambda d: _region(d, "eu-west-1"), "(plan)"),
}

test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan = violation_tests(VIOLATIONS)

# a non-compliant resource of each class added to a real plan fails with its address, under the class control
# (extended stack controls keep their ids)
PUBLIC_SNS = '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"}]}'
ADMIN = '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
PUBLIC_KMS = '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}'
OPEN_SSH = {"egress": False, "rule_action": "allow", "cidr_block": "0.0.0.0/0", "protocol": "tcp", "from_port": 22, "to_port": 22}
PLAIN_CDN = {
    "default_cache_behavior": [{"viewer_protocol_policy": "allow-all"}],
    "viewer_certificate": [{"minimum_protocol_version": "TLSv1"}],
}
REDSHIFT = {"encrypted": True, "kms_key_id": "alias/aws/redshift", "publicly_accessible": True}
ADDITIONS = [
    ("us-west-2", "aws_db_instance", _db(public=True, encrypted=True, logs=["postgresql"]), "N2", "publicly_accessible"),
    ("eu-west-1", "aws_s3_bucket", {"bucket": "cards-export"}, "E8", "aws_s3_bucket_server_side_encryption_configuration"),
    ("eu-west-1", "aws_s3_bucket", {"bucket": "cards-export"}, "N2", "aws_s3_bucket_public_access_block"),
    ("us-west-2", "aws_ebs_volume", {"encrypted": False, "size": 8}, "E8", "encrypted"),
    ("us-west-2", "aws_sqs_queue", {"name": "q", "sqs_managed_sse_enabled": True}, "E8", "kms_master_key_id"),
    ("us-west-2", "aws_efs_file_system", {"encrypted": False}, "E2", "encrypted"),
    ("us-west-2", "aws_redshift_cluster", REDSHIFT, "N2", "publicly_accessible"),
    ("eu-west-1", "aws_network_acl_rule", OPEN_SSH, "N3", "cidr_block"),
    ("eu-west-1", "aws_lambda_function_url", {"authorization_type": "NONE", "function_name": "fn"}, "N2", "authorization_type"),
    ("us-west-2", "aws_sns_topic_policy", {"arn": "arn:aws:sns:us-west-2:1:t", "policy": PUBLIC_SNS}, "I1", "policy"),
    ("us-west-2", "aws_iam_group_policy", {"policy": ADMIN}, "I1", "policy"),
    ("eu-west-1", "aws_cloudfront_distribution", PLAIN_CDN, "T5", "viewer_protocol_policy"),
    ("eu-west-1", "aws_kms_replica_key", {"enabled": True, "policy": PUBLIC_KMS}, "K2", "policy"),
    (
        "us-west-2",
        "aws_opensearch_domain",
        {"encrypt_at_rest": [{"enabled": False}], "node_to_node_encryption": [{"enabled": True}]},
        "E8",
        "encrypt_at_rest",
    ),
]


@pytest.mark.parametrize(("env", "rtype", "after", "control", "attribute"), ADDITIONS, ids=[f"{a[1]}-{a[3]}" for a in ADDITIONS])
def test_a_noncompliant_resource_added_to_a_real_plan_fails(
    env: str, rtype: str, after: dict[str, Any], control: str, attribute: str, fresh: Any
) -> None:
    data = fresh(env)
    address = f"module.extra.{rtype}.added[0]"
    add(data, address, rtype, after)
    data["resource_changes"][-1]["module_address"] = "module.extra"
    findings = evaluate(env, data, control)
    failed = [f for f in findings if f.status == FAIL and f.address == address]
    assert failed, [f.describe() for f in findings if f.address == address]
    assert any(attribute in f.attribute for f in failed), [f.attribute for f in failed]


def test_every_managed_resource_of_the_real_plans_ends_with_a_finding(fresh: Any) -> None:
    for env in ("us-west-2", "eu-west-1", "ci-identity"):
        plan = load(fresh(env))
        findings = engine.evaluate(env, plan)
        addressed = {f.address for f in findings}
        live = [r.address for r in plan.resources if r.mode == "managed" and not r.deleted]
        assert live and [a for a in live if a not in addressed] == [], env
        coverage = [f for f in findings if f.control == "C1" and f.attribute == "coverage"]
        assert [f.status for f in coverage] == [PASS], env


def test_an_unclassed_type_is_unassessed_and_a_waiver_can_cover_it(fresh: Any, tmp_path: Path) -> None:
    from tapguard.controls import waivers

    data = fresh("eu-west-1")
    add(data, "aws_gamelift_fleet.cards", "aws_gamelift_fleet", {"name": "cards"})
    findings = engine.evaluate("eu-west-1", load(data), only=["C1"])
    bad = [f for f in findings if f.address == "aws_gamelift_fleet.cards"]
    assert [(f.status, f.actual) for f in bad] == [(FAIL, "aws_gamelift_fleet")] and "unassessed" in bad[0].message
    summary = next(f for f in findings if f.attribute == "coverage")
    assert summary.status == FAIL and "aws_gamelift_fleet" in summary.message
    waiver_file = tmp_path / "waivers.yaml"
    waiver_file.write_text(
        "waivers:\n  - control: C1\n    address: aws_gamelift_fleet.cards\n    reason: game servers hold no cardholder data\n"
        "    owner: platform\n    ticket: SEC-1\n    expires: 2099-01-01\n"
    )
    applied = waivers.load(waiver_file, ["C1"]).apply(bad)
    assert applied[0].waiver is not None


# ---------------------------------------------------------------- plans made elsewhere: the generic profile
def test_a_foreign_plan_gets_the_generic_profile_not_the_stacks_requirements(fresh: Any) -> None:
    data = fresh("ci-identity")  # identity only: no database, no cache, no API
    plan = load(data)
    profile = engine.profile_for("someone-elses", plan)
    assert profile.generic and profile.requires == () and profile.region == plan.region and not profile.blue_green
    findings = engine.evaluate("someone-elses", plan)
    e1 = [f for f in findings if f.control == "E1"]
    assert e1 and {f.status for f in e1} == {NOT_APPLICABLE}, [f.describe() for f in e1]  # no "no aws_rds_cluster" failure
    for stack_only in ("R1", "B1", "D1", "NM1", "C2"):
        assert {f.status for f in findings if f.control == stack_only} == {NOT_APPLICABLE}, stack_only
    assert {f.status for f in findings if f.control == "S2"} == {NOT_APPLICABLE}  # no credential in this plan
    assert not [f for f in findings if f.status in (FAIL, UNKNOWN)], [f.describe() for f in findings if f.status in (FAIL, UNKNOWN)]


def test_a_foreign_plan_is_still_judged_by_the_pci_controls(fresh: Any) -> None:
    data = fresh("ci-identity")
    add(data, ADDED, "aws_db_instance", _db(public=True))
    findings = engine.evaluate("someone-elses", load(data))
    failed = {(f.control, f.address) for f in findings if f.status == FAIL}
    assert {("E8", ADDED), ("N2", ADDED), ("L11", ADDED)} <= failed


def test_a_foreign_plan_s_secrets_must_rotate_within_30_days_whoever_deploys_the_function(fresh: Any) -> None:
    data = fresh("ci-identity")
    add(data, "aws_secretsmanager_secret.never", "aws_secretsmanager_secret", {"name": "never-rotated"})
    add(data, "aws_secretsmanager_secret.slow", "aws_secretsmanager_secret", {"name": "slow"})
    add(
        data,
        "aws_secretsmanager_secret_rotation.slow",
        "aws_secretsmanager_secret_rotation",
        {"secret_id": "slow", "rotation_lambda_arn": "arn:aws:lambda:us-east-1:123456789012:function:theirs",
         "rotation_rules": [{"automatically_after_days": 90}]},
    )  # fmt: skip
    s2 = [f for f in engine.evaluate("someone-elses", load(data)) if f.control == "S2"]
    failed = {(f.address, f.message) for f in s2 if f.status == FAIL}
    assert ("aws_secretsmanager_secret.never", "secret never rotates") in failed, [f.describe() for f in s2]
    assert ("aws_secretsmanager_secret_rotation.slow", "rotation interval too long or not set") in failed
    # the function is theirs (an ARN, not a function of the plan): not a failure under the generic profile
    assert not [f for f in s2 if f.attribute == "rotation_lambda_arn" and f.status == FAIL]


def test_a_plan_of_another_region_given_for_an_environment_is_flagged(fresh: Any) -> None:
    data = fresh("us-west-2")
    findings = evaluate("eu-west-1", data, "C2")
    assert [f.status for f in findings if f.attribute == "provider.aws.region"] == [FAIL]


def test_a_plan_of_another_root_module_given_for_an_environment_is_flagged(fresh: Any, root: Path) -> None:
    from tapguard.planning.runner import module_dirs

    # ci-identity and us-west-2 share a region: only the configuration tells them apart
    wrong = evaluate("ci-identity", fresh("us-west-2"), "C2", hcl_dirs=module_dirs(root / "environments" / "ci-identity"))
    assert [f.status for f in wrong if f.attribute == "configuration.root_module"] == [FAIL]
    right = evaluate("ci-identity", fresh("ci-identity"), "C2", hcl_dirs=module_dirs(root / "environments" / "ci-identity"))
    assert {f.status for f in right} == {PASS}


def test_hcl_reading_controls_never_read_this_repos_hcl_for_a_foreign_plan(fresh: Any) -> None:
    findings = engine.evaluate("someone-elses", load(fresh("eu-west-1")), only=["D1"])
    assert [(f.status, f.actual) for f in findings] == [(NOT_APPLICABLE, "someone-elses")]
