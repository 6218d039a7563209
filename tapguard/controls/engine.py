"""The control engine: Control, Finding, Context, Profile, the check registry and evaluate.

A control's metadata (requirements, severity, risk, remediation, scanner ids) is data
in catalogue.yaml; its logic is a plain function registered with check("ID")(fn) at the end of one of the
family modules under checks/ (not decorated: mutmut does not mutate decorated functions). Every control
returns findings for every resource it looks at, so a pass is as visible as a fail; a control whose
resources are missing says so.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tapguard.foundation.errors import TapguardError
from tapguard.foundation.profile import Profile
from tapguard.planning.model import Plan, Resource, collector_paused

PASS, FAIL, UNKNOWN, NOT_APPLICABLE = "pass", "fail", "unknown", "not_applicable"
FAMILIES = ("network", "data_protection", "logging", "identity", "availability", "lifecycle", "classes", "accounts")
CATALOGUE = Path(__file__).with_name("catalogue.yaml")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: the catalogue loads 10x faster
PROFILES = Path(__file__).with_name("profiles.yaml")


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    family: str
    requirements: tuple[str, ...]
    severity: str
    risk: str
    remediation: str
    scanners: dict[str, list[str]]

    @property
    def check(self) -> Callable[[Context], Iterable[Finding]]:
        base, more = _CHECKS[self.id], _EXTENSIONS.get(self.id, [])
        if not more:
            return base

        @functools.wraps(base)  # the control's source is still its registered check (SARIF helpUri)
        def extended(ctx: Context) -> Iterator[Finding]:
            ctx.covered = set()
            for finding in base(ctx):
                ctx.covered.add(finding.address)
                yield finding
            for extension in more:
                yield from extension(ctx)

        return extended


@dataclass
class Finding:
    control: str
    environment: str
    address: str
    attribute: str
    status: str
    actual: Any = None
    expected: Any = None
    message: str = ""
    waiver: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self, control: Control | None = None) -> str:
        head = f"[{self.environment}] {self.address} {self.attribute}".rstrip()
        reqs = f" (PCI DSS {', '.join(control.requirements)})" if control else ""
        return f"{self.control}{reqs} {head}: {self.message} — actual {self.actual!r}, expected {self.expected}"


@dataclass
class Context:
    """What a check sees: the plan, the environment's profile, and where its HCL lives."""

    env: str
    plan: Plan
    profile: Profile
    hcl_dirs: list[Path] = field(default_factory=list)
    control_id: str = ""
    covered: set[str] = field(default_factory=set)  # addresses the control's own check judged (for its extensions)

    # ------------------------------------------------------------ finding builders
    def finding(self, r: Resource | str, attribute: str, status: str, actual: Any, expected: Any, message: str) -> Finding:
        address = r if isinstance(r, str) else r.address
        return Finding(self.control_id, self.env, address, attribute, status, _safe(actual), expected, message)

    def ok(self, r: Resource | str, attribute: str, actual: Any, expected: Any, message: str = "as required") -> Finding:
        return self.finding(r, attribute, PASS, actual, expected, message)

    def fail(self, r: Resource | str, attribute: str, actual: Any, expected: Any, message: str) -> Finding:
        return self.finding(r, attribute, FAIL, actual, expected, message)

    def verdict(self, good: bool, r: Resource | str, attribute: str, actual: Any, expected: Any, message: str) -> Finding:
        return self.finding(r, attribute, PASS if good else FAIL, actual, expected, "as required" if good else message)

    def resources(self, *types: str, mode: str = "managed") -> list[Resource]:
        return self.plan.of_type(*types, mode=mode)

    @staticmethod
    def referencing(target: Resource | str, attribute: str, among: Iterable[Resource]) -> list[Resource]:
        """The resources of `among` whose `attribute` points to `target` (a resource or its address), through variables
        and outputs: the flow logs of a VPC, the instances of a cluster, the mount targets of a file system."""
        address = target if isinstance(target, str) else target.address
        return [r for r in among if address in r.references(attribute).resources]

    def need(self, rtype: str, why: str) -> Generator[Finding, None, list[Resource]]:
        """The resources of a type; when there are none, also yield the `missing` finding.

        Use as `clusters = yield from ctx.need("aws_rds_cluster", "no Aurora cluster")`.
        """
        found = self.resources(rtype)
        if not found:
            yield self.missing(rtype, why)
        return found

    def missing(self, rtype: str, why: str) -> Finding:
        """A resource the control needs is absent: fail where the profile requires it, else not applicable."""
        required = self.profile.requires is None or rtype in self.profile.requires
        return self.finding(f"(no {rtype})", "", FAIL if required else NOT_APPLICABLE, None, f"at least one {rtype}", why)

    def expect(self, r: Resource, attribute: str, good: Callable[[Any], bool], expected: Any, message: str) -> Finding:
        """Judge a known value; an unknown one is `unknown` (the check should resolve it first)."""
        if r.is_unknown(attribute):
            return self.finding(r, attribute, UNKNOWN, "(known after apply)", expected, "unknown at plan time")
        value = r.get(attribute)
        return self.verdict(good(value), r, attribute, value, expected, message)

    def unreadable_containers(self, td: Resource) -> Finding:
        return self.finding(
            td,
            "container_definitions",
            UNKNOWN,
            "(known after apply)",
            "known container definitions",
            "cannot read the container definitions at plan time",
        )

    def cmk(self, r: Resource, attribute: str) -> Finding:
        """The attribute names a customer-managed KMS key: a key in the plan, or a known CMK ARN."""
        expected = "a customer-managed aws_kms_key"
        refs = r.referenced(attribute, "aws_kms_key")
        if refs:
            return self.ok(r, attribute, refs[0].address, expected)
        value = r.get(attribute)
        if isinstance(value, str) and value:
            if "alias/aws/" in value:
                return self.fail(r, attribute, value, expected, "uses an AWS-managed key")
            if ":key/" in value or ":alias/" in value:
                return self.finding(r, attribute, UNKNOWN, value, expected, "a key outside this plan: cannot prove it is customer-managed")
        if r.is_unknown(attribute):
            return self.finding(r, attribute, UNKNOWN, "(known after apply)", expected, "unknown and not traceable to a key in the plan")
        return self.fail(r, attribute, value, expected, "no customer-managed key (AWS-managed or none)")


def _safe(value: Any) -> Any:
    """Findings carry short, JSON-safe actual values."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) or len(value) <= 300 else value[:297] + "..."
    text = repr(value)
    return value if len(text) <= 300 else text[:297] + "..."


# ---------------------------------------------------------------- registry
_CHECKS: dict[str, Callable[[Context], Iterable[Finding]]] = {}
# more findings under an existing control id: the class-level generalisation of a stack control
_EXTENSIONS: dict[str, list[Callable[[Context], Iterable[Finding]]]] = {}


def extend(control_id: str, fn: Callable[[Context], Iterable[Finding]]) -> None:
    """Add findings to control `control_id` (for resource types its own check does not read)."""
    _EXTENSIONS.setdefault(control_id, []).append(fn)


def check(control_id: str) -> Callable[[Callable[[Context], Iterable[Finding]]], Callable[[Context], Iterable[Finding]]]:
    """Register a plain function as control `control_id`'s check: check("E1")(aurora_encrypted), once per id."""

    def register(fn: Callable[[Context], Iterable[Finding]]) -> Callable[[Context], Iterable[Finding]]:
        if control_id in _CHECKS:
            raise RuntimeError(f"control {control_id} registered twice")
        _CHECKS[control_id] = fn
        return fn

    return register


@cache
def catalogue() -> dict[str, Control]:
    for family in FAMILIES:
        importlib.import_module(f"tapguard.controls.checks.{family}")
    raw = yaml.load(CATALOGUE.read_text(), Loader=_LOADER)
    controls: dict[str, Control] = {}
    for entry in raw["controls"]:
        control = Control(
            id=entry["id"],
            title=entry["title"],
            family=entry["family"],
            requirements=tuple(str(r) for r in entry["requirements"]),
            severity=entry["severity"],
            risk=entry["risk"],
            remediation=entry["remediation"],
            scanners={k: list(v) for k, v in (entry.get("scanners") or {}).items()},
        )
        if control.id not in _CHECKS:
            raise RuntimeError(f"catalogue control {control.id} has no @check")
        controls[control.id] = control
    orphans = (set(_CHECKS) | set(_EXTENSIONS)) - set(controls)
    if orphans:
        raise RuntimeError(f"checks without catalogue entry: {sorted(orphans)}")
    return controls


@cache
def profiles() -> dict[str, Profile]:
    raw: dict[str, dict[str, Any]] = yaml.load(PROFILES.read_text(), Loader=_LOADER)
    out = {}
    for name, body in raw.items():
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in body.items()}
        out[name] = Profile(name=name, **fields)
    return out


GENERIC = "generic"


def profile_for(env: str, plan: Plan, configured: Mapping[str, Any] | None = None) -> Profile:
    """The project's profile (config or next to the stack) first, then the packaged profiles.yaml; a name that is
    not an environment gets the generic PCI profile: the plan's own region, no required resources, no stack-specific
    controls."""
    if configured is not None:
        fields = dict(configured)
        fields.setdefault("region", plan.region)
        return Profile(name=env, **fields)
    known = profiles()
    if env in known and env != GENERIC:
        return known[env]
    generic = known.get(GENERIC, Profile(name=GENERIC, requires=(), generic=True))
    return dataclasses.replace(generic, name=env, region=plan.region)


def evaluate(
    env: str, plan: Plan, profile: Profile | None = None, hcl_dirs: list[Path] | None = None, only: Iterable[str] | None = None
) -> list[Finding]:
    """Every finding of every (selected) control for one environment's plan."""
    with collector_paused():  # thousands of findings over a big live plan: no cycles to collect meanwhile
        return _evaluate(env, plan, profile, hcl_dirs, only)


def _evaluate(env: str, plan: Plan, profile: Profile | None, hcl_dirs: list[Path] | None, only: Iterable[str] | None) -> list[Finding]:
    ctx = Context(env=env, plan=plan, profile=profile or profile_for(env, plan), hcl_dirs=hcl_dirs or [])
    findings: list[Finding] = []
    selected = catalogue() if only is None else {k: catalogue()[k] for k in only}
    for control in selected.values():
        ctx.control_id = control.id
        if control.id in ctx.profile.skip:
            why = "stack-specific control: not run under the generic profile" if ctx.profile.generic else "not run under this profile"
            findings.append(ctx.finding("(profile)", "", NOT_APPLICABLE, ctx.profile.name, "a stack profile", why))
            continue
        try:
            produced = list(control.check(ctx))
        except Exception as exc:  # a broken check must show up as a failure, not vanish
            produced = [ctx.fail("(control error)", "", type(exc).__name__, "the check to run", str(exc))]
        if not produced:
            produced = [
                ctx.finding("(nothing evaluated)", "", FAIL, None, "resources to evaluate", "the control found nothing to evaluate")
            ]
        findings.extend(produced)
    return findings


# ---------------------------------------------------------------- shared helpers for checks
def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def containers(td: Resource) -> list[dict[str, Any]] | None:
    """The container definitions of a task definition, or None when unknown or unreadable."""
    raw = td.get("container_definitions")
    if not isinstance(raw, str):
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return [c for c in parsed if isinstance(c, dict)] if isinstance(parsed, list) else None


def require_known(ctx: Context, r: Resource, attribute: str) -> Finding | None:
    if r.is_unknown(attribute):
        return ctx.finding(r, attribute, UNKNOWN, "(known after apply)", "a value known at plan time", "unknown at plan time")
    return None


def error(message: str) -> TapguardError:
    return TapguardError(message)
