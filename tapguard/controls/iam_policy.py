"""IAM and resource policy documents as seen in a plan: known JSON or a policy-document data source."""

from __future__ import annotations

import json
from typing import Any

from tapguard.planning.model import Resource


def document(r: Resource, attribute: str = "policy") -> dict[str, Any] | None:
    """The policy JSON of an attribute, or of the aws_iam_policy_document it is built from.

    A document whose JSON is only known after apply (it names an ARN created in the same
    plan) is rebuilt from its configuration: effects, actions, principals and conditions
    are constants there; resources that are references show as "(known after apply)".
    """
    value = r.get(attribute)
    if not isinstance(value, str) or not value:
        sources = r.referenced(attribute, "aws_iam_policy_document") if r.plan else []
        narrowed = [s for s in sources if r.index is None or str(s.index) == str(r.index)] or sources
        if len(narrowed) != 1:
            return None
        value = narrowed[0].get("json")
        if not isinstance(value, str):
            return from_config(narrowed[0])
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def from_config(source: Resource) -> dict[str, Any] | None:
    blocks = source.config.get("statement")
    if not isinstance(blocks, list) or source.config.get("dynamic"):
        return None

    def const(expr: Any, default: Any = None) -> Any:
        if isinstance(expr, dict) and "constant_value" in expr:
            return expr["constant_value"]
        if isinstance(expr, dict) and "references" in expr:
            return ["(known after apply)"]
        return default

    out = []
    for block in blocks:
        statement: dict[str, Any] = {"Effect": const(block.get("effect"), "Allow")}
        for key, name in (("sid", "Sid"), ("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource")):
            if key in block:
                statement[name] = const(block[key])
        principals: dict[str, list[Any]] = {}
        for p in as_blocks(block.get("principals")):
            principals.setdefault(str(const(p.get("type"))), []).extend(listify(const(p.get("identifiers"))))
        if principals:
            statement["Principal"] = "*" if principals.get("*") == ["*"] else principals
        conditions: dict[str, dict[str, Any]] = {}
        for c in as_blocks(block.get("condition")):
            values = listify(const(c.get("values")))
            conditions.setdefault(str(const(c.get("test"))), {})[str(const(c.get("variable")))] = values[0] if len(values) == 1 else values
        if conditions:
            statement["Condition"] = conditions
        out.append(statement)
    return {"Version": "2012-10-17", "Statement": out, "_rebuilt_from_configuration": True}


def as_blocks(value: Any) -> list[dict[str, Any]]:
    return [v for v in listify(value) if isinstance(v, dict)]


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = doc.get("Statement", [])
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]


def listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(p) for v in principal.values() for p in listify(v)]
    return []


def actions(statement: dict[str, Any]) -> list[str]:
    return [str(a) for a in listify(statement.get("Action"))]


def resources(statement: dict[str, Any]) -> list[str]:
    return [str(a) for a in listify(statement.get("Resource"))]
