"""Plan assertions as data: an inventory.yaml next to a root module, compared with its real plan.

    counts:   resource type -> number of managed resources planned (every type: a new one shows as a diff)
    values:   address -> {attribute: expected value}; dicts compare key by key, lists element by element
    outputs:  output name -> expected value

"(known after apply)" expects a value that is unknown until apply. Every difference is one line:
`<inventory file>: <address> <attribute>: expected X, planned Y`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tapguard.planning.model import Plan

UNKNOWN = "(known after apply)"
_SECTIONS = ("counts", "values", "outputs")
_MISSING = object()


@dataclass(frozen=True)
class Inventory:
    path: Path
    counts: dict[str, int]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


def load(path: Path) -> Inventory:
    data = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(data) - set(_SECTIONS))
    assert not unknown, f"{path}: unknown sections {unknown} (known: {', '.join(_SECTIONS)})"
    assert isinstance(data.get("counts"), dict) and data["counts"], f"{path}: counts: is required (resource type -> count)"
    return Inventory(path, dict(data["counts"]), dict(data.get("values") or {}), dict(data.get("outputs") or {}))


def differences(inventory: Inventory, plan: Plan, label: str) -> list[str]:
    """Every way the plan differs from the inventory, one line each; empty when they agree."""
    found: list[str] = []
    planned = Counter(r.type for r in plan.resources if r.mode == "managed" and not r.deleted)
    for rtype in sorted(set(planned) | set(inventory.counts)):
        want, got = inventory.counts.get(rtype, 0), planned.get(rtype, 0)
        if want != got:
            found.append(f"{label}: counts {rtype}: expected {want}, planned {got}")
    for address, attributes in inventory.values.items():
        resource = plan.by_address.get(address)
        if resource is None:
            found.append(f"{label}: {address}: not in the plan")
            continue
        for attribute, expected in (attributes or {}).items():
            found += _compare(f"{label}: {address}", attribute, expected, resource.after, resource.after_unknown)
    changes = plan.data.get("output_changes") or {}
    for name, expected in inventory.outputs.items():
        if name not in changes:
            found.append(f"{label}: output {name}: not in the plan")
            continue
        change = changes[name]
        after = {name: change["after"]} if "after" in change else {}
        found += _compare(f"{label}: output", name, expected, after, {name: change.get("after_unknown", False)})
    return found


def _compare(where: str, path: str, expected: Any, after: Any, unknown: Any) -> list[str]:
    value = _dig(after, path)
    marker = _dig(unknown, path)
    if expected == UNKNOWN:
        return [] if marker is True else [f"{where} {path}: expected {UNKNOWN}, planned {_show(value)}"]
    if marker is True:
        return [f"{where} {path}: expected {_show(expected)}, planned {UNKNOWN}"]
    if isinstance(expected, dict) and isinstance(value, dict):
        return [line for key, sub in expected.items() for line in _compare(where, f"{path}.{key}", sub, after, unknown)]
    if isinstance(expected, list) and isinstance(value, list) and len(expected) == len(value):
        return [line for i, sub in enumerate(expected) for line in _compare(where, f"{path}.{i}", sub, after, unknown)]
    if value is _MISSING or not _equal(expected, value):
        return [f"{where} {path}: expected {_show(expected)}, planned {_show(value)}"]
    return []


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    return bool(expected == value)


def _dig(node: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _show(value: Any) -> str:
    return "nothing" if value is _MISSING else json.dumps(value, sort_keys=True)
