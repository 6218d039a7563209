"""Redaction: every value a plan marks sensitive is replaced before anything reaches disk or a screen."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
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


# Credential-named attributes: their values are redacted wherever they sit, marked sensitive or not (terraform
# marks only what the provider schema says; a hand-written or third-party plan may mark nothing). Exact names,
# matched case-insensitively: a suffix rule would also hit flags like manage_master_user_password, which checks read.
CREDENTIAL_NAMES = frozenset(
    {
        "password",
        "passwd",
        "password_wo",
        "master_password",
        "master_password_wo",
        "master_user_password",
        "admin_password",
        "root_password",
        "db_password",
        "database_password",
        "smtp_password",
        "ses_smtp_password_v4",
        "secret",
        "client_secret",
        "secret_string",
        "secret_string_wo",
        "secret_binary",
        "secret_key",
        "secret_access_key",
        "aws_secret_access_key",
        "access_key",
        "token",
        "auth_token",
        "access_token",
        "refresh_token",
        "api_token",
        "api_key",
        "apikey",
        "private_key",
        "private_key_pem",
        "private_key_openssh",
        "private_key_pkcs8",
        "key_material_base64",
        "connection_string",
        "credentials",
    }
)
# where terraform mirrors a value with booleans (true = sensitive/unknown): walked as mirrors, never as values
MIRRORS = frozenset({"after_unknown", "after_sensitive", "before_sensitive", "sensitive_values", "before_unknown"})
# a value and the mirror that marks its sensitive parts, wherever the pair sits (resource_changes, resource_drift,
# planned_values, prior_state, output_changes, deferred changes)
PAIRS = (("before", "before_sensitive"), ("after", "after_sensitive"), ("values", "sensitive_values"))
# maps whose keys are names people chose (a module called "token"), not attributes
NAMED = frozenset({"module_calls", "provider_config"})
# maps of declarations by name: a credential-named one has its value (or default) redacted, not its declaration
DECLARED = frozenset({"variables", "outputs"})
_VARIANTS = frozenset(v for n in CREDENTIAL_NAMES for v in (n, n.upper(), n.capitalize()))


def rules_digest() -> str:
    """What decides redaction, as a digest: a cached plan redacted under other rules is not reused."""
    import hashlib

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update("|".join(sorted(CREDENTIAL_NAMES)).encode())
    return digest.hexdigest()[:16]


def redact_plan_json(data: dict[str, Any], in_place: bool = False, max_depth: int | None = None) -> tuple[dict[str, Any], set[str]]:
    """A whole plan document with every sensitive value replaced: a copy, or `data` itself when in_place
    (a caller that owns a freshly parsed document: a big plan is then never held twice).

    Replaced: values marked sensitive anywhere (before/after/values beside their *_sensitive mirror, outputs and
    variables marked sensitive, defaults of sensitive variables) and values of credential-named attributes at any
    depth, whatever their length or type. Returns the document and the secret strings it removed, so callers can
    scrub any other text (logs) too; secrets of 8 characters or more are also scrubbed wherever else they appear
    verbatim (inside a JSON string attribute, a key). With `max_depth`, a document nested deeper raises TooDeep
    (checked in the same walk: a plan's million containers are visited once, not twice).
    """
    out = data if in_place else copy.deepcopy(data)
    secrets: set[str] = set()
    configuration = out.get("configuration")
    root = configuration.get("root_module") if isinstance(configuration, dict) else None
    root_vars = root.get("variables") if isinstance(root, dict) else None
    variables = out.get("variables")
    if isinstance(root_vars, dict) and isinstance(variables, dict):
        for name, var in variables.items():
            declared = root_vars.get(name)
            if isinstance(var, dict) and isinstance(declared, dict) and declared.get("sensitive") and var.get("value") is not None:
                secrets.update(_strings(var["value"]))
                var["value"] = REDACTED
    _walk(out, secrets, max_depth or sys.maxsize)
    secrets = {s for s in secrets if len(s) >= 8 and s != REDACTED}
    if secrets:
        _scrub_tree(out, secrets)
    return out, secrets


class TooDeep(ValueError):
    """A document nested deeper than the caller's limit."""


def _walk(root: Any, secrets: set[str], limit: int) -> None:
    """Every object of the document once (iteratively): marked pairs, sensitive outputs/variables, credential names;
    mirrors cleaned of anything but marks; nesting bounded by `limit` (the root is level 1)."""
    stack: list[tuple[Any, Any, int]] = [(root, "", 1)]  # (node, the key it sits under, its level)
    while stack:
        node, parent, depth = stack.pop()
        if depth > limit:
            raise TooDeep(limit)
        below = depth + 1
        if isinstance(node, list):
            stack.extend([(v, parent if parent is _MIRROR else "", below) for v in node if type(v) is dict or type(v) is list])
            if parent is _MIRROR:
                _marks_only(node)
            continue
        if parent is _MIRROR:
            _marks_only(node)
            stack.extend([(v, _MIRROR, below) for v in node.values() if type(v) is dict or type(v) is list])
            continue
        for value_key, mirror_key in PAIRS:
            if value_key in node and mirror_key in node and _marks_anything(node[mirror_key]):
                secrets.update(_sensitive_leaves(node[value_key], node[mirror_key]))
                node[value_key] = redact(node[value_key], node[mirror_key])
        if node.get("sensitive") is True:  # an output or a variable declared sensitive
            _redact_fields(node, secrets)
        if parent not in NAMED and not _VARIANTS.isdisjoint(node):
            for key in [k for k in node if k in _VARIANTS]:
                if parent in DECLARED and isinstance(node[key], dict):
                    _redact_fields(node[key], secrets)
                else:
                    node[key] = _redact_credential(node[key], secrets)
        for key, value in node.items():
            if key in MIRRORS:
                if type(value) is dict or type(value) is list:
                    stack.append((value, _MIRROR, below))
                elif not (value is None or type(value) is bool):
                    node[key] = REDACTED
            elif type(value) is dict or type(value) is list:
                stack.append((value, key, below))


_MIRROR: Any = object()  # the "parent key" of a mirror's containers: no JSON key can be it


def _marks_only(mirror: dict[str, Any] | list[Any]) -> None:
    """A mirror holds booleans, objects and arrays: anything else in it is not a mark and is replaced (in place)."""
    items = mirror.items() if type(mirror) is dict else enumerate(mirror)
    wrong = [k for k, v in items if not (v is None or type(v) is bool or type(v) is dict or type(v) is list)]
    for key in wrong:
        mirror[key] = REDACTED  # type: ignore[index]


def _redact_fields(declaration: dict[str, Any], secrets: set[str]) -> None:
    """An output's or a variable's value, and a variable's default."""
    for key in ("value", "default"):
        if declaration.get(key) is not None:
            secrets.update(_strings(declaration[key]))
            declaration[key] = REDACTED


def _redact_credential(value: Any, secrets: set[str]) -> Any:
    """Every scalar of a credential-named attribute's value (null stays null: unset); expression references are
    addresses, not values, and stay."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: v if k == "references" else _redact_credential(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_credential(v, secrets) for v in value]
    if isinstance(value, str):
        secrets.add(value)
    return REDACTED


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
