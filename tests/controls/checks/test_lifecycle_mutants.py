"""The lifecycle checks' findings at every violation and boundary address, field by field (see golden.py), and D1 over HCL."""

from __future__ import annotations

from pathlib import Path

from tapguard import controls
from tapguard.controls import FAIL, PASS
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY, golden_tests, judged, resource

(
    test_findings_at_the_case_address_are_the_pinned_ones,
    test_findings_on_an_empty_plan_are_the_pinned_ones,
    test_findings_on_the_real_plans_are_the_pinned_kinds,
) = golden_tests("lifecycle")

KEPT = 'resource "aws_s3_bucket" "keep" {\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n'
FREE = 'resource "aws_kms_key" "free" {\n}\n\nresource "aws_vpc" "open" {\n  lifecycle {\n    prevent_destroy = false\n  }\n}\n'


def d1(*dirs: Path) -> list[tuple[str, str, str, object, object, str]]:
    findings = controls.evaluate("eu-west-1", model.from_dict(EMPTY, "empty"), hcl_dirs=list(dirs), only=["D1"])
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in findings]


def test_d1_judges_every_resource_block_of_every_directory(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "main.tf").write_text(KEPT)
    (tmp_path / "b" / "main.tf").write_text(FREE)
    assert d1(tmp_path / "a", tmp_path / "b") == [
        ("main.tf:1 aws_s3_bucket.keep", "lifecycle.prevent_destroy", FAIL, True, "absent or false", "terraform destroy will refuse"),
        ("main.tf:1 aws_kms_key.free", "lifecycle.prevent_destroy", PASS, None, "absent or false", "as required"),
        ("main.tf:4 aws_vpc.open", "lifecycle.prevent_destroy", PASS, False, "absent or false", "as required"),
    ]


def test_d1_fails_when_the_hcl_has_no_resource_block(tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text('variable "x" {\n  type = string\n}\n')
    assert d1(tmp_path) == [("(HCL)", "", FAIL, None, "resource blocks", "no resource blocks found in the HCL directories")]
    (tmp_path / "main.tf").write_text(FREE)
    assert [f[2] for f in d1(tmp_path)] == [PASS, PASS]


def nm1(suffix: object, *changes: dict[str, object]) -> list[tuple[str, str, str, object, object, str]]:
    data = {**EMPTY, "resource_changes": list(changes)}
    if suffix is not None:
        data["variables"] = {"environment_suffix": {"value": suffix}}
    findings = controls.evaluate("eu-west-1", model.from_dict(data, "synthetic"), only=["NM1"])
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in findings]


def queue(name: str, after: dict[str, object], unknown: dict[str, object]) -> dict[str, object]:
    change = {"actions": ["create"], "after": after, "after_unknown": unknown}
    return {"address": f"aws_sns_topic.{name}", "mode": "managed", "type": "aws_sns_topic", "name": name, "change": change}


def test_nm1_needs_a_string_suffix() -> None:
    why = ("var.environment_suffix", "value")
    assert nm1(None) == [(*why, FAIL, None, "a suffix variable", "the stack has no environment_suffix variable")]
    assert nm1("") == [(*why, FAIL, "", "a suffix variable", "the stack has no environment_suffix variable")]
    assert nm1(7) == [(*why, FAIL, 7, "a suffix variable", "the stack has no environment_suffix variable")]


def test_nm1_reports_names_it_cannot_see_yet() -> None:
    unseen = ("name unknown at plan time", "sns-<purpose>-dev")
    got = nm1("dev", queue("later", {}, {"name": True}), queue("unset", {}, {}), queue("ok", {"name": "sns-alerts-dev"}, {}))
    assert got == [
        ("aws_sns_topic.later", "name", "unknown", "(known after apply)", unseen[1], unseen[0]),
        ("aws_sns_topic.unset", "name", "unknown", "(known after apply)", unseen[1], unseen[0]),
        ("aws_sns_topic.ok", "name", PASS, "sns-alerts-dev", unseen[1], "as required"),
    ]


def test_d2_d3_failures_say_what_blocks_destroy() -> None:
    got = judged(
        "D2",
        resource("aws_elasticache_replication_group.r", {"final_snapshot_identifier": "last"}),
        resource("aws_lb.l", {"enable_deletion_protection": True}),
        resource("aws_kinesis_stream.k", {"enforce_consumer_deletion": False}),
        resource("aws_s3_bucket.b", {"force_destroy": False}),
    )
    assert got == [
        ("aws_elasticache_replication_group.r", "final_snapshot_identifier", FAIL, "last", "unset", "destroy leaves a snapshot behind"),
        ("aws_lb.l", "enable_deletion_protection", FAIL, True, False, "deletion protection blocks destroy"),
        ("aws_kinesis_stream.k", "enforce_consumer_deletion", FAIL, False, True, "registered consumers block destroy"),
        ("aws_s3_bucket.b", "force_destroy", FAIL, False, True, "a non-empty bucket blocks destroy"),
    ]
    secret = resource("aws_secretsmanager_secret.s", {"recovery_window_in_days": 7})
    assert judged("D3", resource("aws_kms_key.k", {"deletion_window_in_days": 7}), secret)[1] == (
        "aws_secretsmanager_secret.s",
        "recovery_window_in_days",
        FAIL,
        7,
        0,
        "the secret name stays reserved after destroy",
    )


def test_d2_needs_a_data_store_of_either_kind() -> None:
    redis = resource("aws_elasticache_replication_group.r", {})
    assert [f[0] for f in judged("D2", redis, env="us-west-2")] == ["aws_elasticache_replication_group.r"]
    assert [f[:3] for f in judged("D2", env="us-west-2")] == [("(no aws_rds_cluster)", "", FAIL)]
