"""Plan JSON (format 1.x, terraform or tofu) as resources, values, unknowns and references.

A value that is unknown at plan time (the ARN of a key created in the same plan) is
resolved through the plan's `configuration` references: variables are followed into
the calling module, module outputs into the child module, until a resource address
is reached. Sensitive values are redacted before anything is rendered or written.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard import inputs
from tapguard.errors import TapguardError
from tapguard.planning.redaction import redact_plan_json

SUPPORTED_MAJOR = "1"
ACTIONS = frozenset({"no-op", "create", "read", "update", "delete", "forget"})
# Terraform 0.12-1.1 wrote plan JSON format 0.1 (0.12-0.14) and 0.2 (0.15-1.1): the same shape as 1.x for
# what tapguard reads (resource_changes, configuration, planned_values); after_sensitive arrived in 0.2.
SUPPORTED_LEGACY = ("0.1", "0.2")
_INDEX = re.compile(r'\[("(?:[^"\\]|\\.)*"|\d+)\]')


class PlanError(TapguardError):
    """A plan file that cannot be used: exit code 2, one line naming the file."""


@dataclass(frozen=True)
class Reference:
    """Where an attribute's value comes from: resource addresses, or an input variable of the root."""

    resources: tuple[str, ...]
    root_variables: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()


@dataclass
class Resource:
    address: str
    module: str  # "" for the root module, e.g. "module.kms"
    mode: str  # "managed" or "data"
    type: str
    name: str
    index: Any
    actions: tuple[str, ...]
    after: dict[str, Any]
    after_unknown: dict[str, Any]
    after_sensitive: Any
    config: dict[str, Any] = field(default_factory=dict)  # configuration expressions
    for_each_refs: list[str] = field(default_factory=list)  # references of for_each/count
    plan: Plan | None = field(default=None, repr=False, compare=False)

    @property
    def config_address(self) -> str:
        """Address without instance keys: module.kms.aws_kms_key.this"""
        base = f"{self.type}.{self.name}" if self.mode == "managed" else f"data.{self.type}.{self.name}"
        return f"{strip_indexes(self.module)}.{base}" if self.module else base

    @property
    def deleted(self) -> bool:
        """Not there after the plan: destroyed, or forgotten (a `removed` block leaves it unmanaged)."""
        return self.actions in (("delete",), ("forget",)) or ("forget" in self.actions and "create" not in self.actions)

    def get(self, path: str, default: Any = None) -> Any:
        """Value at a dotted path in `after` ("settings.0.logging_level"); lists by index."""
        return _dig(self.after, path, default)

    def is_unknown(self, path: str) -> bool:
        """True only when the value itself is unknown (a list/dict marker means parts are)."""
        return _dig(self.after_unknown, path, False) is True

    def is_sensitive(self, path: str) -> bool:
        return _dig(self.after_sensitive, path, False) is True

    def has(self, path: str) -> bool:
        """Set to something: a known non-null value (possibly redacted) or a value unknown until apply."""
        return self.get(path) is not None or self.is_unknown(path)

    def references(self, attribute: str) -> Reference:
        if self.plan is None:
            return Reference(resources=())
        return self.plan.resolve(self, attribute)

    def referenced(self, attribute: str, rtype: str | None = None) -> list[Resource]:
        """Resources the attribute's expression points to (through variables and outputs)."""
        assert self.plan is not None
        found = [self.plan.by_address[a] for a in self.references(attribute).resources if a in self.plan.by_address]
        return [r for r in found if rtype is None or r.type == rtype]


@dataclass
class Plan:
    path: Path | None
    data: dict[str, Any]
    resources: list[Resource]
    by_address: dict[str, Resource]
    _by_config: dict[str, list[Resource]] = field(default_factory=dict, repr=False)
    _by_type: dict[tuple[str, str], list[Resource]] = field(default_factory=dict, repr=False)
    _resolved: dict[tuple[str, str], Reference] = field(default_factory=dict, repr=False)
    _modules: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def index(self) -> None:
        """Lookups by configuration address and by type; call after resources are added."""
        self._by_config.clear()
        self._by_type.clear()
        self._resolved.clear()
        for r in self.resources:
            self._by_config.setdefault(r.config_address, []).append(r)
            if not r.deleted:
                self._by_type.setdefault((r.type, r.mode), []).append(r)

    @property
    def terraform_version(self) -> str:
        return str(self.data.get("terraform_version", "?"))

    @property
    def region(self) -> str | None:
        aws = self.data.get("configuration", {}).get("provider_config", {}).get("aws", {})
        value = aws.get("expressions", {}).get("region", {}).get("constant_value")
        return str(value) if value else None

    def of_type(self, *types: str, mode: str = "managed") -> list[Resource]:
        if len(types) == 1:
            return list(self._by_type.get((types[0], mode), []))
        wanted = set(types)
        return [r for r in self.resources if r.type in wanted and r.mode == mode and not r.deleted]

    def instances_of(self, config_address: str) -> list[Resource]:
        return self._by_config.get(config_address, [])

    def summary(self) -> dict[str, int]:
        counts = {"add": 0, "change": 0, "destroy": 0, "replace": 0}
        for r in self.resources:
            if r.mode != "managed":
                continue
            if r.actions in (("delete", "create"), ("create", "delete")):
                counts["replace"] += 1
            elif r.actions == ("create",):
                counts["add"] += 1
            elif r.actions == ("update",):
                counts["change"] += 1
            elif r.actions == ("delete",):
                counts["destroy"] += 1
            elif "forget" in r.actions:
                counts["forget"] = counts.get("forget", 0) + 1
        return counts

    # ------------------------------------------------------------ references
    def module_config(self, module: str) -> dict[str, Any]:
        """The configuration block of a module path ("" = root)."""
        found = self._modules.get(module)
        if found is None:
            node = self.data.get("configuration", {}).get("root_module", {})
            for part in _module_parts(module):
                node = node.get("module_calls", {}).get(part, {}).get("module", {})
            found = self._modules[module] = node
        return found

    def resolve(self, resource: Resource, attribute: str) -> Reference:
        key = (resource.address, attribute)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(resource, attribute)
        return self._resolved[key]

    def _resolve(self, resource: Resource, attribute: str) -> Reference:
        expr = _dig(resource.config, attribute, None)
        if not isinstance(expr, dict):
            return Reference(resources=())
        refs = list(expr.get("references", []))
        scope = _module_parts(strip_indexes(resource.module))
        found = self._follow(scope, refs, 0, (), resource.for_each_refs)
        # X[each.key] / X[count.index] in the same module: the instance with this resource's own key
        if resource.index is not None and ("each.key" in refs or "count.index" in refs):
            same = tuple(
                a
                for a in found.resources
                if self.by_address[a].index == resource.index and _module_parts(strip_indexes(self.by_address[a].module)) == scope
            )
            if same:
                return Reference(same, found.root_variables, found.unresolved)
        return found

    def _follow(
        self, scope: list[str], refs: list[str], depth: int, keys: tuple[str, ...] = (), each: list[str] | None = None
    ) -> Reference:
        resources: set[str] = set()
        root_vars: set[str] = set()
        unresolved: set[str] = set()
        if depth > 32:
            return Reference(resources=(), unresolved=tuple(refs))
        for ref in _most_specific(refs):
            parts = ref.split(".")
            ref_keys = keys + tuple(_index_keys(ref))
            head = parts[0]
            if head == "var":
                name = strip_indexes(parts[1])
                if not scope:
                    root_vars.add(name)
                    continue
                parent_scope, call = scope[:-1], scope[-1]
                parent = self.module_config(".".join(f"module.{p}" for p in parent_scope))
                arg = parent.get("module_calls", {}).get(call, {}).get("expressions", {}).get(name)
                if not isinstance(arg, dict) or "references" not in arg:
                    continue  # a constant or the default: nothing to follow
                sub = self._follow(parent_scope, arg["references"], depth + 1, ref_keys)
            elif head == "module":
                child = strip_indexes(parts[1])
                if len(parts) < 3:
                    continue  # the bare "module.x" entry; the specific one carries the output
                output = strip_indexes(parts[2])
                config = self.module_config(".".join(f"module.{p}" for p in [*scope, child]))
                out = config.get("outputs", {}).get(output, {}).get("expression", {})
                if "references" not in out:
                    unresolved.add(ref)
                    continue
                sub = self._follow([*scope, child], out["references"], depth + 1, ref_keys)
            elif head == "each" and each and len(parts) > 1 and parts[1] == "value":
                sub = self._follow(scope, each, depth + 1, ref_keys)
            elif head in ("local", "each", "count", "path", "terraform", "self"):
                if head == "local":
                    unresolved.add(ref)
                continue
            else:
                addr = ".".join(parts[:3] if head == "data" else parts[:2])
                addr = strip_indexes(addr)
                prefix = ".".join(f"module.{p}" for p in scope)
                full = f"{prefix}.{addr}" if prefix else addr
                instances = self.instances_of(full)
                narrowed = [r for r in instances if r.index is not None and str(r.index) in ref_keys]
                chosen = narrowed or instances
                if chosen:
                    resources.update(r.address for r in chosen)
                else:
                    unresolved.add(full)
                continue
            resources.update(sub.resources)
            root_vars.update(sub.root_variables)
            unresolved.update(sub.unresolved)
        return Reference(tuple(sorted(resources)), tuple(sorted(root_vars)), tuple(sorted(unresolved)))


# ---------------------------------------------------------------- loading
MAX_DEPTH = 128  # real plans nest < 40 levels; deeper documents would exhaust the recursion in redaction


class _NonStandardNumber(ValueError):
    pass


def _refuse_constant(token: str) -> Any:
    raise _NonStandardNumber(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _NonStandardNumber(token)
    return value


def check_depth(data: Any, name: str, limit: int = MAX_DEPTH) -> None:
    """Refuse documents nested deeper than `limit` (iteratively: the check itself cannot overflow).

    Level by level: no per-node bookkeeping, so a big plan is walked at the speed of its containers.
    """
    level: list[Any] = [data] if isinstance(data, (dict, list)) else []
    depth = 1
    while level:
        if depth > limit:
            raise PlanError(f"{name}: nested more than {limit} levels deep; not a plan")
        below: list[Any] = []
        for node in level:
            values = node.values() if type(node) is dict else node
            below.extend([v for v in values if type(v) is dict or type(v) is list])
        level = below
        depth += 1


def load(path: Path) -> Plan:
    """Load and validate a plan JSON file; every problem is one line naming the file."""
    try:
        # handed straight on: parse() holds the only reference and lets the bytes go once decoded
        return parse(_Bytes(inputs.read_bytes(path, str(path))), str(path), path)
    except TapguardError as exc:
        if isinstance(exc, PlanError):
            raise
        raise PlanError(str(exc)) from None


class _Bytes:
    """A box for a file's bytes that parse() can empty: a big plan's bytes, text and objects are never all alive."""

    def __init__(self, raw: bytes) -> None:
        self.raw: bytes | None = raw

    def take(self) -> bytes:
        raw, self.raw = self.raw, None
        assert raw is not None
        return raw


def parse(raw: bytes | _Bytes, name: str, path: Path | None = None) -> Plan:
    with collector_paused():
        data = _document(raw.take() if isinstance(raw, _Bytes) else raw, name)
        check_depth(data, name)
        validate(data, name)
        # the document is ours alone: redacted in place, not copied
        return from_dict(redact_plan_json(data, in_place=True)[0], name, path)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic collector paused while a plan is built: a parsed document has no cycles to find, and
    scanning its hundreds of thousands of new containers again and again made loading a big plan ~1.6x slower."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _document(raw: bytes, name: str) -> Any:
    if not raw.strip():
        raise PlanError(f"{name}: empty file, expected the output of `terraform show -json PLANFILE`")
    if raw[:2] == b"PK":
        raise PlanError(f"{name}: this is a binary plan file; convert it with `terraform show -json {name}`")
    text = _decode(raw, name)
    del raw  # the caller handed over its only reference: 1 byte per character less while parsing
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(text.rstrip()) else "malformed JSON"
        raise PlanError(f"{name}: {what} at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    except _NonStandardNumber as exc:
        raise PlanError(f"{name}: {exc.args[0]} is not a JSON number (plan JSON never holds NaN or Infinity)") from None
    except RecursionError:
        raise PlanError(f"{name}: nested deeper than Python's JSON parser allows; not a plan") from None


def _decode(raw: bytes, name: str) -> str:
    """Plan JSON as text: UTF-8 (with or without a BOM), or UTF-16 as Terraform on Windows writes it through `>`."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, encoding = raw[3:], "utf-8"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(raw) >= 2 and raw[0] != 0 and raw[1] == 0:
        encoding = "utf-16-le"  # no BOM: ASCII '{' then a zero byte
    elif len(raw) >= 2 and raw[0] == 0 and raw[1] != 0:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PlanError(f"{name}: not {encoding.upper()} text (byte {exc.start}); expected plan JSON") from None


def validate(data: Any, name: str) -> None:
    """Shape checks that must hold before anything else reads the document."""
    if not isinstance(data, dict):
        raise PlanError(f"{name}: top level is a JSON {type(data).__name__}, expected an object")
    version = data.get("format_version")
    if version is None:
        raise PlanError(f"{name}: no format_version; not the output of `terraform show -json`")
    if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+", version):
        raise PlanError(f"{name}: format_version {version!r} is not of the form MAJOR.MINOR")
    if version.split(".")[0] != SUPPORTED_MAJOR and version not in SUPPORTED_LEGACY:
        raise PlanError(f"{name}: format_version {version} is not supported (tapguard reads 0.1, 0.2 and 1.x)")
    if "resource_changes" not in data and "planned_values" not in data:
        kind = "a state file (`terraform show -json` without a plan)" if "values" in data else "not a plan"
        raise PlanError(f"{name}: {kind}; expected resource_changes and planned_values")
    if data.get("errored") is True:
        raise PlanError(f"{name}: the plan errored in terraform; fix the plan before checking it")
    changes = data.get("resource_changes", [])
    if not isinstance(changes, list):
        raise PlanError(f"{name}: resource_changes is a {type(changes).__name__}, expected a list")
    if "configuration" in data and not isinstance(data["configuration"], dict):
        raise PlanError(f"{name}: configuration is not an object")
    root_module = (data.get("configuration") or {}).get("root_module")
    if root_module is not None and not isinstance(root_module, dict):
        raise PlanError(f"{name}: configuration.root_module is a JSON {_json_type(root_module)}, expected an object")
    for i, change in enumerate(changes):
        if not isinstance(change, dict) or "address" not in change or "type" not in change:
            raise PlanError(f"{name}: resource_changes[{i}] has no address/type")
        for key in ("address", "type"):
            if not isinstance(change[key], str) or not change[key]:
                raise PlanError(f"{name}: resource_changes[{i}].{key} is a JSON {_json_type(change[key])}, expected a non-empty string")
        body = change.get("change")
        if not isinstance(body, dict) or "actions" not in body:
            raise PlanError(f"{name}: resource_changes[{i}] ({change['address']}) has no change.actions")
        actions = body["actions"]
        if not isinstance(actions, list) or not actions or not all(a in ACTIONS for a in actions):
            raise PlanError(
                f"{name}: {change['address']} change.actions is {json.dumps(actions)[:60]}, expected a list of {', '.join(sorted(ACTIONS))}"
            )
        if body.get("after") is not None and not isinstance(body["after"], dict):
            raise PlanError(f"{name}: {change['address']} change.after is a JSON {_json_type(body['after'])}, expected an object")
        for key in ("after_unknown", "after_sensitive", "before_sensitive"):
            marker = body.get(key)
            if marker is True and key != "after_unknown" and isinstance(body.get("after" if key == "after_sensitive" else "before"), dict):
                raise PlanError(f"{name}: {change['address']} change.{key} is true for the whole resource; terraform marks attributes")
            if marker is not None and not isinstance(marker, (dict, list, bool)):
                raise PlanError(f"{name}: {change['address']} change.{key} is a JSON {_json_type(marker)}, expected an object")
    for key in ("planned_values", "prior_state", "output_changes", "variables"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise PlanError(f"{name}: {key} is not an object")


def from_dict(data: Any, name: str = "<plan>", path: Path | None = None) -> Plan:
    validate(data, name)
    changes = data.get("resource_changes", [])
    resources: list[Resource] = []
    by_address: dict[str, Resource] = {}
    plan = Plan(path=path, data=data, resources=resources, by_address=by_address)
    for change in changes:
        body = change["change"]
        after = body.get("after")
        resource = Resource(
            address=change["address"],
            module=change.get("module_address", ""),
            mode=change.get("mode", "managed"),
            type=change["type"],
            name=change.get("name", ""),
            index=change.get("index"),
            actions=tuple(body["actions"]),
            after=after or {},
            after_unknown=body.get("after_unknown") or {},
            after_sensitive=body.get("after_sensitive") or {},
            plan=plan,
        )
        resources.append(resource)
        by_address[resource.address] = resource
    _add_read_data_sources(plan)
    _attach_config(plan)
    plan.index()
    return plan


def _add_read_data_sources(plan: Plan) -> None:
    """Data sources read during planning are only in prior_state: add them as mode "data"."""

    def walk(module: dict[str, Any]) -> None:
        for res in module.get("resources", []) or []:
            if res.get("mode") != "data" or res.get("address") in plan.by_address:
                continue
            resource = Resource(
                address=res["address"],
                module=module.get("address", ""),
                mode="data",
                type=res.get("type", ""),
                name=res.get("name", ""),
                index=res.get("index"),
                actions=("read",),
                after=res.get("values") or {},
                after_unknown={},
                after_sensitive=res.get("sensitive_values") or {},
                plan=plan,
            )
            plan.resources.append(resource)
            plan.by_address[resource.address] = resource
        for child in module.get("child_modules", []) or []:
            walk(child)

    prior = plan.data.get("prior_state") or {}
    if isinstance(prior, dict):
        walk((prior.get("values") or {}).get("root_module") or {})


def _attach_config(plan: Plan) -> None:
    index: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for res in node.get("resources", []):
            addr = res.get("address", "")
            index[f"{prefix}.{addr}" if prefix else addr] = res
        for call, body in node.get("module_calls", {}).items():
            walk(body.get("module", {}), f"{prefix}.module.{call}" if prefix else f"module.{call}")

    walk(plan.data.get("configuration", {}).get("root_module", {}), "")
    for r in plan.resources:
        entry = index.get(r.config_address, {})
        r.config = entry.get("expressions", {})
        iterate = entry.get("for_each_expression") or entry.get("count_expression") or {}
        r.for_each_refs = list(iterate.get("references", []))


# ---------------------------------------------------------------- helpers
def _dig(node: Any, path: str, default: Any) -> Any:
    for part in path.split(".") if path else []:
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return default
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                return default
            node = node[part]
        else:
            return default
    return node


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def strip_indexes(address: str) -> str:
    return _INDEX.sub("", address)


def _index_keys(ref: str) -> list[str]:
    return [m.strip('"') for m in _INDEX.findall(ref)]


def _module_parts(module: str) -> list[str]:
    parts = strip_indexes(module).split(".") if module else []
    return [parts[i + 1] for i in range(0, len(parts) - 1, 2) if parts[i] == "module"]


def _most_specific(refs: list[str]) -> list[str]:
    """Drop references that are a prefix of a more specific one in the same list (`a.b` beside `a.b.c` or `a.b[0]`)."""
    return list(_most_specific_cached(tuple(refs)))


@functools.lru_cache(maxsize=4096)
def _most_specific_cached(refs: tuple[str, ...]) -> tuple[str, ...]:
    # every proper prefix of a reference that ends where an attribute or an index begins; module copies
    # repeat the same expressions, so the answer is cached by the list itself
    prefixes = {o[:i] for o in refs for i, ch in enumerate(o) if ch in ".[" and i > 0}
    return tuple(r for r in refs if r not in prefixes)
