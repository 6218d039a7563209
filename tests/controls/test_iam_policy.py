"""Policy documents as a plan shows them (controls/iam_policy.py): known JSON, or rebuilt from the configuration of the
aws_iam_policy_document it is built from when its JSON is known only after apply.

Every control that reads a policy (I1-I3, S2, T3, K2, the class-level policy facet) sees exactly what these functions
return: a statement dropped or a principal misread here is a grant no control judges.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tapguard.controls import iam_policy
from tapguard.planning import model
from tests.controls.checks.golden import resource
from tests.controls.checks.golden import synthetic_plan as plan

DOCUMENT = "data.aws_iam_policy_document.d"
FROM_DOCUMENT = {"references": [f"{DOCUMENT}.json", DOCUMENT]}
READ = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def const(value: Any) -> dict[str, Any]:
    return {"constant_value": value}


def rebuilt(*statements: dict[str, Any], policy: Any = None, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The document of aws_iam_policy.p whose policy comes from a policy-document data source configured with
    `statements` (its JSON unknown at plan time)."""
    p = plan(
        resource("aws_iam_policy.p", {"policy": policy}, {"policy": True}),
        resource(DOCUMENT, {"json": None}, {"json": True}, mode="data"),
        config={"aws_iam_policy.p": {"policy": FROM_DOCUMENT}, DOCUMENT: {"statement": list(statements), **(extra or {})}},
    )
    return iam_policy.document(p.by_address["aws_iam_policy.p"])


def test_a_document_rebuilt_from_configuration_keeps_every_field_a_control_reads() -> None:
    statement = {
        "sid": const("ReadLogs"),
        "effect": const("Deny"),
        "actions": const(["s3:GetObject"]),
        "not_actions": const(["s3:DeleteObject"]),
        "resources": {"references": ["aws_s3_bucket.logs.arn", "aws_s3_bucket.logs"]},
        "principals": [
            {"type": const("AWS"), "identifiers": const(["arn:aws:iam::111122223333:root"])},
            {"type": const("Service"), "identifiers": const("logs.amazonaws.com")},
            {"type": const("AWS"), "identifiers": const(["arn:aws:iam::444455556666:root"])},
        ],
        "condition": [
            {"test": const("Bool"), "variable": const("aws:SecureTransport"), "values": const(["false"])},
            {"test": const("StringEquals"), "variable": const("aws:SourceAccount"), "values": const(["1", "2"])},
            {"test": const("Bool"), "variable": const("aws:ViaAWSService"), "values": const("true")},
        ],
    }
    assert rebuilt(statement, {"actions": const(["kms:*"])}) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Sid": "ReadLogs",
                "Action": ["s3:GetObject"],
                "NotAction": ["s3:DeleteObject"],
                "Resource": ["(known after apply)"],
                "Principal": {
                    "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"],
                    "Service": ["logs.amazonaws.com"],
                },
                "Condition": {
                    "Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "true"},
                    "StringEquals": {"aws:SourceAccount": ["1", "2"]},
                },
            },
            {"Effect": "Allow", "Action": ["kms:*"]},
        ],
        "_rebuilt_from_configuration": True,
    }


@pytest.mark.parametrize(
    ("principals", "principal"),
    [
        ([{"type": const("*"), "identifiers": const(["*"])}], "*"),
        ([{"type": const("*"), "identifiers": const(["*", "x"])}], {"*": ["*", "x"]}),
        ([{"type": const("AWS"), "identifiers": const(["*"])}], {"AWS": ["*"]}),
        ([{"type": {"references": ["var.t"]}, "identifiers": const("*")}], {"['(known after apply)']": ["*"]}),
        ([{"type": const("AWS")}], {"AWS": []}),
        ([{"type": const("AWS"), "identifiers": {"references": ["var.ids"]}}], {"AWS": ["(known after apply)"]}),
        (["not a block", {"type": const("AWS"), "identifiers": const("a")}], {"AWS": ["a"]}),
    ],
)
def test_principals_are_rebuilt_by_type_and_anyone_reads_as_star(principals: list[Any], principal: Any) -> None:
    doc = rebuilt({"principals": principals})
    assert doc is not None and doc["Statement"] == [{"Effect": "Allow", "Principal": principal}]


def test_a_condition_value_unknown_at_plan_is_shown_as_such() -> None:
    doc = rebuilt({"condition": [{"test": const("StringEquals"), "variable": const("aws:SourceArn"), "values": {"references": ["x"]}}]})
    assert doc is not None and doc["Statement"] == [
        {"Effect": "Allow", "Condition": {"StringEquals": {"aws:SourceArn": "(known after apply)"}}}
    ]


def test_a_document_with_dynamic_statements_cannot_be_rebuilt() -> None:
    dynamic = {"dynamic": {"statement": {"for_each": {"references": ["var.s"]}}}}
    assert rebuilt({"actions": const(["s3:*"])}, extra=dynamic) is None


def test_a_document_without_statement_blocks_cannot_be_rebuilt() -> None:
    p = plan(
        resource("aws_iam_policy.p", {"policy": None}, {"policy": True}),
        resource(DOCUMENT, {"json": None}, {"json": True}, mode="data"),
        config={"aws_iam_policy.p": {"policy": FROM_DOCUMENT}, DOCUMENT: {"statement": {"actions": const(["s3:*"])}}},
    )
    assert iam_policy.document(p.by_address["aws_iam_policy.p"]) is None


@pytest.mark.parametrize(("written", "document"), [(READ, json.loads(READ)), ("[1, 2]", None), ('"text"', None), ("{not json", None)])
def test_a_written_policy_is_its_json_object_and_nothing_else(written: str, document: Any) -> None:
    p = plan(resource("aws_iam_policy.p", {"policy": written}))
    assert iam_policy.document(p.resources[0]) == document


def test_an_empty_policy_is_read_from_the_document_it_references() -> None:
    p = plan(
        resource("aws_iam_policy.p", {"policy": ""}),
        resource(DOCUMENT, {"json": READ}, mode="data"),
        config={"aws_iam_policy.p": {"policy": FROM_DOCUMENT}},
    )
    assert iam_policy.document(p.by_address["aws_iam_policy.p"]) == json.loads(READ)


def test_only_policy_documents_are_followed_and_an_instance_reads_its_own() -> None:
    p = plan(
        resource("aws_iam_policy.p", {"policy": None}, {"policy": True}),
        resource(DOCUMENT, {"json": READ}, mode="data"),
        resource("aws_s3_bucket.b", {"json": '{"Statement": []}'}),
        config={"aws_iam_policy.p": {"policy": {"references": [f"{DOCUMENT}.json", DOCUMENT, "aws_s3_bucket.b"]}}},
    )
    assert iam_policy.document(p.by_address["aws_iam_policy.p"]) == json.loads(READ)
    other = json.dumps({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    each = plan(
        {**resource("aws_iam_policy.p[1]", {"policy": None}, {"policy": True}), "index": 1, "name": "p"},
        {**resource(f"{DOCUMENT}[0]", {"json": READ}, mode="data"), "index": 0, "name": "d"},
        {**resource(f"{DOCUMENT}[1]", {"json": other}, mode="data"), "index": 1, "name": "d"},
        config={"aws_iam_policy.p": {"policy": FROM_DOCUMENT}},
    )
    assert iam_policy.document(each.by_address["aws_iam_policy.p[1]"]) == json.loads(other)


def test_a_resource_outside_a_plan_has_no_document_to_follow() -> None:
    r = model.Resource("aws_iam_policy.p", "", "managed", "aws_iam_policy", "p", None, ("create",), {"policy": None}, {}, {})
    assert iam_policy.document(r) is None
    assert iam_policy.document(
        model.Resource("aws_iam_policy.p", "", "managed", "aws_iam_policy", "p", None, ("create",), {"policy": READ}, {}, {})
    ) == json.loads(READ)


def test_a_document_names_the_attribute_it_reads() -> None:
    p = plan(resource("aws_iam_role.r", {"assume_role_policy": READ, "policy": None}))
    assert iam_policy.document(p.resources[0], "assume_role_policy") == json.loads(READ)
    assert iam_policy.document(p.resources[0]) is None


@pytest.mark.parametrize(
    ("doc", "found"),
    [
        ({"Statement": [{"Effect": "Allow"}, "x", None]}, [{"Effect": "Allow"}]),
        ({"Statement": {"Effect": "Deny"}}, [{"Effect": "Deny"}]),
        ({}, []),
        ({"Statement": None}, []),
    ],
)
def test_statements_are_the_objects_of_the_statement_list_or_the_one_statement(doc: dict[str, Any], found: list[Any]) -> None:
    assert iam_policy.statements(doc) == found


def test_principals_actions_and_resources_read_as_lists_of_text() -> None:
    statement = {"Principal": {"AWS": ["a", 1], "Service": "s"}, "Action": "s3:*", "Resource": ["r", 2]}
    assert iam_policy.principals(statement) == ["a", "1", "s"]
    assert iam_policy.principals({"Principal": "*"}) == ["*"]
    assert iam_policy.principals({"Principal": "arn"}) == []
    assert iam_policy.actions(statement) == ["s3:*"]
    assert iam_policy.resources(statement) == ["r", "2"]
    assert iam_policy.actions({}) == [] and iam_policy.listify(None) == [] and iam_policy.listify(0) == [0]
    assert iam_policy.as_blocks([{"a": 1}, "b", None]) == [{"a": 1}] and iam_policy.as_blocks({"a": 1}) == [{"a": 1}]
