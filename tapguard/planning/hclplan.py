"""A plan-like model built from HCL alone, for the pre-commit hook: the controls run on it before any plan exists.

The root module's resources and data sources, and those of every local module it calls (`source = "./x"` or
`"../x"`, never outside the project root), become resource changes in the shape `terraform show -json` writes.
A value is known when it is a literal or resolves to one through variables: tfvars (terraform.tfvars and
*.auto.tfvars, the files terraform reads by itself), a module call's arguments, variable defaults and locals;
`jsonencode()` of such a value is rendered. Everything else (references to other resources, functions, data
sources, conditionals, templates) is unknown, exactly as a plan marks a value known only after apply, and the
expression's references go into the `configuration` block, so the engine follows them as it does in a plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.planning import hcl, model, redaction

UNKNOWN: Any = object()  # a value that is known only after apply
MAX_MODULE_DEPTH = 16
_NESTED_SKIP = frozenset({"lifecycle", "provisioner", "connection", "dynamic"})
_STEP = r'(?:\.[A-Za-z_][\w-]*|\[(?:"[^"\\]*"|\d+)\])'
_REFERENCE = re.compile(
    r'(?<![\w."-])((?:var|local|module|each|count|path|self|data\.[A-Za-z_][\w-]*|[a-z][a-z0-9]*_[\w-]+)\.[A-Za-z_][\w-]*' + _STEP + "*)"
)
_LOOKUP = re.compile(r'^(var|local)\.([A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*|\[(?:"[^"\\]*"|\d+)\])*)$')
_PATH_STEP = re.compile(r'\.([A-Za-z_][\w-]*)|\[(?:"([^"\\]*)"|(\d+))\]')
_JSONENCODE = re.compile(r"^jsonencode\((.*)\)$", re.DOTALL)
_LOCAL_SOURCE = re.compile(r"^\.\.?/")
# where a policy may hold a value unknown at plan time without changing what the statement grants
_POLICY_OPAQUE = frozenset({"Resource", "NotResource", "Condition", "Sid"})


@dataclass
class _Scope:
    """One module instance: where its files are, its variables' values and its locals."""

    address: str  # "" for the root, "module.a.module.b" below it
    directory: Path
    body: hcl.Block
    variables: dict[str, Any] = field(default_factory=dict)
    local_exprs: dict[str, Any] = field(default_factory=dict)
    local_values: dict[str, Any] = field(default_factory=dict)
    resolving: set[str] = field(default_factory=set)
    ancestors: tuple[Path, ...] = ()  # the module directories above this one: a module that calls itself stops here


def build(root_module: Path, project_root: Path) -> model.Plan:
    """The plan-like model of one stack from its HCL (bad HCL: TapguardError naming file and line)."""
    root_module, project_root = root_module.resolve(), project_root.resolve()
    document = _Builder(project_root).document(root_module)
    redaction.redact_plan_json(document, in_place=True)  # a literal credential in HCL never reaches a finding
    return model.from_dict(document, name=f"{root_module.name} (HCL)")


def references(text: str) -> list[str]:
    """The references of an expression as terraform lists them: each one with the shorter prefixes it implies."""
    found: list[str] = []
    for match in _REFERENCE.finditer(_without_strings(text)):
        ref = match.group(1)
        steps = [m.group(0) for m in _PATH_STEP.finditer(ref)]
        head = ref[: len(ref) - sum(len(s) for s in steps)]
        keep = 2 if head.startswith("data.") else 1  # data.T.N / module.N / T.N are the shortest useful forms
        for cut in range(len(steps), keep - 1, -1):
            candidate = head + "".join(steps[:cut])
            if candidate not in found:
                found.append(candidate)
    return found


def _without_strings(text: str) -> str:
    """The expression with quoted literal text blanked (template sequences inside strings are kept)."""
    out, i, depth = [], 0, 0
    in_string = False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                out.append("  ")
                i += 2
                continue
            if text.startswith("${", i) or text.startswith("%{", i):
                depth += 1
                in_string = False
                out.append("  ")
                i += 2
                continue
            if ch == '"':
                in_string = False
            out.append(" " if ch != '"' else ch)
        else:
            if ch == '"' and not text[:i].rstrip().endswith("["):  # an index key stays: it narrows the reference
                in_string = True
            elif ch == '"':
                end = text.find('"', i + 1)
                end = len(text) - 1 if end < 0 else end
                out.append(text[i : end + 1])
                i = end + 1
                continue
            elif ch == "}" and depth:
                depth -= 1
                in_string = True
            out.append(ch)
        i += 1
    return "".join(out)


class _Builder:
    def __init__(self, project_root: Path) -> None:
        self.project_root = project_root
        self.changes: list[dict[str, Any]] = []
        self.region: Any = None

    def document(self, root_module: Path) -> dict[str, Any]:
        scope = _Scope("", root_module, _merged(root_module), variables=_tfvars(root_module))
        provider_config: dict[str, Any] = {}
        for provider in scope.body.children("provider"):
            if provider.labels == ("aws",) and "alias" not in provider.attributes:
                region = self.value(provider.attributes.get("region"), scope)
                if isinstance(region, str):
                    provider_config = {"aws": {"name": "aws", "expressions": {"region": {"constant_value": region}}}}
        configuration = {"provider_config": provider_config, "root_module": self.module(scope, 0)}
        return {
            "format_version": "1.2",
            "terraform_version": "hcl",
            "resource_changes": self.changes,
            "planned_values": {"root_module": {}},
            "configuration": configuration,
        }

    # ------------------------------------------------------------ one module instance
    def module(self, scope: _Scope, depth: int) -> dict[str, Any]:
        for declared in scope.body.children("variable"):
            name = declared.labels[0] if declared.labels else ""
            if name not in scope.variables:
                scope.variables[name] = declared.attributes.get("default", UNKNOWN) if "default" in declared.attributes else UNKNOWN
        for block in scope.body.children("locals"):
            scope.local_exprs.update(block.attributes)
        config: dict[str, Any] = {"resources": [], "module_calls": {}, "outputs": {}}
        for block in scope.body.blocks:
            if block.type in ("resource", "data") and len(block.labels) == 2:
                config["resources"].append(self.resource(block, scope))
            elif block.type == "output" and block.labels:
                config["outputs"][block.labels[0]] = {"expression": _expression(block.attributes.get("value"))}
            elif block.type == "module" and block.labels:
                config["module_calls"][block.labels[0]] = self.call(block, scope, depth)
        return config

    def call(self, block: hcl.Block, scope: _Scope, depth: int) -> dict[str, Any]:
        name = block.labels[0]
        arguments = {
            k: v for k, v in block.attributes.items() if k not in ("source", "version", "providers", "count", "for_each", "depends_on")
        }
        call: dict[str, Any] = {"source": block.attributes.get("source"), "expressions": {k: _expression(v) for k, v in arguments.items()}}
        child_dir = self.local_source(block, scope)
        chain = (*scope.ancestors, scope.directory)
        if child_dir is None or child_dir in chain or depth >= MAX_MODULE_DEPTH or self.value(block.attributes.get("count"), scope) == 0:
            return call
        address = f"{scope.address}.module.{name}" if scope.address else f"module.{name}"
        variables = {k: self.value(v, scope) for k, v in arguments.items()}
        child = _Scope(address, child_dir, _merged(child_dir), variables=variables, ancestors=chain)
        call["module"] = self.module(child, depth + 1)
        return call

    def local_source(self, block: hcl.Block, scope: _Scope) -> Path | None:
        source = block.attributes.get("source")
        if not isinstance(source, str) or not _LOCAL_SOURCE.match(source):
            return None  # a registry or remote module: only a plan shows what it creates
        target = (scope.directory / source).resolve()
        if not target.is_relative_to(self.project_root) or not target.is_dir():
            return None  # never read outside the project
        return target

    def resource(self, block: hcl.Block, scope: _Scope) -> dict[str, Any]:
        mode = "data" if block.type == "data" else "managed"
        rtype, name = block.labels
        local = f"data.{rtype}.{name}" if mode == "data" else f"{rtype}.{name}"
        config: dict[str, Any] = {"address": local, "mode": mode, "type": rtype, "name": name, "expressions": {}}
        for meta in ("count", "for_each"):
            if meta in block.attributes:
                config[f"{meta}_expression"] = _expression(block.attributes[meta])
        after, unknown, expressions = self.body(block, scope)
        config["expressions"] = expressions
        count = self.value(block.attributes.get("count"), scope) if "count" in block.attributes else 1
        each = self.value(block.attributes.get("for_each"), scope) if "for_each" in block.attributes else None
        if count != 0 and each not in ({}, []):
            address = f"{scope.address}.{local}" if scope.address else local
            change = {"before": None, "after": after, "after_unknown": unknown, "after_sensitive": {}}
            self.changes.append(
                {
                    "address": address,
                    "module_address": scope.address or None,
                    "mode": mode,
                    "type": rtype,
                    "name": name,
                    "provider_name": "registry.terraform.io/hashicorp/aws",
                    "change": {**change, "actions": ["read"] if mode == "data" else ["create"]},
                }
            )
            if not scope.address:
                self.changes[-1].pop("module_address")
        return config

    def body(self, block: hcl.Block, scope: _Scope) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """(after, after_unknown, configuration expressions) of a block's attributes and nested blocks."""
        after: dict[str, Any] = {}
        unknown: dict[str, Any] = {}
        expressions: dict[str, Any] = {}
        for key, raw in block.attributes.items():
            if key in ("count", "for_each", "depends_on", "provider"):
                continue
            value = self.value(raw, scope)
            expressions[key] = _expression(raw)
            if value is UNKNOWN:
                unknown[key] = True
            else:
                after[key] = value
        for nested in block.blocks:
            if nested.type == "dynamic" and nested.labels:
                # generated blocks: what they hold is known only once for_each is
                unknown[nested.labels[0]] = True
                expressions[nested.labels[0]] = _expression(hcl.Expression(_block_text(nested)))
                expressions["dynamic"] = {"references": []}
                continue
            if nested.type in _NESTED_SKIP or unknown.get(nested.type) is True or nested.type in block.attributes:
                continue  # a dynamic block of the same name already makes them unknown
            n_after, n_unknown, n_expr = self.body(nested, scope)
            after.setdefault(nested.type, []).append(n_after)
            unknown.setdefault(nested.type, []).append(n_unknown)
            expressions.setdefault(nested.type, []).append(n_expr)
        return after, unknown, expressions

    # ------------------------------------------------------------ values
    def value(self, raw: Any, scope: _Scope) -> Any:
        """A literal as it is; an expression resolved to a literal through variables and locals, else UNKNOWN."""
        if not isinstance(raw, hcl.Expression):
            return raw
        text = raw.text.strip()
        lookup = _LOOKUP.match(text)
        if lookup:
            kind, name, path = lookup.groups()
            found = scope.variables.get(name, UNKNOWN) if kind == "var" else self.local(name, scope)
            return _dig(found, path)
        encoded = _JSONENCODE.match(text)
        if encoded:
            inner = self.partial(encoded.group(1), scope)
            if inner is not UNKNOWN and not _opaque_outside_policy_leaves(inner):
                return json.dumps(inner, separators=(",", ":"), default=lambda _: "(known after apply)")
        return UNKNOWN

    def local(self, name: str, scope: _Scope) -> Any:
        if name in scope.local_values:
            return scope.local_values[name]
        if name not in scope.local_exprs or name in scope.resolving:
            return UNKNOWN
        scope.resolving.add(name)
        resolved = self.value(scope.local_exprs[name], scope)
        scope.resolving.discard(name)
        scope.local_values[name] = resolved
        return resolved

    def partial(self, text: str, scope: _Scope) -> Any:
        """An HCL object/tuple whose leaves may be expressions: literals kept, each other leaf resolved or _Opaque."""
        try:
            parsed = hcl.parse(f"v = {text.strip()}\n").attributes.get("v")
        except hcl.HclSyntaxError:
            return UNKNOWN
        if isinstance(parsed, hcl.Expression):
            return _structure(parsed.text, self, scope)
        return parsed


class _Opaque:
    """A leaf of a rendered document whose value is known only after apply."""

    def __repr__(self) -> str:
        return "(known after apply)"


def _structure(text: str, builder: _Builder, scope: _Scope) -> Any:
    """`{ k = v, ... }` / `[ ... ]` with expression leaves: split on top-level separators and resolve each leaf."""
    text = text.strip()
    if text[:1] in "{[" and text[-1:] in "}]" and not re.match(r"^[\[{]\s*for\s", text):
        items = _split_top(text[1:-1])
        if text[0] == "[":
            return [_leaf(item, builder, scope) for item in items]
        out: dict[str, Any] = {}
        for item in items:
            key, sep, rest = _split_key(item)
            if not sep:
                return _Opaque()
            out[key] = _leaf(rest, builder, scope)
        return out
    resolved = builder.value(hcl.Expression(text), scope)
    return _Opaque() if resolved is UNKNOWN else resolved


def _leaf(text: str, builder: _Builder, scope: _Scope) -> Any:
    try:
        parsed = hcl.parse(f"v = {text.strip()}\n").attributes.get("v")
    except hcl.HclSyntaxError:
        return _Opaque()
    return _structure(parsed.text, builder, scope) if isinstance(parsed, hcl.Expression) else parsed


def _split_top(body: str) -> list[str]:
    """Items of an object or tuple body, split at commas and newlines outside brackets and strings."""
    items, depth, start, in_string, i = [], 0, 0, False, 0
    while i < len(body):
        ch = body[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in ",\n" and depth == 0:
            items.append(body[start:i])
            start = i + 1
        i += 1
    items.append(body[start:])
    return [item.strip() for item in items if item.strip() and not item.strip().startswith(("#", "//"))]


def _split_key(item: str) -> tuple[str, str, str]:
    match = re.match(r'^\s*(?:"([^"\\]*)"|([A-Za-z_][\w-]*))\s*[=:](?!=)\s*(.*)$', item, re.DOTALL)
    if not match:
        return "", "", ""
    return match.group(1) if match.group(1) is not None else match.group(2), "=", match.group(3)


def _opaque_outside_policy_leaves(doc: Any, key: str = "") -> bool:
    """True when a value known only after apply sits where it could change what a policy grants (Effect, Action,
    Principal): such a document is unknown as a whole; ARNs in Resource and values in Condition are not."""
    if key in _POLICY_OPAQUE:
        return False
    if isinstance(doc, _Opaque):
        return True
    if isinstance(doc, dict):
        return any(_opaque_outside_policy_leaves(v, k) for k, v in doc.items())
    if isinstance(doc, list):
        return any(_opaque_outside_policy_leaves(v, key) for v in doc)
    return False


def _expression(raw: Any) -> dict[str, Any]:
    if isinstance(raw, hcl.Expression):
        return {"references": references(raw.text)}
    return {"constant_value": raw}


def _dig(value: Any, path: str) -> Any:
    for match in _PATH_STEP.finditer(path):
        if value is UNKNOWN:
            return UNKNOWN
        attribute, key, index = match.groups()
        if isinstance(value, dict) and (attribute or key) in value:
            value = value[attribute or key]
        elif isinstance(value, list) and index is not None and int(index) < len(value):
            value = value[int(index)]
        else:
            return UNKNOWN
    return value


def _block_text(block: hcl.Block) -> str:
    """The references a dynamic block makes, as one expression text (its attributes' sources)."""
    parts: list[str] = []

    def walk(b: hcl.Block) -> Iterator[str]:
        for v in b.attributes.values():
            if isinstance(v, hcl.Expression):
                yield v.text
        for child in b.blocks:
            yield from walk(child)

    parts.extend(walk(block))
    return " ".join(parts)


def _merged(directory: Path) -> hcl.Block:
    """Every *.tf file of a module as one body (terraform reads a module's files as one)."""
    body = hcl.Block(type="", labels=(), line=1)
    for tf in sorted(directory.glob("*.tf")):
        parsed = hcl.load_cached(tf)
        body.attributes.update(parsed.attributes)
        body.blocks.extend(parsed.blocks)
    return body


def _tfvars(root_module: Path) -> dict[str, Any]:
    """The variable values terraform reads without being asked: terraform.tfvars, then *.auto.tfvars in name order."""
    values: dict[str, Any] = {}
    files = [root_module / "terraform.tfvars", *sorted(root_module.glob("*.auto.tfvars"))]
    for path in files:
        if path.is_file():
            values.update(hcl.load_tfvars(path))
    return values


def unresolved_modules(plan: model.Plan) -> list[str]:
    """Module calls whose source was not followed (registry, remote or outside the project): only a plan shows them."""
    found: list[str] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, call in (node.get("module_calls") or {}).items():
            address = f"{prefix}.module.{name}" if prefix else f"module.{name}"
            if "module" not in call:
                found.append(f"{address} ({call.get('source')})")
            else:
                walk(call["module"], address)

    walk((plan.data.get("configuration") or {}).get("root_module") or {}, "")
    return found
