"""The chain of bundles in one evidence directory.

Each manifest names the previous bundle of its directory and that bundle's manifest sha256
(`previous`), so the bundles form a hash chain in name (= time) order. `verify_chain` walks it:
a removed bundle breaks a link, a re-ordered one points backwards, a replaced one (or one whose
manifest was re-written) no longer has the recorded hash. With signed manifests, the links
themselves cannot be re-written without the key. Every manifest names its own directory, so a
bundle renamed to fill a gap fails, and no two bundles may carry the same run id. The newest
bundle has no successor: removing it is visible only against a record kept elsewhere, the
expected head (`expect_head`: the newest manifest's sha256, which CI attests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.evidence.bundle import sealed_bundles
from tapguard.evidence.verify import Verification, verify
from tapguard.foundation.digest import sha256
from tapguard.foundation.errors import TapguardError
from tapguard.foundation.inputs import MANIFEST


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


def verify_chain(base: Path, key: Any = None, expect_head: str | None = None) -> ChainReport:
    """Every bundle of `base`, the links between them, unique run ids, and (given) the newest manifest's expected sha256."""
    if base.is_symlink():
        raise TapguardError(f"--chain {base}: is a symlink; verify the real directory", 1)
    if not base.is_dir():
        raise TapguardError(f"--chain {base}: not a directory")
    report = ChainReport()
    for entry in sorted(base.iterdir()):
        if entry.is_symlink() or not entry.is_dir():
            report.problems.append(f"{entry.name}: not a bundle directory (a {'symlink' if entry.is_symlink() else 'file'} in the chain)")
        elif not (entry / MANIFEST).is_file():
            report.problems.append(f"{entry.name}: no {MANIFEST}; not a sealed bundle")
    bundles = sealed_bundles(base)
    if not bundles and report.problems:  # only symlinks or unsealed entries: tampered, not an empty store
        return report
    if not bundles:
        raise TapguardError(f"--chain {base}: no sealed bundle in it")
    names = [b.name for b in bundles]
    runs: dict[str, str] = {}
    for i, path in enumerate(bundles):
        try:
            result = verify(path, key)
        except TapguardError as exc:
            report.problems.append(str(exc))
            continue
        report.bundles.append(result)
        report.problems += [f"{path.name}: {line}" for line in result.lines()]
        run_id = result.manifest.get("run_id")
        if isinstance(run_id, str) and run_id in runs:
            report.problems.append(f"{path.name}: carries the run id of {runs[run_id]} (a copy of another run)")
        elif isinstance(run_id, str):
            runs[run_id] = path.name
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
    if expect_head is not None:
        report.problems += _head_problems(bundles, expect_head)
    return report


def _head_problems(bundles: list[Path], expected: str) -> list[str]:
    """The newest bundle must be the one whose manifest sha256 CI recorded: anything else means a cut (or forged) end."""
    hashes = [sha256(b / MANIFEST) for b in bundles]
    if hashes[-1] == expected:
        return []
    if expected in hashes:
        at = hashes.index(expected)
        newer = ", ".join(b.name for b in bundles[at + 1 :])
        return [f"expected head {expected[:16]}… is {bundles[at].name}, but newer bundles follow it that CI did not record: {newer}"]
    newest = f"{bundles[-1].name} (manifest sha256 {hashes[-1][:16]}…)"
    return [f"expected head {expected[:16]}… is not in the chain; the newest is {newest}: the newest bundles were removed or replaced"]
