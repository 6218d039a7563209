"""Waivers: an accepted, owned, expiring exception to a control for matching addresses.

Every field is required. A waiver that is expired or malformed never hides anything:
it turns into a failing finding of its control, so the exception is visible and loud.
The same file drives checkov: a waiver may list checkov ids it also covers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tapguard import inputs
from tapguard.controls.engine import FAIL, UNKNOWN, Finding, matches
from tapguard.errors import TapguardError

MAX_WAIVER_BYTES = 4 * 1024 * 1024
MAX_ALIASES = 40  # a waiver file needs few anchors; thousands are an entity-expansion ("billion laughs") attack
MAX_YAML_DEPTH = 64
REQUIRED = ("control", "address", "reason", "owner", "ticket", "expires")
WAIVER_CONTROL = "WAIVERS"


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

    def covers(self, finding: Finding) -> bool:
        return finding.control == self.control and matches(finding.address, self.address) and matches(finding.environment, self.environment)

    def as_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "address": self.address,
            "environment": self.environment,
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
    problems: list[Finding]  # expired or malformed waivers, as failing findings

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        out = []
        for f in findings:
            if f.status in (FAIL, UNKNOWN):
                for w in self.valid:
                    if w.covers(f):
                        w.used += 1
                        f.waiver = w.as_dict()
                        break
            out.append(f)
        return out + list(self.problems)

    def checkov_waiver(self, check_id: str, address: str, environment: str) -> Waiver | None:
        for w in self.valid:
            if check_id in w.checkov and matches(address, w.address) and matches(environment, w.environment):
                w.used += 1
                return w
        return None

    def report(self) -> dict[str, Any]:
        return {
            "source": str(self.source) if self.source else None,
            "used": [w.as_dict() for w in self.valid if w.used],
            "unused": [w.as_dict() for w in self.valid if not w.used],
            "invalid": [f.as_dict() for f in self.problems],
        }


def load(path: Path | None, known_controls: Iterable[str], today: dt.date | None = None) -> WaiverSet:
    if path is None or not (path.exists() or path.is_symlink()):
        return WaiverSet(source=path, valid=[], problems=[])
    today = today or dt.datetime.now(dt.UTC).date()
    raw = safe_yaml(inputs.read_text(path, str(path), MAX_WAIVER_BYTES), str(path)) or {}
    entries = raw.get("waivers") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise TapguardError(f"{path}: expected a top-level 'waivers:' list")
    known = set(known_controls)
    valid: list[Waiver] = []
    problems: list[Finding] = []

    def problem(i: int, control: str, message: str) -> None:
        target = control if control in known else WAIVER_CONTROL
        problems.append(Finding(target, "*", f"{path.name}#waivers[{i}]", "waiver", FAIL, None, "a valid, unexpired waiver", message))

    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problem(i, "", "waiver is not a mapping")
            continue
        control = str(entry.get("control", ""))
        missing = [k for k in REQUIRED if not entry.get(k)]
        if missing:
            problem(i, control, f"malformed waiver: missing {', '.join(missing)}")
            continue
        if control not in known:
            problem(i, control, f"malformed waiver: unknown control {control!r}")
            continue
        expires = entry["expires"]
        if isinstance(expires, dt.datetime):
            problem(i, control, f"malformed waiver: expires {expires.isoformat(sep=' ')} has a time of day; write a date (YYYY-MM-DD)")
            continue
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                problem(i, control, f"malformed waiver: expires {entry['expires']!r} is not YYYY-MM-DD")
                continue
        if not isinstance(expires, dt.date):
            problem(i, control, "malformed waiver: expires is not a date")
            continue
        if expires < today:
            problem(
                i,
                control,
                f"waiver EXPIRED on {expires.isoformat()} (owner {entry['owner']}, ticket {entry['ticket']}): the control fails again",
            )
            continue
        checkov = entry.get("checkov") or []
        if not isinstance(checkov, list) or not all(isinstance(c, str) for c in checkov):
            problem(i, control, "malformed waiver: checkov must be a list of check ids")
            continue
        valid.append(
            Waiver(
                i,
                control,
                str(entry["address"]),
                str(entry["reason"]),
                str(entry["owner"]),
                str(entry["ticket"]),
                expires,
                str(entry.get("environment", "*")),
                checkov,
            )
        )
    return WaiverSet(source=path, valid=valid, problems=problems)


class _LimitedLoader(yaml.SafeLoader):
    """The safe loader, refusing alias floods and deep nesting before anything is constructed."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _YamlLimit(f"more than {MAX_ALIASES} aliases (an entity-expansion attack?)")
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise _YamlLimit(f"nested more than {MAX_YAML_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _YamlLimit(Exception):
    pass


def safe_yaml(text: str, name: str) -> Any:
    """yaml.safe_load with limits; every problem is one line naming the file."""
    loader = _LimitedLoader(text)
    try:
        return loader.get_single_data()
    except _YamlLimit as exc:
        raise TapguardError(f"{name}: refused: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TapguardError(f"{name}: not valid YAML{where} ({problem})") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # constructors: bad timestamps, huge ints
        raise TapguardError(f"{name}: unreadable YAML value ({type(exc).__name__}: {str(exc)[:80]})") from None
    finally:
        loader.dispose()
