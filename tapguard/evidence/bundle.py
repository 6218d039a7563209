"""The evidence bundle: a directory an assessor can read and verify.

evidence/<UTC timestamp>-<git sha>/ holds the reports and a manifest.json listing the
sha256 of every other file, the bundle's own directory name, a run id (uuid4, one per run),
the git sha, the plan hashes and the manifest hash of the previous bundle in the same
evidence directory (chain.py). manifest.dsse.json, when present, is an Ed25519 signature of
the manifest (signing.py). `tapguard evidence verify` recomputes every hash, checks that the
manifest names the directory it lies in, and refuses anything that is not a plain, singly
linked file or a directory of the bundle. Files are written atomically, never through a
symlink (inputs.atomic_writer); a bundle directory that already exists is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import stat
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.evidence.paths import check_segment, inside
from tapguard.foundation import inputs
from tapguard.foundation.digest import sha256
from tapguard.foundation.errors import TapguardError
from tapguard.foundation.inputs import MANIFEST, SIGNATURE

FORMAT = "tapguard.manifest/3"  # /3: the manifest names its bundle directory and run id
UNLISTED = frozenset({MANIFEST, SIGNATURE})  # root files the manifest cannot list: itself and its signature


def dump_json(data: Any, compact: bool = False) -> str:
    """JSON as tapguard writes it everywhere: strict numbers (no NaN), indented unless compact, one final newline."""
    layout: dict[str, Any] = {"separators": (",", ":")} if compact else {"indent": 2}
    return json.dumps(data, default=str, allow_nan=False, **layout) + "\n"


@dataclass
class EvidenceBundle:
    path: Path
    secrets: tuple[str, ...] = ()  # values that must never appear in any file
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # one per run: two bundles never share it

    @classmethod
    def create(cls, base: Path, sha: str, when: dt.datetime | None = None, secrets: tuple[str, ...] = ()) -> EvidenceBundle:
        check_segment(sha, "bundle name")
        stamp = (when or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
        inputs.refuse_sealed(base, "--out")
        if base.is_symlink():
            raise TapguardError(f"--out {base}: is a symlink; give the real directory (tapguard does not write through symlinks)")
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
        with inputs.atomic_writer(target.parent, target.name, f"bundle file {name}") as handle:
            handle.write(text.encode("utf-8"))
        return target

    def write_json(self, name: str, data: Any, compact: bool = False) -> Path:
        return self.write_text(name, dump_json(data, compact))

    def copy_in(self, name: str, source: Path) -> Path:
        return self.write_text(name, source.read_text(encoding="utf-8"))

    def copy_in_gzip(self, name: str, source: Path) -> Path:
        """A large file (a plan) as name.gz: streamed, never whole in memory; secrets checked chunk by chunk (with overlap)."""
        target = self._target(name + ".gz")
        overlap = max((len(s) for s in self.secrets), default=0)
        tail = ""
        # mtime=0 and no file name: the same plan always gives the same bytes (and hash)
        with (
            source.open(encoding="utf-8") as src,
            inputs.atomic_writer(target.parent, target.name, f"bundle file {name}.gz") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out,
        ):
            for chunk in iter(lambda: src.read(1 << 20), ""):
                self._guard(name, tail + chunk)
                tail = chunk[-overlap:] if overlap else ""
                out.write(chunk.encode("utf-8"))
        return target

    def seal(self, meta: dict[str, Any]) -> Path:

        files = {name: sha256(self.path / name) for name in entries(self.path).regular if name not in UNLISTED}
        # what a verifier binds the run to: the directory it was sealed in and the run's id (signing.py signs them again)
        bound = {"bundle": bundle_name(self.path), "run_id": self.run_id, "previous": previous_link(self.path)}
        return self.write_json(MANIFEST, {"format": FORMAT, **meta, **bound, "files": files})


def bundle_name(path: Path) -> str:
    """The name of the bundle directory as given (`.` or `x/..` resolved lexically, a symlink not followed)."""
    return Path(os.path.abspath(path)).name


@dataclass
class Entries:
    """What a bundle directory holds, walked without following any symlink."""

    regular: list[str] = field(default_factory=list)  # plain files with one link
    directories: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)  # "name: why" for everything else


def entries(path: Path) -> Entries:
    """Every entry under path, relative, sorted."""
    found = Entries()

    def unreadable(exc: OSError) -> None:
        name = Path(exc.filename).relative_to(path) if exc.filename and Path(exc.filename).is_relative_to(path) else exc.filename
        found.unsafe.append(f"{name}: unreadable ({exc.strerror})")

    for folder, dirs, files in os.walk(path, followlinks=False, onerror=unreadable):
        rel = Path(folder).relative_to(path)
        for name in list(dirs):
            if (Path(folder) / name).is_symlink():
                found.unsafe.append(f"{rel / name}: symlink")
                dirs.remove(name)
            else:
                found.directories.append(str(rel / name))
        for name in files:
            info = os.lstat(Path(folder) / name)
            if not stat.S_ISREG(info.st_mode):
                found.unsafe.append(f"{rel / name}: {entry_kind(Path(folder) / name)}")
            elif info.st_nlink > 1:  # the same inode elsewhere: whoever holds the other name can change this file's bytes
                found.unsafe.append(f"{rel / name}: hard link ({info.st_nlink} links)")
            else:
                found.regular.append(str(rel / name))
    found.regular.sort()
    found.directories.sort()
    found.unsafe.sort()
    return found


def read_manifest(path: Path) -> tuple[dict[str, Any], bytes]:
    if path.is_symlink():
        # exit 1: what is verified must be the directory itself, not whatever a link points to today
        raise TapguardError(f"{path}: the bundle directory is a symlink (to {os.readlink(path)}); verify the real directory", 1)
    if not path.is_dir():
        raise TapguardError(f"{path}: not an evidence bundle directory")
    manifest_path = path / MANIFEST
    if manifest_path.is_symlink() or (manifest_path.exists() and not manifest_path.is_file()):
        raise TapguardError(f"{manifest_path}: {entry_kind(manifest_path)}, not a manifest file", 1)
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


def entry_kind(path: Path) -> str:
    mode = os.lstat(path).st_mode
    for test, label in ((stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "device")):
        if test(mode):
            return label
    return "device" if stat.S_ISBLK(mode) else "not a regular file"


def sealed_bundles(base: Path) -> list[Path]:
    """The sealed bundles of an evidence directory, oldest first (their names start with the UTC time they were made)."""
    return sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink() and (p / MANIFEST).is_file())


def previous_link(bundle: Path) -> dict[str, str] | None:
    """{bundle, manifest_sha256} of the newest other sealed bundle beside `bundle`, or None for the first."""
    others = [p for p in sealed_bundles(bundle.parent) if p.name != bundle.name and not (p / MANIFEST).is_symlink()]
    if not others:
        return None
    last = others[-1]
    return {"bundle": last.name, "manifest_sha256": sha256(last / MANIFEST)}
