"""A deployed state, as tapguard's plan model loads it, and where it disagrees with the plan.

`terraform show -json` of a state has values only (every one known) and no configuration.
The configuration comes from the plan of the same code, so the controls can follow
references exactly as they do on a plan; each resource becomes a no-op change whose
`after` is its deployed value. The same controls then run on what exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from tapguard.foundation.errors import TapguardError
from tapguard.planning import model, redaction

# Attributes that only exist once deployed or that AWS normalises; a difference here is no drift.
_EMPTY: tuple[Any, ...] = (None, "", 0, False, [], {})
_VOLATILE = {"id", "arn", "tags_all", "last_modified", "version", "qualified_arn", "qualified_invoke_arn", "invoke_arn"}


def _modules(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield module
    for child in module.get("child_modules", []) or []:
        yield from _modules(child)


def state_resources(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource instance in a `terraform show -json` state, managed and data."""
    values = state.get("values")
    if values is None:
        return []  # an empty state shows no values
    if not isinstance(values, dict) or not isinstance(values.get("root_module", {}), dict):
        raise TapguardError("not a `terraform show -json` state: values.root_module missing")
    found = []
    for module in _modules(values.get("root_module") or {}):
        for res in module.get("resources", []) or []:
            found.append({**res, "module_address": module.get("address", "")})
    return found


def as_plan(state: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """A plan document whose changes are the deployed resources (no-op, every value known)."""
    changes = []
    for res in state_resources(state):
        if res.get("mode") != "managed":
            continue
        change: dict[str, Any] = {
            "address": res["address"],
            "mode": "managed",
            "type": res["type"],
            "name": res["name"],
            "provider_name": res.get("provider_name"),
            "change": {
                "actions": ["no-op"],
                "before": res.get("values") or {},
                "after": res.get("values") or {},
                "after_unknown": {},
                "before_sensitive": res.get("sensitive_values") or {},
                "after_sensitive": res.get("sensitive_values") or {},
            },
        }
        if res.get("module_address"):
            change["module_address"] = res["module_address"]
        if "index" in res:
            change["index"] = res["index"]
        changes.append(change)
    return {
        "format_version": state.get("format_version", "1.0"),
        "terraform_version": state.get("terraform_version") or "?",  # a state read by an older show may not say
        "tapguard_evidence": "deployed-state",
        "variables": plan.get("variables", {}),
        "planned_values": state.get("values") or {"root_module": {}},
        "prior_state": {"format_version": state.get("format_version", "1.0"), "values": state.get("values") or {"root_module": {}}},
        "resource_changes": changes,
        "configuration": plan.get("configuration", {}),
    }


def load(state: dict[str, Any], plan: dict[str, Any], name: str) -> model.Plan:
    """The deployed state in the plan model (redacted exactly like a plan)."""
    data = as_plan(state, plan)
    return model.from_dict(redaction.redact_plan_json(data)[0], name)


@dataclass
class Drift:
    """Where the deployed state and the plan disagree."""

    not_deployed: dict[str, str] = field(default_factory=dict)  # planned address -> reason (offline) or "missing"
    not_planned: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # address, attribute, planned, deployed

    @property
    def clean(self) -> bool:
        return not self.not_deployed and not self.not_planned and not self.changed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _leaves(value: Any, unknown: Any, sensitive: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Known, non-sensitive leaf values of a planned `after`, by dotted path."""
    if unknown is True or sensitive is True:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(
                v,
                unknown.get(k) if isinstance(unknown, dict) else None,
                sensitive.get(k) if isinstance(sensitive, dict) else None,
                f"{path}.{k}" if path else k,
            )
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(
                v,
                unknown[i] if isinstance(unknown, list) and i < len(unknown) else None,
                sensitive[i] if isinstance(sensitive, list) and i < len(sensitive) else None,
                f"{path}.{i}",
            )
    else:
        yield path, value


def _dig(value: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def drift(plan: dict[str, Any], state: dict[str, Any], offline: dict[str, str]) -> Drift:
    """Compare each planned known value with the deployed one. Sensitive values are never compared
    (nor shown); unknown ones have no planned value to compare."""
    result = Drift()
    deployed = {r["address"]: r for r in state_resources(state) if r.get("mode") == "managed"}
    planned = {
        rc["address"]: rc
        for rc in plan.get("resource_changes", [])
        if rc.get("mode", "managed") == "managed" and rc["change"].get("actions") != ["delete"]
    }
    for address, rc in sorted(planned.items()):
        res = deployed.get(address)
        if res is None:
            result.not_deployed[address] = offline.get(model.strip_indexes(address), "planned, not in the deployed state")
            continue
        body = rc["change"]
        values = res.get("values") or {}
        for path, want in _leaves(body.get("after") or {}, body.get("after_unknown") or {}, body.get("after_sensitive") or {}):
            if path.split(".")[0] in _VOLATILE:
                continue
            present, got = _dig(values, path)
            if want is None and (not present or got in _EMPTY):
                continue  # the provider reads an unset optional back as its empty value
            if not present or got != want:
                result.changed.append({"address": address, "attribute": path, "planned": want, "deployed": got if present else "(absent)"})
    result.not_planned = sorted(set(deployed) - set(planned))
    return result
