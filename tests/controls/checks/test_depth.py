"""Depth on other teams' plans: every policy-bearing type under I1, egress from any cardholder-data group under N4,
public-access-block findings on the block, EBS encryption through aws_ebs_encryption_by_default. Each rule has a
failing and a passing edge."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tapguard.controls import engine
from tapguard.planning import model

WILD = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
SCOPED = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
PUBLIC = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
CONDITIONED = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceVpce": "v"}},
            }
        ]
    }
)


def change(address: str, after: dict[str, Any], unknown: dict[str, Any] | None = None, mode: str = "managed") -> dict[str, Any]:
    rtype, name = address.removeprefix("data.").split(".")[:2]
    return {
        "address": address,
        "mode": mode,
        "type": rtype,
        "name": name,
        "change": {"actions": ["read" if mode == "data" else "create"], "before": None, "after": after, "after_unknown": unknown or {}},
    }


def run(control: str, changes: list[dict[str, Any]], configuration: dict[str, Any] | None = None) -> list[engine.Finding]:
    doc = {"format_version": "1.2", "resource_changes": changes, "planned_values": {}, "configuration": configuration or {}}
    plan = model.from_dict(doc, "depth")
    return engine.evaluate("other-team", plan, only=[control])


def status(findings: list[engine.Finding], address: str) -> set[str]:
    return {f.status for f in findings if f.address == address}


@pytest.mark.parametrize(
    "rtype",
    ["aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role_policy", "aws_iam_policy"],
)
def test_i1_reads_every_identity_policy(rtype: str) -> None:
    found = [
        f for f in run("I1", [change(f"{rtype}.x", {"policy": WILD}), change(f"{rtype}.y", {"policy": SCOPED})]) if f.attribute == "policy"
    ]
    assert status(found, f"{rtype}.x") == {"fail"} and status(found, f"{rtype}.y") == {"pass"}


@pytest.mark.parametrize(
    "rtype,attribute",
    [("aws_s3_bucket_policy", "policy"), ("aws_kms_key", "policy"), ("aws_sqs_queue_policy", "policy"), ("aws_sns_topic_policy", "policy")],
)
def test_i1_reads_every_resource_policy(rtype: str, attribute: str) -> None:
    findings = run("I1", [change(f"{rtype}.x", {attribute: PUBLIC}), change(f"{rtype}.y", {attribute: CONDITIONED})])
    assert "fail" in status(findings, f"{rtype}.x") and status(findings, f"{rtype}.y") == {"pass"}


def test_i1_follows_a_policy_document_through_configuration_references() -> None:
    configuration = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_iam_group_policy.g",
                    "mode": "managed",
                    "type": "aws_iam_group_policy",
                    "name": "g",
                    "expressions": {"policy": {"references": ["data.aws_iam_policy_document.d.json", "data.aws_iam_policy_document.d"]}},
                },
                {
                    "address": "data.aws_iam_policy_document.d",
                    "mode": "data",
                    "type": "aws_iam_policy_document",
                    "name": "d",
                    "expressions": {"statement": [{"actions": {"constant_value": ["*"]}, "resources": {"constant_value": ["*"]}}]},
                },
            ]
        }
    }
    changes = [
        change("aws_iam_group_policy.g", {}, {"policy": True}),
        change("data.aws_iam_policy_document.d", {}, {"json": True}, mode="data"),
    ]
    assert status(run("I1", changes, configuration), "aws_iam_group_policy.g") == {"fail"}
    # the data source's json read at plan time (prior state) is read as it is
    changes[1]["change"]["after"] = {"json": SCOPED}
    changes[1]["change"]["after_unknown"] = {}
    assert status(run("I1", changes, configuration), "aws_iam_group_policy.g") == {"pass"}


def _db_configuration() -> dict[str, Any]:
    return {
        "root_module": {
            "resources": [
                {
                    "address": "aws_db_instance.cards",
                    "mode": "managed",
                    "type": "aws_db_instance",
                    "name": "cards",
                    "expressions": {"vpc_security_group_ids": {"references": ["aws_security_group.db.id", "aws_security_group.db"]}},
                },
            ]
        }
    }


@pytest.mark.parametrize(
    "egress,expected",
    [
        ([{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}], "fail"),
        ([{"protocol": "-1", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["::/0"]}], "fail"),
        ([{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/16"]}], "pass"),
        ([], "pass"),
    ],
)
def test_n4_egress_to_the_internet_from_a_cardholder_store(egress: list[dict[str, Any]], expected: str) -> None:
    changes = [change("aws_security_group.db", {"egress": egress, "ingress": []}), change("aws_db_instance.cards", {"engine": "postgres"})]
    assert status(run("N4", changes, _db_configuration()), "aws_security_group.db") == {expected}


def test_n4_egress_rule_resource_of_a_cardholder_group() -> None:
    configuration = _db_configuration()
    configuration["root_module"]["resources"].append(
        {
            "address": "aws_vpc_security_group_egress_rule.out",
            "mode": "managed",
            "type": "aws_vpc_security_group_egress_rule",
            "name": "out",
            "expressions": {"security_group_id": {"references": ["aws_security_group.db.id", "aws_security_group.db"]}},
        }
    )
    changes = [
        change("aws_security_group.db", {"ingress": []}),
        change("aws_db_instance.cards", {"engine": "postgres"}),
        change(
            "aws_vpc_security_group_egress_rule.out", {"ip_protocol": "tcp", "cidr_ipv4": "0.0.0.0/0", "from_port": 443, "to_port": 443}
        ),
    ]
    assert status(run("N4", changes, configuration), "aws_vpc_security_group_egress_rule.out") == {"fail"}
    changes[2]["change"]["after"]["cidr_ipv4"] = "10.0.0.0/8"
    assert status(run("N4", changes, configuration), "aws_vpc_security_group_egress_rule.out") == {"pass"}


def _bucket_with_block(flag: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    flags = dict.fromkeys(("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"), flag)
    configuration = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_s3_bucket_public_access_block.b",
                    "mode": "managed",
                    "type": "aws_s3_bucket_public_access_block",
                    "name": "b",
                    "expressions": {"bucket": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}},
                },
            ]
        }
    }
    return [
        change("aws_s3_bucket.b", {"bucket": "cards"}),
        change("aws_s3_bucket_public_access_block.b", {"bucket": "cards", **flags}),
    ], configuration


def test_public_access_block_findings_land_on_the_block() -> None:
    changes, configuration = _bucket_with_block(False)
    findings = [f for f in run("N2", changes, configuration) if f.status == "fail"]
    assert {f.address for f in findings} == {"aws_s3_bucket_public_access_block.b"}
    assert {f.attribute for f in findings} == {"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"}
    changes, configuration = _bucket_with_block(True)
    assert not [f for f in run("N2", changes, configuration) if f.status == "fail"]


@pytest.mark.parametrize(
    "default,expected",
    [(None, "fail"), ({"enabled": True}, "pass"), ({"enabled": False}, "fail")],
)
def test_ebs_encryption_unknown_resolved_by_the_default(default: dict[str, Any] | None, expected: str) -> None:
    changes = [change("aws_ebs_volume.v", {"size": 10}, {"encrypted": True})]
    if default is not None:
        changes.append(change("aws_ebs_encryption_by_default.on", default))
    findings = [f for f in run("E8", changes) if f.address == "aws_ebs_volume.v" and f.attribute == "encrypted"]
    assert {f.status for f in findings} == {expected}


def test_ebs_explicitly_unencrypted_fails_whatever_the_default() -> None:
    changes = [change("aws_ebs_volume.v", {"size": 10, "encrypted": False}), change("aws_ebs_encryption_by_default.on", {"enabled": True})]
    findings = [f for f in run("E8", changes) if f.address == "aws_ebs_volume.v" and f.attribute == "encrypted"]
    assert {f.status for f in findings} == {"fail"}
