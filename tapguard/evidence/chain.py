"""The chain of bundles in one evidence directory.

Each manifest names the previous bundle of its directory and that bundle's manifest sha256
(`previous`), so the bundles form a hash chain in name (= time) order. `verify_chain` walks it:
a removed bundle breaks a link, a re-ordered one points backwards, a replaced one (or one whose
manifest was re-written) no longer has the recorded hash. With signed manifests, the links
themselves cannot be re-written without the key. The newest bundle has no successor: removing
it is visible only against a record kept elsewhere (the CI artifact and its attestation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.errors import TapguardError
from tapguard.evidence.bundle import MANIFEST, Verification, verify
from tapguard.evidence.digest import sha256


def _sealed(base: Path) -> list[Path]:
    return sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink() and (p / MANIFEST).is_file())


def previous_link(bundle: Path) -> dict[str, str] | None:
    """{bundle, manifest_sha256} of the newest other sealed bundle beside `bundle`, or None for the first."""
    others = [p for p in _sealed(bundle.parent) if p.name != bundle.name and not (p / MANIFEST).is_symlink()]
    if not others:
        return None
    last = others[-1]
    return {"bundle": last.name, "manifest_sha256": sha256(last / MANIFEST)}


@dataclass
class ChainReport:
    bundles: list[Verification] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def signed(self) -> bool:
        return bool(self.bundles) and all(b.signature == "valid" for b in self.bundles)


def verify_chain(base: Path, key: Any = None) -> ChainReport:
    if not base.is_dir():
        raise TapguardError(f"--chain {base}: not a directory")
    report = ChainReport()
    for entry in sorted(base.iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            report.problems.append(f"{entry.name}: not a bundle directory (a {'symlink' if entry.is_symlink() else 'file'} in the chain)")
        elif not (entry / MANIFEST).is_file():
            report.problems.append(f"{entry.name}: no {MANIFEST}; not a sealed bundle")
    bundles = _sealed(base)
    if not bundles:
        raise TapguardError(f"--chain {base}: no sealed bundle in it")
    names = [b.name for b in bundles]
    for i, path in enumerate(bundles):
        try:
            result = verify(path, key)
        except TapguardError as exc:
            report.problems.append(str(exc))
            continue
        report.bundles.append(result)
        report.problems += [f"{path.name}: {line}" for line in result.lines()]
        link = result.manifest.get("previous")
        before = bundles[i - 1] if i else None
        if not isinstance(link, dict):
            if link is not None:
                report.problems.append(f"{path.name}: manifest 'previous' is not a link")
            elif before is not None:
                cut = f"{path.name}: names no previous bundle although {before.name} precedes it"
                report.problems.append(f"{cut} (replaced, or the chain was cut)")
            continue
        name, recorded = str(link.get("bundle")), str(link.get("manifest_sha256"))
        if before is not None and name == before.name:
            if sha256(before / MANIFEST) != recorded:
                recorded_by = f"{path.name} recorded manifest sha256 {recorded[:16]}…"
                report.problems.append(f"{before.name}: replaced or its manifest re-written ({recorded_by})")
        elif name in names:
            after = before.name if before else "nothing"
            report.problems.append(f"{path.name}: names {name} as previous, but it sorts after {after} (re-ordered)")
        else:
            where = f"between {before.name} and {path.name}" if before else f"before {path.name}"
            report.problems.append(f"{name}: removed ({where}; manifest sha256 {recorded[:16]}…)")
    return report
