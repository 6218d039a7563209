"""The plan model: addresses, unknowns resolved through references, redaction, and the loader's errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tapguard.planning import model
from tapguard.planning.model import PlanError
from tapguard.planning.redaction import REDACTED, redact_plan_json


def test_addresses_of_nested_modules_count_and_for_each(plan_data: dict[str, Any]) -> None:
    plan = model.from_dict(plan_data["eu-west-1"])
    key = plan.by_address['module.kms.aws_kms_key.this["aurora"]']
    assert (key.module, key.type, key.name, key.index) == ("module.kms", "aws_kms_key", "this", "aurora")
    assert key.config_address == "module.kms.aws_kms_key.this"
    instance = plan.by_address["module.aurora.aws_rds_cluster_instance.this[2]"]
    assert instance.index == 2
    assert len(plan.instances_of("module.aurora.aws_rds_cluster_instance.this")) == 3


def test_unknown_key_resolves_through_module_variables_and_outputs(plan_data: dict[str, Any]) -> None:
    plan = model.from_dict(plan_data["eu-west-1"])
    cluster = plan.by_address["module.aurora.aws_rds_cluster.this"]
    assert cluster.is_unknown("kms_key_id")
    assert cluster.references("kms_key_id").resources == ('module.kms.aws_kms_key.this["aurora"]',)
    group = plan.by_address['module.redis.aws_cloudwatch_log_group.this["slow-log"]']
    assert [r.address for r in group.referenced("kms_key_id", "aws_kms_key")] == ['module.kms.aws_kms_key.this["logs"]']


def test_each_key_narrows_to_the_instance_with_the_same_key(plan_data: dict[str, Any]) -> None:
    plan = model.from_dict(plan_data["eu-west-1"])
    table = plan.by_address['module.network.aws_route_table.private["eu-west-1b"]']
    assert [r.address for r in table.referenced("route", "aws_nat_gateway")] == ['module.network.aws_nat_gateway.this["eu-west-1b"]']


def test_data_sources_read_at_plan_time_are_resources(plan_data: dict[str, Any]) -> None:
    plan = model.from_dict(plan_data["us-west-2"])
    existing = plan.of_type("aws_secretsmanager_secret", mode="data")
    assert {r.index for r in existing} == {"aurora_master", "redis_auth"}


def test_sensitive_values_are_redacted_everywhere(plan_data: dict[str, Any]) -> None:
    raw = {
        "format_version": "1.2",
        "variables": {"token": {"value": "s3cr3t-variable-value"}},
        "configuration": {"root_module": {"variables": {"token": {"sensitive": True}}}},
        "resource_changes": [
            {
                "address": "aws_x.y",
                "type": "aws_x",
                "name": "y",
                "change": {
                    "actions": ["create"],
                    "after": {"auth_token": "s3cr3t-token-value", "nested": [{"pw": "s3cr3t-nested-pw"}], "plain": "visible"},
                    "after_unknown": {},
                    "after_sensitive": {"auth_token": True, "nested": [{"pw": True}]},
                    "before": None,
                    "before_sensitive": False,
                },
            }
        ],
        "planned_values": {
            "root_module": {
                "resources": [
                    {"address": "aws_x.y", "values": {"auth_token": "s3cr3t-token-value"}, "sensitive_values": {"auth_token": True}}
                ]
            }
        },
        "output_changes": {"o": {"after": "s3cr3t-output-value", "after_sensitive": True}},
        "prior_state": {
            "values": {
                "root_module": {
                    "resources": [
                        {
                            "address": "data.aws_y.z",
                            "mode": "data",
                            "type": "aws_y",
                            "name": "z",
                            "values": {"secret_string": "s3cr3t-data-value", "copy": "has s3cr3t-token-value inside"},
                            "sensitive_values": {"secret_string": True},
                        }
                    ]
                }
            }
        },
    }
    redacted, removed = redact_plan_json(raw)
    text = json.dumps(redacted)
    for secret in ("s3cr3t-variable-value", "s3cr3t-token-value", "s3cr3t-nested-pw", "s3cr3t-output-value", "s3cr3t-data-value"):
        assert secret not in text
        assert secret in removed
    assert "visible" in text
    plan = model.from_dict(redacted)
    assert plan.by_address["aws_x.y"].get("auth_token") == REDACTED


def test_in_place_redaction_scrubs_copies_inside_json_strings_and_keys_and_leaves_the_rest_shared() -> None:
    secret = 'pa"ss-w0rd-\\x'  # a quote and a backslash: inside a JSON string attribute it appears escaped
    shared = {"tags": {"Name": "visible"}}
    raw: dict[str, Any] = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "aws_x.y",
                "type": "aws_x",
                "change": {
                    "actions": ["create"],
                    "after": {"password": secret, "meta": shared},
                    "after_sensitive": {"password": True},
                },
            },
            {
                "address": "aws_z.w",
                "type": "aws_z",
                "change": {
                    "actions": ["create"],
                    "after": {"policy": json.dumps({"pw": secret}), "by_secret": {secret: 1}},
                    "after_sensitive": {},
                },
            },
        ],
    }
    redacted, removed = redact_plan_json(raw, in_place=True)
    assert redacted is raw and removed == {secret}
    text = json.dumps(redacted)
    assert secret not in json.dumps(redacted, ensure_ascii=False) and json.dumps(secret)[1:-1] not in text
    assert redacted["resource_changes"][1]["change"]["after"]["by_secret"] == {REDACTED: 1}
    assert redacted["resource_changes"][0]["change"]["after"]["meta"] is shared  # nothing sensitive: not copied


def test_real_plans_hold_no_seeded_secret(env_plans: dict[str, Path], endpoint: Any) -> None:
    secrets = endpoint.secret_strings()
    assert secrets
    for path in env_plans.values():
        text = path.read_text()
        leaked = [s for s in secrets if len(s) >= 8 and s in text]
        assert not leaked, f"{path} holds a seeded secret"


def _valid() -> dict[str, Any]:
    return {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {}, "resource_changes": [], "configuration": {}}


BAD_INPUTS: list[tuple[str, bytes, str]] = [
    ("empty", b"", "empty file"),
    ("whitespace", b"   \n\t ", "empty file"),
    ("binary plan (zip)", b"PK\x03\x04rest", "binary plan file"),
    ("not utf-8", b'{"x": "\xff\xfe"}', "not UTF-8"),
    ("utf-16 cut mid-character", b'\xff\xfe{\x00"', "not UTF-16"),
    ("truncated", b'{"format_version": "1.2", "resource_changes": [', "truncated JSON"),
    ("malformed", b'{"format_version": "1.2",, }', "malformed JSON at line 1"),
    ("trailing garbage", b'{"format_version": "1.2"} x', "malformed JSON"),
    ("array", b"[1, 2]", "top level is a JSON list"),
    ("string", b'"plan"', "top level is a JSON str"),
    ("no format_version", json.dumps({"resource_changes": []}).encode(), "no format_version"),
    ("format_version number", json.dumps({**_valid(), "format_version": 1.2}).encode(), "not of the form MAJOR.MINOR"),
    ("format_version 2.0", json.dumps({**_valid(), "format_version": "2.0"}).encode(), "format_version 2.0 is not supported"),
    ("state not plan", json.dumps({"format_version": "1.0", "values": {}}).encode(), "a state file"),
    ("neither", json.dumps({"format_version": "1.0", "foo": 1}).encode(), "not a plan"),
    ("errored plan", json.dumps({**_valid(), "errored": True}).encode(), "the plan errored"),
    (
        "resource_changes object",
        json.dumps({**_valid(), "resource_changes": {}}).encode(),
        "resource_changes is a JSON object, expected an array",
    ),
    (
        "change without address",
        json.dumps({**_valid(), "resource_changes": [{"type": "x"}]}).encode(),
        "resource_changes[0].address is missing",
    ),
    (
        "change without actions",
        json.dumps({**_valid(), "resource_changes": [{"address": "a.b", "type": "a", "change": {}}]}).encode(),
        "resource_changes[0].change.actions is missing",
    ),
    (
        "after not object",
        json.dumps(
            {**_valid(), "resource_changes": [{"address": "a.b", "type": "a", "change": {"actions": ["create"], "after": 3}}]}
        ).encode(),
        "change.after is a JSON number, expected an object",
    ),
    ("configuration list", json.dumps({**_valid(), "configuration": []}).encode(), "configuration is a JSON array, expected an object"),
]


@pytest.mark.parametrize(("name", "raw", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_inputs_give_one_line_naming_the_file(tmp_path: Path, name: str, raw: bytes, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(raw)
    with pytest.raises(PlanError) as caught:
        model.load(path)
    text = str(caught.value)
    assert message in text
    assert str(path) in text
    assert "\n" not in text
    assert caught.value.exit_code == 2


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such file"):
        model.load(tmp_path / "nope.json")
    with pytest.raises(PlanError, match="is a directory"):
        model.load(tmp_path)


def test_load_time_of_the_largest_plan(env_plans: dict[str, Path]) -> None:
    largest = max(env_plans.values(), key=lambda p: p.stat().st_size)
    plan = model.load(largest)
    assert len(plan.resources) > 150
