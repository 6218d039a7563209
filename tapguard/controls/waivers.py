"""Waivers: an accepted, owned, expiring exception to a control for matching addresses.

A waiver file is declared (WaiverFile below): a field of the wrong type, a missing field or an
unknown key is bad input, one line naming it, exit 2. A waiver that is well-formed but expired,
names an unknown control, or covers every resource of a control without saying `scope: all`
(or with scope all forbidden by the config) never hides anything: it turns into a failing
finding of its control, so the exception is visible and loud.

Addresses and environments match exactly, `*` (any run of characters) and `?` (one character)
being the only wildcards: `aws_s3_bucket.x["a"]` names that one for_each instance.
The same file drives checkov: a waiver may list checkov ids it also covers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from tapguard.controls.engine import FAIL, UNKNOWN, Finding
from tapguard.foundation import inputs
from tapguard.foundation.errors import TapguardError
from tapguard.foundation.safe_yaml import safe_yaml
from tapguard.foundation.schema import Table, expecting, one_line

MAX_WAIVER_BYTES = 4 * 1024 * 1024
REQUIRED = ("control", "address", "reason", "owner", "ticket", "expires")
WAIVER_CONTROL = "WAIVERS"
SCOPE_ALL = "all"
EVERY_ADDRESS_CHARS = frozenset("*?.")  # a glob of only these names no resource: it covers every one


def matches(value: str, glob: str) -> bool:
    """`value` equals `glob`, where `*` matches any run of characters and `?` one; nothing else is special.

    Two pointers, backtracking only to the last `*`: linear in practice and at worst len(value) * len(glob),
    whatever a hostile glob holds (a regex of many `*` can backtrack exponentially).
    """
    v = g = 0
    star, resume = -1, 0
    while v < len(value):
        if g < len(glob) and glob[g] == "*":
            star, resume = g, v
            g += 1
        elif g < len(glob) and (glob[g] == "?" or glob[g] == value[v]):
            v += 1
            g += 1
        elif star >= 0:
            resume += 1
            v, g = resume, star + 1
        else:
            return False
    while g < len(glob) and glob[g] == "*":
        g += 1
    return g == len(glob)


def covers_every_address(glob: str) -> bool:
    """True when the glob names no resource (`*`, `*.*`, `?*`): it matches every address of the control."""
    return "*" in glob and set(glob) <= EVERY_ADDRESS_CHARS


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise PydanticCustomError("expected", "{stamp} has a time of day; write a date (YYYY-MM-DD)", {"stamp": value.isoformat(sep=" ")})
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("expected", "{given} is not YYYY-MM-DD", {"given": repr(value[:40])}) from None
    return value


Text = Annotated[str, expecting("a string"), Field(min_length=1)]
Glob = Annotated[str, expecting("a string (an exact name; * and ? are the only wildcards)"), Field(min_length=1)]


class WaiverEntry(Table):
    """One waiver as written in waivers.yaml."""

    control: Text
    address: Glob
    reason: Text
    owner: Text
    ticket: Text
    expires: Annotated[dt.date, BeforeValidator(_date), expecting("a date (YYYY-MM-DD)")]
    environment: Glob = "*"
    scope: Annotated[Literal["all"], expecting("'all' (the waiver covers every resource of its control)")] | None = None
    checkov: Annotated[list[Annotated[str, expecting("a checkov check id")]], expecting("a list of checkov check ids")] = []

    @model_validator(mode="before")
    @classmethod
    def _all_missing_at_once(cls, data: Any) -> Any:
        if isinstance(data, dict):
            missing = [k for k in REQUIRED if data.get(k) is None or data.get(k) == ""]
            if missing:
                raise PydanticCustomError("expected", "missing {names}", {"names": ", ".join(missing)})
        return data


class WaiverFile(Table):
    waivers: list[WaiverEntry]


@dataclass
class Waiver:
    index: int
    control: str
    address: str
    reason: str
    owner: str
    ticket: str
    expires: dt.date
    environment: str = "*"
    checkov: list[str] = field(default_factory=list)
    used: int = 0
    scope: str | None = None  # "all": declared to cover every resource of the control

    def covers(self, finding: Finding) -> bool:
        return finding.control == self.control and matches(finding.address, self.address) and matches(finding.environment, self.environment)

    def as_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "address": self.address,
            "environment": self.environment,
            "scope": self.scope,
            "reason": self.reason,
            "owner": self.owner,
            "ticket": self.ticket,
            "expires": self.expires.isoformat(),
            "checkov": self.checkov,
            "used": self.used,
        }


@dataclass
class WaiverSet:
    source: Path | None
    valid: list[Waiver]
    problems: list[Finding]  # expired or unacceptable waivers, as failing findings

    def _in_match_order(self) -> list[Waiver]:
        # a waiver naming the resource claims a finding before a scope-all one: `hides` counts only what nothing else covers
        return sorted(self.valid, key=lambda w: w.scope == SCOPE_ALL)

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        ordered = self._in_match_order()
        out = []
        for f in findings:
            if f.status in (FAIL, UNKNOWN):
                for w in ordered:
                    if w.covers(f):
                        w.used += 1
                        f.waiver = w.as_dict()
                        break
            out.append(f)
        return out + list(self.problems)

    def checkov_waiver(self, check_id: str, address: str, environment: str) -> Waiver | None:
        for w in self._in_match_order():
            if check_id in w.checkov and matches(address, w.address) and matches(environment, w.environment):
                w.used += 1
                return w
        return None

    def scope_all(self) -> list[dict[str, Any]]:
        """The waivers that cover every resource of a control, each with `hides` (findings it waived), most first."""
        broad = [{**w.as_dict(), "hides": w.used} for w in self.valid if w.scope == SCOPE_ALL]
        return sorted(broad, key=lambda w: -int(w["hides"]))

    def report(self) -> dict[str, Any]:
        return {
            "source": str(self.source) if self.source else None,
            "used": [w.as_dict() for w in self.valid if w.used],
            "unused": [w.as_dict() for w in self.valid if not w.used],
            "scope_all": self.scope_all(),
            "invalid": [f.as_dict() for f in self.problems],
        }


def load(path: Path | None, known_controls: Iterable[str], today: dt.date | None = None, forbid_scope_all: bool = False) -> WaiverSet:
    """The waivers of `path` (none when it does not exist); `forbid_scope_all` turns every scope-all waiver into a problem."""
    if path is None or not (path.exists() or path.is_symlink()):
        return WaiverSet(source=path, valid=[], problems=[])
    today = today or dt.datetime.now(dt.UTC).date()
    raw = safe_yaml(inputs.read_text(path, str(path), MAX_WAIVER_BYTES), str(path)) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("waivers"), list):
        raise TapguardError(f"{path}: expected a top-level 'waivers:' list")
    try:
        entries = WaiverFile.model_validate(raw, context={"dialect": "yaml"}).waivers
    except ValidationError as exc:
        raise one_line(exc, str(path), "yaml") from None
    known = set(known_controls)
    valid: list[Waiver] = []
    problems: list[Finding] = []

    def problem(i: int, control: str, message: str) -> None:
        target = control if control in known else WAIVER_CONTROL
        problems.append(Finding(target, "*", f"{path.name}#waivers[{i}]", "waiver", FAIL, None, "a valid, unexpired waiver", message))

    for i, entry in enumerate(entries):
        control = entry.control
        if control not in known:
            problem(i, control, f"malformed waiver: unknown control {control!r}")
        elif entry.expires < today:
            problem(
                i,
                control,
                f"waiver EXPIRED on {entry.expires.isoformat()} (owner {entry.owner}, ticket {entry.ticket}): the control fails again",
            )
        elif covers_every_address(entry.address) and entry.scope != SCOPE_ALL:
            problem(
                i,
                control,
                f"waiver covers every resource of {control} (address {entry.address!r}) without `scope: all`: "
                "name the resources, or say `scope: all` so the report shows it first",
            )
        elif entry.scope == SCOPE_ALL and not covers_every_address(entry.address):
            problem(i, control, f"malformed waiver: `scope: all` is for address '*', not {entry.address!r}")
        elif entry.scope == SCOPE_ALL and forbid_scope_all:
            problem(i, control, f"waiver with `scope: all` for {control}: forbidden by forbid_scope_all in the config")
        else:
            valid.append(
                Waiver(
                    i,
                    control,
                    entry.address,
                    entry.reason,
                    entry.owner,
                    entry.ticket,
                    entry.expires,
                    entry.environment,
                    list(entry.checkov),
                    scope=entry.scope,
                )
            )
    return WaiverSet(source=path, valid=valid, problems=problems)
