"""Redaction: every value a plan marks sensitive is replaced before anything reaches disk or a screen."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any

REDACTED = "(sensitive)"


def redact(value: Any, sensitive: Any) -> Any:
    """Replace every value marked sensitive (a bool or a mirror structure) with REDACTED.

    What holds nothing sensitive is returned as it is (not copied): a big plan is mostly that.
    """
    if sensitive is True:
        return REDACTED if value is not None else None
    if isinstance(value, dict) and isinstance(sensitive, dict) and sensitive:
        changed: dict[str, Any] | None = None
        for k, v in value.items():
            r = redact(v, sensitive.get(k))
            if r is not v:
                changed = changed if changed is not None else dict(value)
                changed[k] = r
        return value if changed is None else changed
    if isinstance(value, list) and isinstance(sensitive, list) and sensitive:
        items = [redact(v, sensitive[i] if i < len(sensitive) else None) for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _sensitive_leaves(value: Any, sensitive: Any) -> Iterator[str]:
    if sensitive is True:
        yield from _strings(value)
    elif isinstance(value, dict) and isinstance(sensitive, dict):
        for k, v in value.items():
            yield from _sensitive_leaves(v, sensitive.get(k))
    elif isinstance(value, list) and isinstance(sensitive, list):
        for i, v in enumerate(value):
            yield from _sensitive_leaves(v, sensitive[i] if i < len(sensitive) else None)


def _strings(value: Any) -> Iterator[str]:
    # Terraform propagates sensitivity: anything derived from a secret is itself marked,
    # so whole leaf strings are what needs scrubbing (decoding them would over-redact).
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def redact_plan_json(data: dict[str, Any], in_place: bool = False) -> tuple[dict[str, Any], set[str]]:
    """A whole plan document with every sensitive value replaced: a copy, or `data` itself when in_place
    (a caller that owns a freshly parsed document: a big plan is then never held twice).

    Returns the document and the set of secret strings it removed, so callers can scrub
    any other text (logs) too. Values marked sensitive anywhere are also scrubbed
    wherever else they appear verbatim (e.g. inside a JSON string attribute).
    """
    out = data if in_place else copy.deepcopy(data)
    secrets: set[str] = set()

    def mark(node: dict[str, Any], value_key: str, sensitive_key: str) -> None:
        if value_key in node and sensitive_key in node and _marks_anything(node[sensitive_key]):
            secrets.update(_sensitive_leaves(node[value_key], node[sensitive_key]))
            node[value_key] = redact(node[value_key], node[sensitive_key])

    for change in out.get("resource_changes", []) or []:
        body = change.get("change", {})
        mark(body, "before", "before_sensitive")
        mark(body, "after", "after_sensitive")

    def walk_module(module: dict[str, Any]) -> None:
        for res in module.get("resources", []) or []:
            mark(res, "values", "sensitive_values")
        for child in module.get("child_modules", []) or []:
            walk_module(child)

    for key in ("planned_values", "prior_state"):
        section = out.get(key) or {}
        values = section.get("values", section) if key == "prior_state" else section
        walk_module(values.get("root_module", {}) if isinstance(values, dict) else {})
        for output in (values.get("outputs", {}) if isinstance(values, dict) else {}).values():
            if output.get("sensitive"):
                secrets.update(_strings(output.get("value")))
                output["value"] = REDACTED
    for change in (out.get("output_changes") or {}).values():
        for side in ("before", "after"):
            flag = change.get(f"{side}_sensitive")
            if flag:
                secrets.update(_strings(change.get(side)))
                change[side] = redact(change.get(side), flag)
    root_vars = out.get("configuration", {}).get("root_module", {}).get("variables", {})
    for name, var in (out.get("variables") or {}).items():
        if root_vars.get(name, {}).get("sensitive"):
            secrets.update(_strings(var.get("value")))
            var["value"] = REDACTED
    secrets = {s for s in secrets if len(s) >= 8 and s != REDACTED}
    if secrets:
        _scrub_tree(out, secrets)
    return out, secrets


def _marks_anything(sensitive: Any) -> bool:
    """Does a sensitivity mirror (dicts, lists and booleans only) mark anything? Most resources' mark nothing:
    one C-speed serialisation answers that without walking value and mirror side by side."""
    if sensitive is True:
        return True
    if not sensitive or not isinstance(sensitive, (dict, list)):
        return False
    try:
        return "true" in json.dumps(sensitive)
    except (TypeError, ValueError):  # not a pure mirror: let the walk decide
        return True


def _scrub_tree(root: Any, secrets: Iterable[str]) -> None:
    """scrub() on every string (keys too) of a JSON document, in place: no second copy of the document as text."""
    ordered = sorted(set(secrets), key=len, reverse=True)
    needles = {*ordered, *(json.dumps(s)[1:-1] for s in ordered)}  # a secret as it is, and inside a JSON string

    def clean(text: str) -> str:
        return scrub(text, ordered) if any(n in text for n in needles) else text

    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                new_key = clean(key)
                if new_key != key:
                    del node[key]
                    node[new_key] = value
                if isinstance(value, str):
                    node[new_key] = clean(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str):
                    node[i] = clean(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Remove each secret from text, also in its JSON-escaped form. Longest first."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
        escaped = json.dumps(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, REDACTED)
    return text
