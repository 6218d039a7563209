"""`tapguard evidence verify` of one bundle: every listed hash, the file and directory set, the entry kinds, the run
binding (the directory and run id the manifest names), and the signature when a key is given (signing.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.evidence import bundle, signing
from tapguard.evidence.bundle import UNLISTED, bundle_name, read_manifest
from tapguard.foundation.digest import sha256
from tapguard.foundation.inputs import MANIFEST


@dataclass
class Verification:
    path: Path
    changed: list[str]
    added: list[str]
    removed: list[str]
    unsafe: list[str]  # "name: why" for entries that are not plain files of the bundle
    checked: int
    manifest: dict[str, Any]
    manifest_sha256: str
    signature: str = "unsigned"  # unsigned | valid | not checked | invalid
    signature_detail: str = ""
    problems: list[str] = field(default_factory=list)  # the manifest does not bind to what was found (name, run id, expected hash)

    @property
    def intact(self) -> bool:
        return not (self.changed or self.added or self.removed or self.unsafe or self.problems)

    @property
    def ok(self) -> bool:
        return self.intact and self.signature != "invalid"

    def lines(self) -> list[str]:
        """One line per problem, as the CLI prints them."""
        out = [f"changed {n}" for n in self.changed] + [f"added {n}" for n in self.added] + [f"removed {n}" for n in self.removed]
        out += [f"unsafe {n}" for n in self.unsafe] + self.problems
        if self.signature == "invalid":
            out.append(f"signature invalid: {self.signature_detail}")
        return out


def _outside(name: str) -> bool:
    """A listed name the bundle may not hold: absolute, climbing out, not in normal form (`./x`, `a//b`), or the manifest itself."""
    path = Path(name)
    return not name or str(path) in (".", "") or str(path) != name or path.is_absolute() or ".." in path.parts or name in UNLISTED


def _binding(path: Path, manifest: dict[str, Any]) -> list[str]:
    """Where the manifest's own statements about the run disagree with what lies on disk."""
    problems = []
    named, here = manifest.get("bundle"), bundle_name(path)
    if not isinstance(named, str):
        problems.append(f"{MANIFEST} names no bundle directory (sealed before tapguard.manifest/3, or altered): the run is not bound")
    elif named != here:
        problems.append(f"{MANIFEST} was sealed for bundle {named!r} but lies in {here!r} (renamed, or contents of another run)")
    run_id = manifest.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        problems.append(f"{MANIFEST} carries no run id")
    return problems


def verify(path: Path, public_key: Any = None, expect_sha256: str | None = None) -> Verification:
    """Every listed hash, the file and directory set, the entry kinds, the run binding; the signature when a key is given."""
    manifest, raw = read_manifest(path)
    listed: dict[str, str] = {str(k): str(v) for k, v in manifest["files"].items()}
    entries = bundle.entries(path)
    regular = entries.regular
    unsafe = list(entries.unsafe)
    unsafe += [f"{name}: a manifest.json below the bundle root" for name in regular if Path(name).name == MANIFEST and name != MANIFEST]
    unsafe += [f"{name}: listed in the manifest but not a file the bundle may hold" for name in listed if _outside(name)]
    present = {n for n in regular if n not in UNLISTED}
    safe_listed = {n for n in listed if not _outside(n)}
    changed = sorted(n for n in safe_listed if n in present and sha256(path / n) != listed[n])
    removed = sorted(safe_listed - present - {u.split(":")[0] for u in unsafe})
    holding = {str(parent) for name in safe_listed for parent in Path(name).parents if str(parent) != "."}
    # a directory no listed file lies in (an empty one too) is as foreign as an added file
    added = sorted(present - safe_listed) + [f"{d}/ (directory)" for d in entries.directories if d not in holding]
    result = Verification(path, changed, added, removed, sorted(set(unsafe)), len(listed), manifest, signing.digest(raw))
    result.problems = _binding(path, manifest)
    if expect_sha256 is not None and result.manifest_sha256 != expect_sha256:
        result.problems.append(f"{MANIFEST} sha256 {result.manifest_sha256[:16]}… is not the expected {expect_sha256[:16]}…")
    result.signature, result.signature_detail = signing.check(path, manifest, raw, public_key)
    return result
