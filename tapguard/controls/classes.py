"""Resource classes as data: load and validate tapguard/controls/classes.yaml.

The YAML says, for every resource type tapguard can judge, which classes it belongs to (data store, data in
transit, exposure, identity, keys, logging sink; or dependent/inert, said explicitly) and, per class-level
control ("facet"), which attribute paths of `change.after` the control reads. Loading validates the shape
so that a typo in the data is a one-line error at start-up, not a control that silently never fails.
Checking the paths against the provider schema is a test (tests/controls/test_classes_schema.py):
it needs terraform and the provider, which evaluation does not.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tapguard.foundation.errors import TapguardError

CLASSES_FILE = Path(__file__).with_name("classes.yaml")

CLASS_NAMES = ("data_store", "data_in_transit", "exposure", "identity", "keys", "logging_sink", "dependent", "inert")
FACET_NAMES = ("at_rest", "in_transit", "public", "policy", "logging", "backup", "key", "password", "detection")
# A data store must say how it is encrypted at rest (cmk: [] where the service offers no customer key).
REQUIRED_FACETS = {"data_store": ("at_rest",)}
OPERATORS = ("is", "in", "not_in", "min", "max", "nonempty", "set", "contains", "contains_any", "in_list")
CONDITION_KEYS = {"path", "default", "unless", "param", "name_key", "value_key", "any_of", *OPERATORS}
FACET_KEYS = {
    "flag", "cmk", "require", "deny", "via", "documents", "principal", "scoped_by", "managed_arn", "managed_arns",
    "rules", "deny_direct", "deny_direct_if_set", "principal_only", "allow_with", "exempt_if_target_of",
}  # fmt: skip
RULE_KINDS = ("inline", "rule", "ingress_rule", "egress_rule", "nacl_inline", "nacl_rule")
SOURCE_TOOLS = ("checkov", "config", "prowler", "reference")
NON_AWS_PREFIXES = ("terraform_data", "null_", "time_", "random_")
# libyaml's safe loader when present: the file is large enough for the pure-Python one to show
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ClassesError(TapguardError):
    """classes.yaml is malformed."""


@dataclass(frozen=True)
class Condition:
    """One test on one attribute path (or any_of a list of conditions)."""

    path: str | None
    operator: str | None
    value: Any = None
    default: Any = None
    has_default: bool = False
    param: str | None = None  # the path is a list of {name, value} parameters; test the one named so
    name_key: str = "name"
    value_key: str = "value"
    unless: Condition | None = None
    any_of: tuple[Condition, ...] = ()

    def paths(self) -> Iterator[str]:
        if self.path:
            yield self.path
        for alternative in self.any_of:
            yield from alternative.paths()
        if self.unless:
            yield from self.unless.paths()


@dataclass(frozen=True)
class Via:
    """The facet is judged on companion resources of `type` whose `ref` attribute references this resource."""

    type: str
    ref: str


@dataclass(frozen=True)
class Facet:
    name: str
    control: str
    flag: Condition | None = None
    cmk: tuple[str, ...] | None = None
    require: tuple[Condition, ...] = ()
    deny: tuple[Condition, ...] = ()
    via: Via | None = None
    documents: tuple[str, ...] = ()
    principal: str | None = None
    scoped_by: tuple[str, ...] = ()
    managed_arns: tuple[str, ...] = ()
    rules: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    def paths(self) -> Iterator[str]:
        """Every attribute path this facet reads (on the companion type when `via` is set)."""
        if self.flag:
            yield from self.flag.paths()
        yield from self.cmk or ()
        for condition in (*self.require, *self.deny):
            yield from condition.paths()
        yield from self.documents
        if self.principal:
            yield self.principal
        yield from self.scoped_by
        yield from self.managed_arns
        # inline rule kinds name fields relative to each ingress/egress element
        lists = [self.rules[k] for k in ("ingress", "egress") if k in self.rules and self.rules.get("kind", "").endswith("inline")]
        for key, value in self.rules.items():
            if key == "kind" or value in lists:
                continue
            if lists:
                yield from (f"{prefix}.{value}" for prefix in lists)
            else:
                yield value
        yield from lists


@dataclass(frozen=True)
class CoveredBy:
    type: str
    ref: str
    reverse: bool = False  # the parent references the child (parent.ref -> child), not child.ref -> parent


@dataclass(frozen=True)
class TypeClass:
    type: str
    classes: tuple[str, ...]
    facets: Mapping[str, Facet]
    sources: tuple[str, ...] = ()
    reason: str | None = None
    covered_by: CoveredBy | None = None

    @property
    def inert(self) -> bool:
        return "inert" in self.classes

    @property
    def aws(self) -> bool:
        return self.type.startswith("aws_")


@dataclass(frozen=True)
class FacetSpec:
    name: str
    control: str
    statement: str
    requirements: tuple[str, ...]
    generalises: tuple[str, ...]


@dataclass(frozen=True)
class Classes:
    provider_version: str
    facets: Mapping[str, FacetSpec]
    lists: Mapping[str, tuple[str, ...]]
    types: Mapping[str, TypeClass]
    stack_controls: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def judged_by_stack(self, control: str, rtype: str) -> bool:
        return rtype in self.stack_controls.get(control, frozenset())

    def of(self, rtype: str) -> TypeClass | None:
        return self.types.get(rtype)

    def with_class(self, name: str) -> list[TypeClass]:
        return [t for t in self.types.values() if name in t.classes]

    def with_facet(self, facet: str) -> list[TypeClass]:
        return [t for t in self.types.values() if facet in t.facets]

    def controls(self) -> set[str]:
        return {f.control for t in self.types.values() for f in t.facets.values()}


@functools.cache
def load(path: Path = CLASSES_FILE) -> Classes:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ClassesError(f"{path}: cannot read resource classes: {exc}".splitlines()[0]) from None
    return parse(raw, str(path))


def parse(raw: Any, where: str = "classes.yaml") -> Classes:
    top = _mapping(raw, where)
    declared = _mapping(top.get("classes"), f"{where}: classes")
    unknown = sorted(set(declared) - set(CLASS_NAMES), key=str)
    if unknown:
        raise ClassesError(f"{where}: unknown class {unknown[0]!r} (known: {', '.join(CLASS_NAMES)})")
    facets: dict[str, FacetSpec] = {}
    for name, spec in _mapping(top.get("facets"), f"{where}: facets").items():
        if name not in FACET_NAMES:
            raise ClassesError(f"{where}: unknown facet {name!r} (known: {', '.join(FACET_NAMES)})")
        body = _mapping(spec, f"{where}: facets.{name}")
        facets[name] = FacetSpec(
            name=name,
            control=_string(body.get("control"), f"{where}: facets.{name}.control"),
            statement=_string(body.get("statement"), f"{where}: facets.{name}.statement"),
            requirements=tuple(_strings(body.get("requirements"), f"{where}: facets.{name}.requirements")),
            generalises=tuple(_strings(body.get("generalises", []), f"{where}: facets.{name}.generalises")),
        )
    lists = {k: tuple(_strings(v, f"{where}: tls.{k}")) for k, v in _mapping(top.get("tls", {}), f"{where}: tls").items()}
    types: dict[str, TypeClass] = {}
    for rtype, body in _mapping(top.get("types"), f"{where}: types").items():
        types[rtype] = _type(rtype, _mapping(body, f"{where}: {rtype}"), facets, lists, where)
    provider = _mapping(top.get("provider"), f"{where}: provider")
    stack = {
        str(k): frozenset(_strings(v, f"{where}: stack_controls.{k}"))
        for k, v in _mapping(top.get("stack_controls", {}), f"{where}: stack_controls").items()
    }
    return Classes(provider_version=str(provider.get("version")), facets=facets, lists=lists, types=types, stack_controls=stack)


def _type(rtype: str, body: Mapping[str, Any], specs: Mapping[str, FacetSpec], lists: Mapping[str, Any], where: str) -> TypeClass:
    at = f"{where}: {rtype}"
    classes = tuple(_strings(body.get("classes"), f"{at}.classes"))
    for name in classes:
        if name not in CLASS_NAMES:
            raise ClassesError(f"{at}: unknown class {name!r}")
    if not classes:
        raise ClassesError(f"{at}: no class")
    allowed = {"classes", "control", "sources", "reason", "covered_by", *FACET_NAMES}
    stray = sorted(set(body) - allowed, key=str)
    if stray:
        raise ClassesError(f"{at}: unknown key {stray[0]!r}")
    overrides = _mapping(body.get("control", {}), f"{at}.control")
    facets: dict[str, Facet] = {}
    for name in FACET_NAMES:
        if name not in body:
            continue
        if name not in specs:
            raise ClassesError(f"{at}: facet {name!r} has no entry under facets:")
        control = _string(overrides[name], f"{at}.control.{name}") if name in overrides else specs[name].control
        facets[name] = _facet(name, control, _mapping(body[name], f"{at}.{name}"), lists, f"{at}.{name}")
    for name in overrides:
        if name not in facets:
            raise ClassesError(f"{at}: control override for {name!r} but no {name} facet")
    for cls in classes:
        for needed in REQUIRED_FACETS.get(cls, ()):
            if needed not in facets:
                raise ClassesError(f"{at}: a {cls} must give the {needed} facet (cmk: [] where the service has no customer key)")
    reason = body.get("reason")
    if "inert" in classes:
        if len(classes) != 1 or facets:
            raise ClassesError(f"{at}: an inert type has no other class and no facets")
        if not isinstance(reason, str) or not reason.strip():
            raise ClassesError(f"{at}: an inert type needs a reason")
    covered = None
    if "dependent" in classes:
        cov = _mapping(body.get("covered_by"), f"{at}.covered_by")
        covered = CoveredBy(
            type=_string(cov.get("type"), f"{at}.covered_by.type"),
            ref=_string(cov.get("ref"), f"{at}.covered_by.ref"),
            reverse=_boolean(cov.get("reverse", False), f"{at}.covered_by.reverse"),
        )
    elif "covered_by" in body:
        raise ClassesError(f"{at}: covered_by belongs to dependent types only")
    if not ("inert" in classes or "dependent" in classes or facets):
        raise ClassesError(f"{at}: a classed type needs at least one facet (or be dependent/inert)")
    sources = tuple(_strings(body.get("sources", []), f"{at}.sources"))
    for source in sources:
        tool = source.split(":", 1)[0]
        if tool not in SOURCE_TOOLS or ":" not in source:
            raise ClassesError(f"{at}: source {source!r} is not one of {', '.join(t + ':...' for t in SOURCE_TOOLS)}")
    if not sources and "inert" not in classes:
        raise ClassesError(f"{at}: no source recorded for the mapping")
    return TypeClass(type=rtype, classes=classes, facets=facets, sources=sources, reason=reason, covered_by=covered)


def _facet(name: str, control: str, body: Mapping[str, Any], lists: Mapping[str, Any], at: str) -> Facet:
    stray = sorted(set(body) - FACET_KEYS, key=str)
    if stray:
        raise ClassesError(f"{at}: unknown key {stray[0]!r}")
    via = None
    if "via" in body:
        v = _mapping(body["via"], f"{at}.via")
        via = Via(type=_string(v.get("type"), f"{at}.via.type"), ref=_string(v.get("ref"), f"{at}.via.ref"))
    cmk = tuple(_strings(body["cmk"], f"{at}.cmk")) if "cmk" in body else None
    if name == "at_rest" and cmk is None:
        raise ClassesError(f"{at}: at_rest needs cmk (an empty list where the service has no customer key)")
    rules = _mapping(body.get("rules", {}), f"{at}.rules")
    if rules and rules.get("kind") not in RULE_KINDS:
        raise ClassesError(f"{at}.rules: kind must be one of {', '.join(RULE_KINDS)}")
    managed = [body["managed_arn"]] if "managed_arn" in body else _list(body.get("managed_arns", []), f"{at}.managed_arns")
    known = {"flag", "cmk", "require", "deny", "via", "documents", "principal", "scoped_by", "managed_arn", "managed_arns", "rules"}
    return Facet(
        name=name,
        control=control,
        flag=_condition(body["flag"], lists, f"{at}.flag") if "flag" in body else None,
        cmk=cmk,
        require=tuple(_condition(c, lists, f"{at}.require[{i}]") for i, c in enumerate(_list(body.get("require", []), f"{at}.require"))),
        deny=tuple(_condition(c, lists, f"{at}.deny[{i}]") for i, c in enumerate(_list(body.get("deny", []), f"{at}.deny"))),
        via=via,
        documents=tuple(_strings(body.get("documents", []), f"{at}.documents")),
        principal=_string(body["principal"], f"{at}.principal") if "principal" in body else None,
        scoped_by=tuple(_strings(body.get("scoped_by", []), f"{at}.scoped_by")),
        managed_arns=tuple(_strings(managed, f"{at}.managed_arn")),
        rules={str(k): str(v) for k, v in rules.items()},
        options={k: v for k, v in body.items() if k not in known},
    )


def _condition(raw: Any, lists: Mapping[str, Any], at: str) -> Condition:
    body = _mapping(raw, at)
    stray = sorted(set(body) - CONDITION_KEYS, key=str)
    if stray:
        raise ClassesError(f"{at}: unknown key {stray[0]!r}")
    if "any_of" in body:
        if set(body) - {"any_of"}:
            raise ClassesError(f"{at}: any_of stands alone")
        options = tuple(_condition(c, lists, f"{at}.any_of[{i}]") for i, c in enumerate(_list(body["any_of"], f"{at}.any_of")))
        if len(options) < 2:
            raise ClassesError(f"{at}: any_of needs two or more conditions")
        return Condition(path=None, operator=None, any_of=options)
    ops = [op for op in OPERATORS if op in body]
    if len(ops) != 1:
        raise ClassesError(f"{at}: exactly one operator of {', '.join(OPERATORS)} (found {len(ops)})")
    op = ops[0]
    value = body[op]
    if op == "in_list":
        if not isinstance(value, str) or value not in lists:
            raise ClassesError(f"{at}: in_list names {value!r}, not a list under tls:")
        op, value = "in", list(lists[value])
    if op in ("in", "not_in", "contains_any") and not isinstance(value, list):
        raise ClassesError(f"{at}: {op} takes a list")
    if op in ("min", "max") and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ClassesError(f"{at}: {op} takes a number")
    if op in ("nonempty", "set") and value is not True:
        raise ClassesError(f"{at}: {op} takes true")
    return Condition(
        path=_string(body.get("path"), f"{at}.path"),
        operator=op,
        value=value,
        default=body.get("default"),
        has_default="default" in body,
        param=_string(body["param"], f"{at}.param") if "param" in body else None,
        name_key=_string(body.get("name_key", "name"), f"{at}.name_key"),
        value_key=_string(body.get("value_key", "value"), f"{at}.value_key"),
        unless=_condition(body["unless"], lists, f"{at}.unless") if "unless" in body else None,
    )


def _mapping(value: Any, at: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ClassesError(f"{at}: expected a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, at: str) -> list[Any]:
    if not isinstance(value, list):
        raise ClassesError(f"{at}: expected a list, got {type(value).__name__}")
    return value


def _strings(value: Any, at: str) -> list[str]:
    items = _list(value, at)
    if not all(isinstance(v, str) and v for v in items):
        raise ClassesError(f"{at}: expected a list of non-empty strings")
    return items


def _boolean(value: Any, at: str) -> bool:
    if not isinstance(value, bool):
        raise ClassesError(f"{at}: expected true or false, got {type(value).__name__}")
    return value


def _string(value: Any, at: str) -> str:
    if not isinstance(value, str) or not value:
        raise ClassesError(f"{at}: expected a non-empty string")
    return value


# ---------------------------------------------------------------- checking the data against a provider schema


def schema_problems(classes: Classes, resource_schemas: Mapping[str, Any]) -> list[str]:
    """Every type and attribute path of `classes` that the provider schema (`terraform providers schema -json`,
    provider_schemas[...].resource_schemas) does not have. Non-AWS glue types (terraform_data, random_*, ...)
    belong to other providers and are skipped."""
    problems: list[str] = []
    for tc in classes.types.values():
        if not tc.aws:
            if not tc.type.startswith(NON_AWS_PREFIXES):
                problems.append(f"{tc.type}: not an aws_ type and not a known glue type")
            continue
        schema = resource_schemas.get(tc.type)
        if schema is None:
            problems.append(f"{tc.type}: no such resource type in the provider")
            continue
        block = schema["block"]
        for facet in tc.facets.values():
            target, target_block = tc.type, block
            if facet.via:
                companion = resource_schemas.get(facet.via.type)
                if companion is None:
                    problems.append(f"{tc.type}.{facet.name}: via type {facet.via.type} does not exist")
                    continue
                target, target_block = facet.via.type, companion["block"]
                problems += _path_problems(target, target_block, facet.via.ref)
            for path in facet.paths():
                problems += _path_problems(target, target_block, path)
            for condition in (*facet.require, *facet.deny, *((facet.flag,) if facet.flag else ())):
                problems += _param_problems(target, target_block, condition)
        if tc.covered_by:
            parent = resource_schemas.get(tc.covered_by.type)
            if parent is None:
                problems.append(f"{tc.type}: covered_by type {tc.covered_by.type} does not exist")
            else:
                owner, owner_block = (tc.covered_by.type, parent["block"]) if tc.covered_by.reverse else (tc.type, block)
                problems += _path_problems(owner, owner_block, tc.covered_by.ref)
    return problems


def _param_problems(rtype: str, block: Mapping[str, Any], condition: Condition) -> list[str]:
    found: list[str] = []
    for alternative in condition.any_of:
        found += _param_problems(rtype, block, alternative)
    if condition.param and condition.path:
        for key in (condition.name_key, condition.value_key):
            found += _path_problems(rtype, block, f"{condition.path}.{key}")
    return found


def _path_problems(rtype: str, block: Mapping[str, Any], path: str) -> list[str]:
    parts = path.split(".")
    node: Any = ("block", block)
    for i, part in enumerate(parts):
        kind, value = node
        if part == "*" or part.isdigit():
            if kind == "type" and isinstance(value, list) and value[0] in ("list", "set"):
                node = ("type", value[1])
                continue
            if kind == "blocklist":
                node = ("block", value)
                continue
            return [f"{rtype}: {path}: {'.'.join(parts[:i])} is not a list"]
        if kind == "block":
            attrs, blocks = value.get("attributes", {}), value.get("block_types", {})
            if part in attrs:
                attr = attrs[part]
                if "nested_type" in attr:
                    nested = attr["nested_type"]
                    inner = {"attributes": nested.get("attributes", {})}
                    node = ("blocklist", inner) if nested.get("nesting_mode") in ("list", "set") else ("block", inner)
                else:
                    node = ("type", attr.get("type"))
                continue
            if part in blocks:
                spec = blocks[part]
                node = ("blocklist", spec["block"]) if spec.get("nesting_mode") in ("list", "set") else ("block", spec["block"])
                continue
            return [f"{rtype}: {path}: no attribute or block {part!r}"]
        if kind == "type" and isinstance(value, list) and value[0] == "object" and part in value[1]:
            node = ("type", value[1][part])
            continue
        return [f"{rtype}: {path}: cannot descend into {'.'.join(parts[:i])} with {part!r}"]
    return []
