"""A baseline: the failures a team takes over as existing debt, so that only new ones gate (`--create-baseline`, `--baseline`).

A failure's fingerprint is environment + control + address + attribute (a checkov failure that gates by itself:
its scope + check id + resource). With a baseline, a failure whose fingerprint is listed does not change the exit
code; every other one does. An entry that no longer fails is `fixed` when its environment was checked and the
control still judges that address, and `stale` when the address, control or environment is gone: both are
reported, so the file can shrink. The verdict in the evidence stays the truth (FAIL); only the gate changes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from tapguard.controls.assessment import Assessment
from tapguard.controls.engine import FAIL, UNKNOWN
from tapguard.foundation import inputs
from tapguard.foundation.errors import TapguardError
from tapguard.foundation.schema import Table, expecting, one_line

FORMAT = "tapguard.baseline/1"
MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRIES = 200_000
Fingerprint = tuple[str, str, str, str]  # environment, control, address, attribute

Text = Annotated[str, expecting("a string"), Field(max_length=4096)]


class Entry(Table):
    """One accepted failure."""

    environment: Annotated[str, expecting("an environment name"), Field(min_length=1, max_length=256)]
    control: Annotated[str, expecting("a control id or a checkov id"), Field(min_length=1, max_length=128)]
    address: Annotated[str, expecting("a resource address"), Field(min_length=1, max_length=4096)]
    attribute: Text = ""


class BaselineFile(Table):
    """The file `--create-baseline` writes and `--baseline` reads (JSON)."""

    format: Annotated[Literal["tapguard.baseline/1"], expecting(f"{FORMAT!r}")]
    created: Text = ""
    entries: Annotated[list[Entry], expecting("a list of entries"), Field(max_length=MAX_ENTRIES)]

    def fingerprints(self) -> list[Fingerprint]:
        return [(e.environment, e.control, e.address, e.attribute) for e in self.entries]


def failing(run: Assessment) -> list[Fingerprint]:
    """The fingerprints of every failure a baseline can hold, in report order, each once."""
    found: list[Fingerprint] = []
    for env in run.environments:
        for f in env.findings:
            if f.status in (FAIL, UNKNOWN) and not f.waiver:
                found.append((f.environment, f.control, f.address, f.attribute))
    for scope, item in run.checkov_gate:
        if item.get("status") == "failed":  # an error (checkov crashed) is never debt to accept
            found.append((scope, str(item.get("check_id")), str(item.get("resource") or ""), ""))
    return list(dict.fromkeys(found))


def render(run: Assessment) -> str:
    entries = [dict(zip(("environment", "control", "address", "attribute"), fp, strict=True)) for fp in failing(run)]
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return json.dumps({"format": FORMAT, "created": created, "entries": entries}, indent=2, ensure_ascii=False) + "\n"


def writable(path: Path) -> None:
    """--create-baseline names a file in an existing directory (checked before minutes of planning)."""
    label = f"--create-baseline {path}"
    if path.name in ("", ".", ".."):
        raise TapguardError(f"{label}: name a file, not a directory")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise TapguardError(f"{label}: {directory} is not a directory")
    if path.is_dir():
        raise TapguardError(f"{label}: is a directory; name a file")
    if path.is_symlink():
        raise TapguardError(f"{label}: is a symlink; tapguard never writes through one")


def write(path: Path, run: Assessment) -> tuple[Path, int]:
    """Write the baseline of `run` to `path` (atomically, never through a symlink); returns it and its entry count."""
    text = render(run)
    label = f"--create-baseline {path}"
    writable(path)
    written = inputs.write_file(path.parent, path.name, text, label)
    return written, len(json.loads(text)["entries"])


def load(path: Path) -> BaselineFile:
    """A baseline file, validated; one line naming the field for anything else."""
    label = f"--baseline {path}"
    text = inputs.read_text(path, label, MAX_BYTES)
    try:
        data = json.loads(text, parse_constant=_refuse)
    except ValueError as exc:
        raise TapguardError(f"{label}: not JSON ({str(exc).splitlines()[0][:80]})") from None
    except RecursionError:
        raise TapguardError(f"{label}: nested too deeply; not a baseline") from None
    if not isinstance(data, dict):
        raise TapguardError(f"{label}: expected an object with format {FORMAT!r} and entries (written by --create-baseline)")
    try:
        return BaselineFile.model_validate(data, context={"dialect": "json"})
    except ValidationError as exc:
        raise one_line(exc, label) from None


def _refuse(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


@dataclass(frozen=True)
class Comparison:
    """This run against a baseline."""

    new: tuple[Fingerprint, ...]  # failing now, not in the baseline: these gate
    known: tuple[Fingerprint, ...]  # failing now and accepted by the baseline
    fixed: tuple[Fingerprint, ...]  # in the baseline, judged now and no longer failing
    stale: tuple[Fingerprint, ...]  # in the baseline, but its environment was checked and its control or address is gone

    def lines(self) -> list[str]:
        out = [f"baseline: {len(self.new)} new failure(s), {len(self.known)} known, {len(self.fixed)} fixed, {len(self.stale)} stale"]
        out += [f"fixed (remove from the baseline): {describe(fp)}" for fp in self.fixed]
        out += [f"stale (no longer in the plan): {describe(fp)}" for fp in self.stale]
        return out


def describe(fp: Fingerprint) -> str:
    environment, control, address, attribute = fp
    return f"[{environment}] {control} {address} {attribute}".rstrip()


def compare(baseline: BaselineFile, run: Assessment) -> Comparison:
    now = failing(run)
    accepted = set(baseline.fingerprints())
    current = set(now)
    judged: dict[str, set[tuple[str, str]]] = {
        env.name: {(f.control, f.address) for f in env.findings if f.control not in run.skipped} for env in run.environments
    }
    scopes = {scan.scope for scan in run.checkov if scan.available and not scan.error}
    fixed: list[Fingerprint] = []
    stale: list[Fingerprint] = []
    for fp in dict.fromkeys(baseline.fingerprints()):
        environment, control, address, _ = fp
        if fp in current or control in run.skipped:
            continue
        if environment in judged:
            (fixed if control in run.catalogue and (control, address) in judged[environment] else stale).append(fp)
        elif environment in scopes:
            fixed.append(fp)  # checkov scanned that scope again and no longer fails it
        # an environment not checked in this run says nothing about its entries
    return Comparison(
        new=tuple(fp for fp in now if fp not in accepted),
        known=tuple(fp for fp in now if fp in accepted),
        fixed=tuple(fixed),
        stale=tuple(stale),
    )
