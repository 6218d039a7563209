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
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.planning import intake

PlanError = intake.PlanError  # a plan file that cannot be used: exit 2, one line naming the file

ACTIONS = frozenset({"no-op", "create", "read", "update", "delete", "forget"})
_INDEX = re.compile(r'\[("(?:[^"\\]|\\.)*"|\d+)\]')


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
        aws = ((self.data.get("configuration") or {}).get("provider_config") or {}).get("aws") or {}
        region = (aws.get("expressions") or {}).get("region")
        value = region.get("constant_value") if isinstance(region, dict) else None
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
            node = (self.data.get("configuration") or {}).get("root_module") or {}
            for part in _module_parts(module):
                node = ((node.get("module_calls") or {}).get(part) or {}).get("module") or {}
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
        refs = list(expr.get("references") or [])
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
                arg = (((parent.get("module_calls") or {}).get(call) or {}).get("expressions") or {}).get(name)
                if not isinstance(arg, dict) or "references" not in arg:
                    continue  # a constant or the default: nothing to follow
                sub = self._follow(parent_scope, arg["references"], depth + 1, ref_keys)
            elif head == "module":
                child = strip_indexes(parts[1])
                if len(parts) < 3:
                    continue  # the bare "module.x" entry; the specific one carries the output
                output = strip_indexes(parts[2])
                config = self.module_config(".".join(f"module.{p}" for p in [*scope, child]))
                out = ((config.get("outputs") or {}).get(output) or {}).get("expression") or {}
                if "references" not in out:
                    unresolved.add(ref)
                    continue
                sub = self._follow([*scope, child], out["references"], depth + 1, ref_keys)
            elif head == "each" and each and len(parts) > 1 and strip_indexes(parts[1]) == "value":  # each.value[0].id too
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
def load(path: Path) -> Plan:
    """Load a plan JSON file through the one way in (intake: bounded read, decoding, schema, redaction)."""
    with collector_paused():
        data, _ = intake.read(path, str(path))
        return _build(data, path)


def parse(raw: bytes, name: str, path: Path | None = None) -> Plan:
    """A plan from bytes, through the one way in."""
    with collector_paused():
        data, _ = intake.admit(raw, name)
        return _build(data, path)


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


def validate(data: Any, name: str) -> None:
    """The declared schema of what tapguard reads (intake.validate)."""
    intake.validate(data, name)


def from_dict(data: Any, name: str = "<plan>", path: Path | None = None) -> Plan:
    """A plan from a parsed document (validated here; redaction is the caller's: intake does it for files)."""
    validate(data, name)
    return _build(data, path)


def _build(data: dict[str, Any], path: Path | None) -> Plan:
    changes = data.get("resource_changes") or []
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
        for res in node.get("resources") or []:
            addr = res.get("address", "")
            index[f"{prefix}.{addr}" if prefix else addr] = res
        for call, body in (node.get("module_calls") or {}).items():
            walk(body.get("module") or {}, f"{prefix}.module.{call}" if prefix else f"module.{call}")

    walk((plan.data.get("configuration") or {}).get("root_module") or {}, "")
    for r in plan.resources:
        entry = index.get(r.config_address, {})
        r.config = entry.get("expressions") or {}
        iterate = entry.get("for_each_expression") or entry.get("count_expression") or {}
        r.for_each_refs = list(iterate.get("references") or [])


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
