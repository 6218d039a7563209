"""Class-level controls: judge every resource of every classed type by the facets classes.yaml gives it.

One function per facet kind (encryption at rest, conditions, policies, security-group rules), all driven by
the data: adding a type to classes.yaml puts it under the class's controls with no code. Resources are
reached through the plan's by-type index, companions through a per-plan reference index built once, so a
5,000-resource plan is one pass per facet, never a re-scan per resource.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from tapguard.controls import iam_policy
from tapguard.controls.classes import Classes, Condition, Facet, TypeClass
from tapguard.controls.engine import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Context, Finding
from tapguard.planning.model import Plan, Resource

CLOSED_WORLD = "C1"
UNASSESSED = "unassessed"
OPEN_V4, OPEN_V6 = "0.0.0.0/0", "::/0"
# ports that must never face the internet even for a public tier (Config restricted-common-ports + the stores)
ADMIN_AND_STORE_PORTS = (20, 21, 22, 23, 1433, 1521, 2049, 3306, 3389, 5432, 6379, 9200, 11211, 27017)
# what a rule facet expects, by the direction it judges (N4 judges egress, the exposure controls ingress)
NO_OPEN_RULE = {
    "ingress": "no ingress from 0.0.0.0/0 or ::/0 to all ports or to admin/data-store ports",
    "egress": "no all-protocol egress to 0.0.0.0/0 or ::/0",
}

# what a failing condition breaks, by facet (the class control's statement, short)
_STATEMENT = {
    "at_rest": "data at rest must be encrypted with a customer-managed key",
    "in_transit": "the endpoint must refuse plain text and TLS < 1.2",
    "public": "it must not be publicly reachable",
    "policy": "no policy may grant * on * or to *",
    "logging": "it must log",
    "backup": "backups/retention must be set",
    "key": "the key must rotate and stay enabled",
    "password": "the password policy must meet PCI DSS 8.3",
    "detection": "the detection service must be on",
}

# facets whose failures land on the companion resource that holds the setting (a public-access block with its
# flags off is fixed on the block, not on the bucket)
FINDINGS_ON_COMPANION = frozenset({"public"})
# volumes whose encryption the account default decides when they leave it unset: (flag path, default type, its flag)
DEFAULT_ENCRYPTION = {
    "aws_ebs_volume": ("encrypted", "aws_ebs_encryption_by_default", "enabled"),
    "aws_instance": ("root_block_device.0.encrypted", "aws_ebs_encryption_by_default", "enabled"),
}

_companions: dict[tuple[int, str, str], tuple[weakref.ref[Plan], dict[str, list[Resource]]]] = {}


# ---------------------------------------------------------------- entry points
def facet_findings(ctx: Context, data: Classes, facet_name: str, control_id: str) -> Iterator[Finding]:
    """Findings of one class control: every live resource of every type whose `facet_name` feeds `control_id`."""
    for tc in data.with_facet(facet_name):
        facet = tc.facets[facet_name]
        if facet.control != control_id:
            continue
        for r in ctx.resources(tc.type):
            if r.address in ctx.covered:
                # the stack control's own check judged this one: add only what the class sees wrong, no second pass
                yield from (f for f in judge(ctx, data, r, facet) if f.status == FAIL)
                continue
            yield from judge(ctx, data, r, facet)


def judge(ctx: Context, data: Classes, r: Resource, facet: Facet) -> Iterator[Finding]:
    for exemption in facet.options.get("exempt_if_target_of") or []:
        sinks = companions(ctx.plan, r, str(exemption["type"]), str(exemption["ref"]))
        if sinks:
            yield ctx.ok(r, facet.name, sinks[0].address, "exempt", f"{facet.name}: {exemption['why']} ({sinks[0].address})")
            return
    targets: list[Resource] = [r]
    if facet.via:
        targets = companions(ctx.plan, r, facet.via.type, facet.via.ref)
        if not targets:
            yield ctx.fail(r, facet.via.type, None, f"an {facet.via.type} for this resource", f"no {facet.via.type} configures it")
            return
    # through companions, one that satisfies the facet is enough (a VPC with one ALL flow log is logged)
    judged = [list(_judge_one(ctx, data, target, facet)) for target in targets]
    if facet.via:
        passing = [fs for fs in judged if all(f.status == PASS for f in fs)]
        judged = passing[:1] or judged
        for target, fs in zip(targets, judged, strict=False):
            for f in fs:
                if f.status == FAIL and facet.name in FINDINGS_ON_COMPANION:
                    continue  # the setting that is wrong is written on the companion: the finding stays where it is fixed
                f.address = r.address
                f.attribute = f"{target.type}.{f.attribute}" if f.attribute else target.type
    for fs in judged:
        yield from fs


def closed_world(ctx: Context, data: Classes) -> Iterator[Finding]:
    """C1: every live managed resource is of a classed type; dependents are tied to their parent, inert types
    are named as such, and a type no class knows is `unassessed` (a failure under the PCI profiles)."""
    for r in live_managed(ctx.plan):
        tc = data.of(r.type)
        if tc is None:
            yield ctx.fail(r, "type", r.type, "a resource type classed in classes.yaml", UNASSESSED + ": no class knows this type")
        elif tc.inert:
            yield ctx.finding(r, "type", NOT_APPLICABLE, r.type, "classed", f"inert: {tc.reason}")
        elif tc.covered_by:
            yield _dependent(ctx, r, tc)


def coverage(plan: Plan, data: Classes) -> tuple[int, int, list[str]]:
    """(assessed, total, unassessed types) over the live managed resources of a plan."""
    live = live_managed(plan)
    unknown = sorted({r.type for r in live if data.of(r.type) is None})
    missing = set(unknown)
    return sum(1 for r in live if r.type not in missing), len(live), unknown


def live_managed(plan: Plan) -> list[Resource]:
    """Managed resources that exist after the plan: not deleted, not forgotten, not data reads."""
    return [r for r in plan.resources if r.mode == "managed" and not _gone(r)]


def _gone(r: Resource) -> bool:
    return r.deleted or "forget" in r.actions or (not r.after and "delete" in r.actions)


def _dependent(ctx: Context, r: Resource, tc: TypeClass) -> Finding:
    cov = tc.covered_by
    assert cov is not None
    if cov.reverse:
        parents = [p for p in companions(ctx.plan, r, cov.type, cov.ref)]
    else:
        parents = [p for p in r.referenced(cov.ref) if p.type == cov.type]
    if parents:
        return ctx.ok(r, cov.ref, parents[0].address, f"a {cov.type} of the plan", f"judged through {parents[0].address}")
    # a parent outside the plan (an existing resource by id or ARN): its controls run where it is managed
    return ctx.finding(r, cov.ref, UNKNOWN, r.get(cov.ref), f"a {cov.type} of the plan", f"its {cov.type} is not in this plan")


# ---------------------------------------------------------------- companions (S3's split resources, flow logs, ...)
def companions(plan: Plan, r: Resource, ctype: str, ref: str) -> list[Resource]:
    """Resources of `ctype` whose attribute `ref` references `r` (through the configuration) or holds one of its
    identifying values (a literal bucket name, id or ARN)."""
    key = (id(plan), ctype, ref)
    cached = _companions.get(key)
    if cached is None or cached[0]() is not plan:
        index: dict[str, list[Resource]] = {}
        for c in plan.of_type(ctype):
            targets = set(c.references(ref).resources)
            value = c.get(ref)
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and v:
                    targets.add("=" + v)
            for t in targets:
                index.setdefault(t, []).append(c)
        cached = (weakref.ref(plan), index)
        _companions[key] = cached
    index = cached[1]
    found = list(index.get(r.address, []))
    for attr in ("id", "bucket", "arn", "name"):
        v = r.get(attr)
        if isinstance(v, str) and v:
            found += [c for c in index.get("=" + v, []) if c not in found]
    return found


# ---------------------------------------------------------------- one resource, one facet
def _judge_one(ctx: Context, data: Classes, r: Resource, facet: Facet) -> Iterator[Finding]:
    if facet.rules:
        yield from _rules(ctx, r, facet)
        return
    produced = False
    if facet.flag is not None and facet.name == "at_rest" and r.type in DEFAULT_ENCRYPTION:
        produced = True
        yield _default_encrypted(ctx, r, facet.flag)
    elif facet.flag is not None:
        produced = True
        yield _condition_finding(ctx, r, facet.flag, deny=False, what=f"{r.type} is not encrypted at rest")
    if facet.cmk is not None:
        if facet.cmk:
            on = facet.flag is None or _holds(r, facet.flag) is True
            if on:
                for path in facet.cmk:
                    produced = True
                    yield from _cmk(ctx, r, path)
        elif facet.name == "at_rest" and facet.flag is None:
            produced = True
            yield ctx.ok(
                r, "", "service-managed encryption", "encrypted at rest", "always encrypted by the service; no customer key exists"
            )
    for condition in facet.require:
        produced = True
        yield _condition_finding(ctx, r, condition, deny=False, what=f"{_STATEMENT[facet.name]}: {_describe(condition, False)} is required")
    for condition in facet.deny:
        produced = True
        yield _condition_finding(
            ctx, r, condition, deny=True, what=f"{_STATEMENT[facet.name]}: {_describe(condition, False)} is not allowed"
        )
    if facet.documents or facet.principal or facet.managed_arns or facet.options.get("deny_direct") or facet.options.get("principal_only"):
        produced = True
        yield from _policy(ctx, data, r, facet)
    if not produced:
        yield ctx.finding(r, "", FAIL, None, f"a {facet.name} rule", f"classes.yaml gives {r.type} an empty {facet.name} facet")


def _default_encrypted(ctx: Context, r: Resource, flag: Condition) -> Finding:
    """A volume's `encrypted` left unset (null or unknown at plan): encrypted only when the plan turns on the
    region's EBS encryption by default; set explicitly, it is judged as written."""
    path, default_type, default_flag = DEFAULT_ENCRYPTION[r.type]
    if r.get(path) is not None:
        return _condition_finding(ctx, r, flag, deny=False, what=f"{r.type} is not encrypted at rest")
    defaults = [d for d in ctx.plan.of_type(default_type) if d.get(default_flag) is not False and not d.is_unknown(default_flag)]
    if defaults:
        return ctx.ok(r, path, f"(default: {defaults[0].address})", True, "encrypted by the region's EBS default encryption")
    actual = "(known after apply)" if r.is_unknown(path) else None
    return ctx.fail(r, path, actual, f"true, or {default_type} enabled in the plan", f"{r.type}: encryption left to the account default")


def _cmk(ctx: Context, r: Resource, path: str) -> Iterator[Finding]:
    if "*" not in path and r.config and r.is_unknown(path) and path.split(".", 1)[0] not in r.config:
        # computed because the configuration never names a key: the service's AWS-managed key
        yield ctx.fail(r, path, None, "a customer-managed aws_kms_key", "no key configured: the AWS-managed key encrypts it")
        return
    if "*" not in path:
        yield ctx.cmk(r, path)
        return
    paths = list(_expand(r.after, path.split("."), ""))
    if not paths:
        yield ctx.fail(r, path, None, "a customer-managed aws_kms_key", "no customer-managed key (none configured)")
    for concrete in paths:
        yield ctx.cmk(r, concrete)


# ---------------------------------------------------------------- conditions
def _condition_finding(ctx: Context, r: Resource, c: Condition, deny: bool, what: str) -> Finding:
    verdict = _holds(r, c, any_element=deny)
    expected = _describe(c, deny)
    attribute = _first_path(c)
    actual = _actual(r, c)
    if verdict is None:
        return ctx.finding(r, attribute, UNKNOWN, "(known after apply)", expected, "unknown at plan time")
    bad = verdict if deny else not verdict
    if bad and deny and c.unless is not None and c.unless.path:
        # the setting is allowed only with its exception: point at the exception's attribute
        head = what.split(":", 1)[0]
        needed = _describe(c.unless, False)
        return ctx.fail(r, c.unless.path, r.get(c.unless.path), needed, f"{head}: with {_describe(_bare(c), False)}, {needed} is required")
    return ctx.finding(r, attribute, FAIL if bad else PASS, actual, expected, what if bad else "as required")


def _bare(c: Condition) -> Condition:
    return dataclasses.replace(c, unless=None)


def _holds(r: Resource, c: Condition, any_element: bool = False) -> bool | None:
    """Whether the condition holds on r: True, False, or None when the value is unknown at plan time. Over a
    wildcard path it must hold for every element, or - for a deny (any_element) - for at least one."""
    if c.any_of:
        results = [_holds(r, alt, any_element) for alt in c.any_of]
        if any(x is True for x in results):
            return True
        return None if any(x is None for x in results) else False
    assert c.path is not None and c.operator is not None
    if c.unless is not None and _holds(r, c.unless) is True:
        return not any_element  # excepted: a deny does not fire, a requirement is met
    values = _values(r, c)
    if values is None:
        return None
    if not values:
        values = [(c.default, False)] if c.has_default else [(None, False)]
    results = []
    for value, unknown in values:
        if unknown:
            # a configured value terraform computes at apply is set, whatever it will be; an unconfigured
            # computed one is the provider's default (empty for the rule and list attributes read this way)
            if c.operator in ("nonempty", "set"):
                results.append(c.path.split(".", maxsplit=1)[0] in r.config)
                continue
            return None
        results.append(_test(c.operator, c.default if value is None and c.has_default else value, c.value))
    return any(results) if any_element else all(results)


def _values(r: Resource, c: Condition) -> list[tuple[Any, bool]] | None:
    """The values at the condition's path: [(value, unknown)], expanding `*`; for `param` conditions the value of
    the parameter with that name."""
    assert c.path is not None
    if c.param:
        out: list[tuple[Any, bool]] = []
        elements = list(_expand(r.after, c.path.split("."), ""))
        if _dig_unknown(r, c.path.split(".")[0]):
            return None
        for concrete in elements:
            name = r.get(f"{concrete}.{c.name_key}")
            if name == c.param:
                out.append((r.get(f"{concrete}.{c.value_key}"), r.is_unknown(f"{concrete}.{c.value_key}")))
        return out
    if "*" in c.path:
        if _dig_unknown(r, c.path.split("*")[0].rstrip(".")):
            return None
        return [(r.get(p), r.is_unknown(p)) for p in _expand(r.after, c.path.split("."), "")]
    return [(r.get(c.path), r.is_unknown(c.path))]


def _dig_unknown(r: Resource, path: str) -> bool:
    return bool(path) and r.is_unknown(path)


def _expand(node: Any, parts: list[str], prefix: str) -> Iterator[str]:
    """Concrete paths for a path with `*` (every list element)."""
    if not parts:
        yield prefix
        return
    head, rest = parts[0], parts[1:]

    def join(p: str) -> str:
        return f"{prefix}.{p}" if prefix else p

    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _expand(item, rest, join(str(i)))
        return
    if isinstance(node, list):
        if head.isdigit() and int(head) < len(node):
            yield from _expand(node[int(head)], rest, join(head))
        elif not rest:
            yield join(head)
        return
    if isinstance(node, dict):
        if head in node:
            yield from _expand(node[head], rest, join(head))
        elif not rest or "*" not in rest:
            yield join(".".join(parts))
        return
    yield join(".".join(parts))


def _test(op: str, value: Any, wanted: Any) -> bool:
    if op == "is":
        return _same(value, wanted)
    if op == "in":
        return any(_same(value, w) for w in wanted) or (
            isinstance(value, list) and bool(value) and all(any(_same(v, w) for w in wanted) for v in value)
        )
    if op == "not_in":
        return not any(_same(value, w) for w in wanted)
    if op in ("min", "max"):
        number = _number(value)
        if number is None:
            return False
        return bool(number >= wanted) if op == "min" else bool(number <= wanted)
    if op == "nonempty":
        return bool(value) and value != [{}]
    if op == "set":
        return value is not None and value != ""
    if op == "contains":
        return isinstance(value, list) and any(_same(v, wanted) for v in value)
    if op == "contains_any":
        return isinstance(value, list) and any(_same(v, w) for v in value for w in wanted)
    raise ValueError(op)


def _same(value: Any, wanted: Any) -> bool:
    if value == wanted and type(value) is type(wanted):
        return True
    # provider 5.100 types some booleans as strings ("true"); compare them as text
    if isinstance(value, bool | str) and isinstance(wanted, bool | str):
        return str(value).lower() == str(wanted).lower()
    if isinstance(value, int | float) and isinstance(wanted, int | float) and not isinstance(value, bool):
        return bool(value == wanted)
    return False


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _first_path(c: Condition) -> str:
    return next(iter(c.paths()), "")


def _actual(r: Resource, c: Condition) -> Any:
    if c.any_of:
        return {p: r.get(p) for alt in c.any_of for p in ([alt.path] if alt.path and "*" not in alt.path else [])} or None
    values = _values(r, c) or []
    shown = [v for v, _ in values]
    if c.path and "*" not in c.path and not c.param:
        return shown[0] if shown else None
    return shown


def _describe(c: Condition, deny: bool) -> str:
    if c.any_of:
        return (
            " or ".join(_describe(alt, False) for alt in c.any_of)
            if not deny
            else "not (" + " or ".join(_describe(a, False) for a in c.any_of) + ")"
        )
    target = f"{c.path}[{c.param}]" if c.param else c.path
    words = {
        "is": f"= {c.value!r}", "in": f"one of {c.value}", "not_in": f"none of {c.value}", "min": f">= {c.value}",
        "max": f"<= {c.value}", "nonempty": "set and non-empty", "set": "set", "contains": f"contains {c.value!r}",
        "contains_any": f"contains any of {c.value}",
    }  # fmt: skip
    text = f"{target} {words[c.operator or 'set']}"
    if c.unless is not None:
        text += f" (unless {_describe(c.unless, False)})"
    return f"not {text}" if deny else text


# ---------------------------------------------------------------- policies
def _policy(ctx: Context, data: Classes, r: Resource, facet: Facet) -> Iterator[Finding]:
    admin = set(data.lists.get("admin_policies", ()))
    for path in facet.documents:
        for concrete in _expand(r.after, path.split("."), "") if "*" in path else [path]:
            yield _document(ctx, r, concrete)
    if facet.principal:
        principal = r.get(facet.principal)
        scoped = [p for p in facet.scoped_by if r.has(p)]
        if r.is_unknown(facet.principal):
            yield ctx.finding(r, facet.principal, UNKNOWN, "(known after apply)", "a named principal", "unknown at plan time")
        else:
            bad = principal == "*" and not scoped
            yield ctx.verdict(not bad, r, facet.principal, principal, f"a named principal or * scoped by {facet.scoped_by}", "grants to *")
    for path in facet.managed_arns:
        arns = r.get(path)
        if r.is_unknown(path) and path.split(".", maxsplit=1)[0] not in r.config:
            yield ctx.ok(r, path, "(not set)", "no admin-level managed policy", "none attached here")
            continue
        if r.is_unknown(path):
            yield ctx.finding(r, path, UNKNOWN, "(known after apply)", "no admin-level managed policy", "unknown at plan time")
            continue
        listed = arns if isinstance(arns, list) else [arns] if arns else []
        granted = [a for a in listed if a in admin]
        yield ctx.verdict(
            not granted, r, path, granted or listed, "no admin-level managed policy", "attaches an admin-level managed policy"
        )
    if facet.options.get("deny_direct"):
        yield ctx.fail(r, "user", r.get("user"), "policies granted through groups or roles", "policy attached directly to a user (7.2.2)")
    if facet.options.get("deny_direct_if_set"):
        users = r.get(str(facet.options["deny_direct_if_set"]))
        if users:
            yield ctx.fail(r, "users", users, "policies granted through groups or roles", "policy attached directly to users (7.2.2)")
    if facet.options.get("principal_only"):
        yield ctx.finding(
            r, "", NOT_APPLICABLE, r.type, "grants judged at attachments", "a principal: its grants are judged where they are attached"
        )


def _document(ctx: Context, r: Resource, path: str) -> Finding:
    expected = "no Allow of * on *, no Allow to Principal * without a Condition"
    if r.is_unknown(path):
        if path.split(".", maxsplit=1)[0] not in r.config:
            return ctx.ok(r, path, "(not set)", expected, "no policy set: the service's default, owner-only policy")
        # JSON naming an ARN of the same plan: rebuilt from aws_iam_policy_document or the configuration
        rebuilt = iam_policy.document(r, path) if "." not in path else None
        if rebuilt is None:
            return ctx.finding(r, path, UNKNOWN, "(known after apply)", expected, "policy unknown at plan time")
        problems = list(_statement_problems(rebuilt))
        if problems:
            return ctx.fail(r, path, problems[0][1], expected, problems[0][0])
        return ctx.ok(r, path, "no wildcard grants (rebuilt from configuration)", expected)
    raw = r.get(path)
    if raw in (None, ""):
        return ctx.ok(r, path, None, expected, "no policy document")
    try:
        doc = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return ctx.fail(r, path, str(raw)[:80], expected, "policy is not JSON")
    problems = list(_statement_problems(doc))
    if problems:
        return ctx.fail(r, path, problems[0][1], expected, problems[0][0])
    return ctx.ok(r, path, "no wildcard grants", expected)


def _statement_problems(doc: Any) -> Iterator[tuple[str, Any]]:
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for s in statements if isinstance(statements, list) else [statements]:
        if not isinstance(s, dict) or s.get("Effect") != "Allow":
            continue
        actions = _strings(s.get("Action"))
        resources = _strings(s.get("Resource"))
        if "*" in actions and ("*" in resources or not resources):
            yield "grants * on *", {"Action": s.get("Action"), "Resource": s.get("Resource")}
        principal = s.get("Principal")
        if _public_principal(principal) and not s.get("Condition"):
            yield "grants to Principal * without a Condition", {"Principal": principal, "Action": s.get("Action")}


def _public_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in _strings(v) for v in principal.values())
    return False


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


# ---------------------------------------------------------------- security-group and NACL rules
def _rules(ctx: Context, r: Resource, facet: Facet) -> Iterator[Finding]:
    spec = facet.rules
    kind = spec["kind"]
    if kind in ("inline", "nacl_inline"):
        # a group's inline egress rules are N4's; every other control judges the ingress ones
        direction = "egress" if kind == "inline" and facet.control == "N4" else "ingress"
        path = spec.get(direction)
        if path is not None:
            yield from _inline_rules(ctx, r, spec, direction, path.removesuffix(".*"))
        return
    if kind == "rule" and r.get(spec["direction"]) != "ingress":
        yield ctx.ok(r, spec["direction"], r.get(spec["direction"]), "ingress rules judged", "an egress rule (N4 judges egress)")
        return
    if kind == "nacl_rule" and r.get(spec["egress"]) is True:
        yield ctx.ok(r, "egress", True, "ingress rules judged", "an egress NACL rule")
        return
    direction = "egress" if kind == "egress_rule" else "ingress"
    yield _rule_finding(ctx, r, "", r.after, spec, direction, NO_OPEN_RULE[direction])


def _inline_rules(ctx: Context, r: Resource, spec: Mapping[str, str], direction: str, base: str) -> Iterator[Finding]:
    expected = NO_OPEN_RULE[direction]
    if r.is_unknown(base) and base not in r.config:
        # no inline rules written: the group's rules are separate resources, judged on their own
        yield ctx.ok(r, base, "(no inline rules)", expected, f"no inline {direction} rules")
        return
    if r.is_unknown(base):
        yield ctx.finding(r, base, UNKNOWN, "(known after apply)", expected, "rules unknown at plan time")
        return
    rules = r.get(base) or []
    if not isinstance(rules, list):  # a hostile plan: what cannot be read is never a pass
        yield ctx.finding(r, base, UNKNOWN, rules, expected, f"{direction} rules are not a list")
        return
    if not rules:
        yield ctx.ok(r, base, [], expected, f"no {direction} rules")
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            yield ctx.finding(r, f"{base}.{i}", UNKNOWN, rule, expected, f"an {direction} rule that is not an object")
            continue
        yield _rule_finding(ctx, r, f"{base}.{i}", rule, spec, direction, expected)


def _rule_finding(
    ctx: Context, r: Resource, at: str, rule: dict[str, Any], spec: dict[str, str] | Any, direction: str, expected: str
) -> Finding:
    def field(name: str) -> Any:
        key = spec.get(name)
        return rule.get(key) if key and isinstance(rule, dict) else None

    attribute = f"{at}.{spec['cidr4']}" if at else spec["cidr4"]
    if "action" in spec and str(field("action")).lower() == "deny":
        return ctx.ok(r, attribute, field("cidr4"), expected, "a deny rule")
    cidrs = [*_strings(field("cidr4")), *_strings(field("cidr6"))]
    open_to_world = [c for c in cidrs if _is_world(c)]
    if r.is_unknown(attribute) and not open_to_world:
        return ctx.finding(r, attribute, UNKNOWN, "(known after apply)", expected, "source unknown at plan time")
    if not open_to_world:
        return ctx.ok(r, attribute, cidrs or "security-group source", expected)
    protocol = str(field("protocol") if field("protocol") is not None else "").lower()
    low, high = _number(field("from")), _number(field("to"))
    all_ports = protocol in ("-1", "all") or (low in (None, 0) and high in (None, 0, 65535, -1))
    if direction == "egress":
        bad = all_ports
        message = "all-protocol egress to the internet"
    else:
        # a missing bound opens the range that way: from_port null with to_port 22 still admits 22
        first, last = (0 if low is None else low), (65535 if high is None else high)
        exposed = [p for p in ADMIN_AND_STORE_PORTS if first <= p <= last]
        bad = all_ports or bool(exposed)
        message = (
            "ingress from the internet to all ports" if all_ports else f"ingress from the internet to port {exposed[0] if exposed else low}"
        )
    detail = {"cidr": open_to_world, "protocol": field("protocol"), "from_port": field("from"), "to_port": field("to")}
    return ctx.verdict(not bad, r, attribute, detail, expected, message)


def _is_world(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return cidr in (OPEN_V4, OPEN_V6)
