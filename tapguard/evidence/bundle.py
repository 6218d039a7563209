"""The evidence bundle: a directory an assessor can read and verify.

evidence/<UTC timestamp>-<git sha>/ holds the reports and a manifest.json listing the
sha256 of every other file. `tapguard evidence verify DIR` recomputes them and reports
any file changed, added or removed. Files are written atomically; a bundle directory
that already exists is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tapguard.errors import TapguardError
from tapguard.evidence.digest import sha256

MANIFEST = "manifest.json"


@dataclass
class EvidenceBundle:
    path: Path
    secrets: tuple[str, ...] = ()  # values that must never appear in any file

    @classmethod
    def create(cls, base: Path, sha: str, when: dt.datetime | None = None, secrets: tuple[str, ...] = ()) -> EvidenceBundle:
        stamp = (when or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
        path = base / f"{stamp}-{sha}"
        suffix = 1
        while path.exists():
            suffix += 1
            path = base / f"{stamp}-{sha}-{suffix}"
        path.mkdir(parents=True)
        return cls(path=path, secrets=secrets)

    def write_text(self, name: str, text: str) -> Path:
        for secret in self.secrets:
            if secret and secret in text:
                raise TapguardError(f"refusing to write {name}: it would contain a secret value (redaction failed upstream)")
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        return target

    def write_json(self, name: str, data: Any) -> Path:
        return self.write_text(name, json.dumps(data, indent=2, default=str) + "\n")

    def copy_in(self, name: str, source: Path) -> Path:
        return self.write_text(name, source.read_text(encoding="utf-8"))

    def seal(self, meta: dict[str, Any]) -> Path:
        files = {str(p.relative_to(self.path)): sha256(p) for p in sorted(self.path.rglob("*")) if p.is_file() and p.name != MANIFEST}
        return self.write_json(MANIFEST, {"format": "tapguard.manifest/1", **meta, "files": files})


@dataclass
class Verification:
    ok: bool
    changed: list[str]
    added: list[str]
    removed: list[str]
    checked: int


def verify(path: Path) -> Verification:
    manifest_path = path / MANIFEST
    if not path.is_dir():
        raise TapguardError(f"{path}: not an evidence bundle directory")
    if not manifest_path.is_file():
        raise TapguardError(f"{path}: no {MANIFEST}; not a sealed evidence bundle")
    try:
        manifest = json.loads(manifest_path.read_text())
        listed: dict[str, str] = dict(manifest["files"])
    except (ValueError, KeyError, TypeError):
        raise TapguardError(f"{manifest_path}: unreadable manifest (it was altered or truncated)") from None
    present = {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file() and p.name != MANIFEST}
    changed = sorted(n for n in listed if n in present and sha256(path / n) != listed[n])
    removed = sorted(set(listed) - present)
    added = sorted(present - set(listed))
    return Verification(not (changed or removed or added), changed, added, removed, len(listed))
