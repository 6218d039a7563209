"""The evidence bundle: a directory an assessor can read and verify.

evidence/<UTC timestamp>-<git sha>/ holds the reports and a manifest.json listing the
sha256 of every other file, the git sha, the plan hashes and the manifest hash of the
previous bundle in the same evidence directory (chain.py). manifest.dsse.json, when
present, is an Ed25519 signature of the manifest (signing.py). `tapguard evidence verify`
recomputes every hash and refuses anything that is not a plain file of the bundle.
Files are written atomically; a bundle directory that already exists is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.errors import TapguardError
from tapguard.evidence.digest import sha256
from tapguard.evidence.paths import check_segment, inside

MANIFEST = "manifest.json"
SIGNATURE = "manifest.dsse.json"
FORMAT = "tapguard.manifest/2"
UNLISTED = frozenset({MANIFEST, SIGNATURE})  # root files the manifest cannot list: itself and its signature


@dataclass
class EvidenceBundle:
    path: Path
    secrets: tuple[str, ...] = ()  # values that must never appear in any file

    @classmethod
    def create(cls, base: Path, sha: str, when: dt.datetime | None = None, secrets: tuple[str, ...] = ()) -> EvidenceBundle:
        check_segment(sha, "bundle name")
        stamp = (when or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
        if base.exists() and not base.is_dir():
            raise TapguardError(f"--out {base}: exists and is not a directory")
        path = base / f"{stamp}-{sha}"
        suffix = 1
        while path.exists() or path.is_symlink():
            suffix += 1
            path = base / f"{stamp}-{sha}-{suffix}"
        path.mkdir(parents=True)
        return cls(path=path, secrets=secrets)

    def _target(self, name: str) -> Path:
        target = inside(self.path, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        inside(self.path, name)  # again: a parent created above must not be a symlink out
        return target

    def _guard(self, name: str, text: str) -> None:
        for secret in self.secrets:
            if secret and secret in text:
                raise TapguardError(f"refusing to write {name}: it would contain a secret value (redaction failed upstream)")

    def write_text(self, name: str, text: str) -> Path:
        self._guard(name, text)
        target = self._target(name)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        return target

    def write_json(self, name: str, data: Any, compact: bool = False) -> Path:
        layout: dict[str, Any] = {"separators": (",", ":")} if compact else {"indent": 2}
        return self.write_text(name, json.dumps(data, default=str, allow_nan=False, **layout) + "\n")

    def copy_in(self, name: str, source: Path) -> Path:
        return self.write_text(name, source.read_text(encoding="utf-8"))

    def copy_in_gzip(self, name: str, source: Path) -> Path:
        """A large file (a plan) as name.gz: streamed, never whole in memory; secrets checked chunk by chunk (with overlap)."""
        target = self._target(name + ".gz")
        tmp = target.with_name(f".{target.name}.tmp")
        overlap = max((len(s) for s in self.secrets), default=0)
        tail = ""
        # mtime=0 and no file name: the same plan always gives the same bytes (and hash)
        with (
            source.open(encoding="utf-8") as src,
            tmp.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out,
        ):
            for chunk in iter(lambda: src.read(1 << 20), ""):
                self._guard(name, tail + chunk)
                tail = chunk[-overlap:] if overlap else ""
                out.write(chunk.encode("utf-8"))
        os.replace(tmp, target)
        return target

    def seal(self, meta: dict[str, Any]) -> Path:
        from tapguard.evidence.chain import previous_link

        files = {name: sha256(self.path / name) for name in _regular_files(self.path)[0] if name not in UNLISTED}
        return self.write_json(MANIFEST, {"format": FORMAT, **meta, "previous": previous_link(self.path), "files": files})


def _regular_files(path: Path) -> tuple[list[str], list[str]]:
    """(regular files, other entries) under path, relative, without following any symlink."""
    regular: list[str] = []
    other: list[str] = []
    for folder, dirs, files in os.walk(path, followlinks=False):
        rel = Path(folder).relative_to(path)
        for name in list(dirs):
            if (Path(folder) / name).is_symlink():
                other.append(str(rel / name))
                dirs.remove(name)
        for name in files:
            mode = os.lstat(Path(folder) / name).st_mode
            (regular if stat.S_ISREG(mode) else other).append(str(rel / name))
    return sorted(regular), sorted(other)


def _kind(path: Path) -> str:
    mode = os.lstat(path).st_mode
    for test, label in ((stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "device")):
        if test(mode):
            return label
    return "device" if stat.S_ISBLK(mode) else "not a regular file"


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
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.changed or self.added or self.removed or self.unsafe)

    @property
    def ok(self) -> bool:
        return self.intact and self.signature != "invalid"

    def lines(self) -> list[str]:
        """One line per problem, as the CLI prints them."""
        out = [f"changed {n}" for n in self.changed] + [f"added {n}" for n in self.added] + [f"removed {n}" for n in self.removed]
        out += [f"unsafe {n}" for n in self.unsafe]
        if self.signature == "invalid":
            out.append(f"signature invalid: {self.signature_detail}")
        return out


def read_manifest(path: Path) -> tuple[dict[str, Any], bytes]:
    if not path.is_dir():
        raise TapguardError(f"{path}: not an evidence bundle directory")
    manifest_path = path / MANIFEST
    if manifest_path.is_symlink() or (manifest_path.exists() and not manifest_path.is_file()):
        raise TapguardError(f"{manifest_path}: {_kind(manifest_path)}, not a manifest file")
    if not manifest_path.is_file():
        raise TapguardError(f"{path}: no {MANIFEST}; not a sealed evidence bundle")
    raw = manifest_path.read_bytes()
    try:
        manifest = json.loads(raw)
        if not isinstance(manifest, dict) or not isinstance(manifest["files"], dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, RecursionError):
        raise TapguardError(f"{manifest_path}: unreadable manifest (it was altered or truncated)") from None
    return manifest, raw


def verify(path: Path, public_key: Any = None) -> Verification:
    """Every listed hash, the file set, the entry kinds; the signature when a key is given (signing.public_key)."""
    from tapguard.evidence import signing

    manifest, raw = read_manifest(path)
    listed: dict[str, str] = {str(k): str(v) for k, v in manifest["files"].items()}
    regular, other = _regular_files(path)
    unsafe = [f"{name}: {_kind(path / name)}" for name in other]
    unsafe += [f"{name}: a manifest.json below the bundle root" for name in regular if Path(name).name == MANIFEST and name != MANIFEST]
    for name in listed:
        if Path(name).is_absolute() or ".." in Path(name).parts or name in UNLISTED:
            unsafe.append(f"{name}: listed in the manifest but not a file the bundle may hold")
    present = {n for n in regular if n not in UNLISTED}
    safe_listed = {n for n in listed if not (Path(n).is_absolute() or ".." in Path(n).parts or n in UNLISTED)}
    changed = sorted(n for n in safe_listed if n in present and sha256(path / n) != listed[n])
    removed = sorted(safe_listed - present - {u.split(":")[0] for u in unsafe})
    added = sorted(present - safe_listed)
    result = Verification(path, changed, added, removed, sorted(set(unsafe)), len(listed), manifest, signing.digest(raw))
    signing.check(result, raw, public_key)
    return result
