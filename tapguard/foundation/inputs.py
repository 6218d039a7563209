"""Files a user names: reading them (the true reason when one cannot be read) and writing only where asked.

"no such file" is only said when there is no such file: a directory, a FIFO, a device, a symlink
loop, an unreadable or an oversized file each get their own one-line error.

Writing: a file is written as a new temporary file created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) in a
directory opened without following a symlink, then renamed over its name, so a planted symlink is never
written through; an existing symlink or special file at the name is refused. Nothing is written into a
sealed evidence bundle (a directory holding a tapguard manifest.json) or below one.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from tapguard.foundation.errors import TapguardError

MAX_INPUT_BYTES = 512 * 1024 * 1024  # a 171k-resource plan is 200 MB; past this it is not a plan we can hold


def regular_file(path: Path, label: str, max_bytes: int = MAX_INPUT_BYTES, expected: str = "a file") -> os.stat_result:
    """stat() of a readable regular file, or a TapguardError naming what the path really is."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise TapguardError(f"{label}: dangling symlink (points to {os.readlink(path)})") from None
        raise TapguardError(f"{label}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise TapguardError(f"{label}: symlink loop") from None
        raise TapguardError(f"{label}: cannot read ({exc.strerror})") from None
    mode = info.st_mode
    kind = None
    if stat.S_ISDIR(mode):
        kind = "is a directory"
    elif stat.S_ISFIFO(mode):
        kind = "is a FIFO (named pipe)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "is a device"
    elif stat.S_ISSOCK(mode):
        kind = "is a socket"
    elif not stat.S_ISREG(mode):
        kind = "is not a regular file"
    if kind:
        raise TapguardError(f"{label}: {kind}, not {expected}")
    if info.st_size > max_bytes:
        raise TapguardError(f"{label}: {info.st_size:,} bytes is larger than the {max_bytes:,} bytes tapguard reads")
    return info


def read_bytes(path: Path, label: str, max_bytes: int = MAX_INPUT_BYTES, expected: str = "a file") -> bytes:
    """The bytes of a regular file; `expected` says what it should have been when it is not one ("an Ed25519 public key")."""
    regular_file(path, label, max_bytes, expected)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TapguardError(f"{label}: cannot read ({exc.strerror})") from None


def read_text(path: Path, label: str, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """UTF-8 text (a BOM is allowed); a decoding error names the byte offset."""
    raw = read_bytes(path, label, max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TapguardError(f"{label}: not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None


def output_directory(path: Path, label: str) -> Path:
    """A directory tapguard may write into: existing or creatable, not a symlink, never an existing file, never in a sealed bundle."""
    refuse_sealed(path, label)
    if path.is_symlink():
        raise TapguardError(f"{label} {path}: is a symlink; give the real directory (tapguard does not write through symlinks)")
    if path.exists() and not path.is_dir():
        raise TapguardError(f"{label} {path}: exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TapguardError(f"{label} {path}: cannot create ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise TapguardError(f"{label} {path}: not writable")
    return path


MANIFEST = "manifest.json"  # a bundle's seal (evidence/bundle.py writes it), and its signature
SIGNATURE = "manifest.dsse.json"

# the first key of every manifest tapguard seals (bundle.py writes "format" first); read from the first 4 KiB only
_SEALED = re.compile(rb'"format"\s*:\s*"tapguard\.manifest/')


def _holds_manifest(directory: Path) -> bool:
    manifest = directory / MANIFEST
    if os.path.lexists(directory / SIGNATURE):
        return True
    try:
        info = os.lstat(manifest)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return True  # a manifest.json that is a symlink or a special file: fail closed
    try:
        with manifest.open("rb") as handle:
            return bool(_SEALED.search(handle.read(4096)))
    except OSError:
        return True


def sealed_bundle(path: Path) -> Path | None:
    """The sealed evidence bundle that `path` is, or lies inside (by its own name and through symlinks), or None."""
    absolute = Path(os.path.abspath(path))
    for chain in (absolute, Path(os.path.realpath(path))):
        for candidate in (chain, *chain.parents):
            if candidate.is_dir() and _holds_manifest(candidate):
                return candidate
    return None


def refuse_sealed(path: Path, label: str) -> None:
    """A one-line error (exit 2) when `path` is a sealed evidence bundle or inside one: a sealed bundle is never modified."""
    bundle = sealed_bundle(path)
    if bundle is not None:
        where = "is" if bundle == Path(os.path.abspath(path)) else "is inside"
        raise TapguardError(f"{label} {path}: {where} the sealed evidence bundle {bundle}; refusing to modify it (choose another place)")


def _check_name(name: str, label: str) -> None:
    if not name or name in (".", "..") or "/" in name or any(ord(c) < 32 for c in name):
        raise TapguardError(f"{label}: {name!r} is not a plain file name")


def _open_directory(directory: Path, label: str) -> int:
    """A descriptor of `directory` itself: refused if it is a symlink (O_NOFOLLOW) or not a directory."""
    try:
        return os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP or directory.is_symlink():
            raise TapguardError(f"{label} {directory}: is a symlink; refusing to write through it") from None
        if exc.errno == errno.ENOTDIR:
            raise TapguardError(f"{label} {directory}: is not a directory") from None
        raise TapguardError(f"{label} {directory}: cannot open ({exc.strerror})") from None


@contextmanager
def atomic_writer(
    directory: Path, name: str, label: str = "", exclusive: bool = False, mode: int = 0o666, into_sealed: bool = False
) -> Iterator[BinaryIO]:
    """A binary handle whose bytes become directory/name when the block ends without an error (nothing is left otherwise).

    The temporary file is created exclusively and without following a symlink; it then replaces `name`
    (a rename never follows a symlink), or, when `exclusive`, is linked to `name` only if nothing is there.
    """
    label = label or str(directory / name)
    _check_name(name, label)
    if not into_sealed:
        refuse_sealed(directory, label)
    folder = _open_directory(directory, label)
    try:
        try:
            info: os.stat_result | None = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            info = None
        if info is not None and exclusive:
            raise TapguardError(f"{label}: exists; refusing to overwrite it")
        if info is not None and not stat.S_ISREG(info.st_mode):
            kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a regular file"
            raise TapguardError(f"{label}: is {kind}; refusing to write through it")
        tmp = f".{name[:100]}.{secrets.token_hex(6)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        handle = os.fdopen(os.open(tmp, flags, mode, dir_fd=folder), "wb")
        try:
            with handle:
                yield handle
            if exclusive:  # link(2) fails when the name exists, even as a dangling symlink: never overwrites
                try:
                    os.link(tmp, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
                except FileExistsError:
                    raise TapguardError(f"{label}: exists; refusing to overwrite it") from None
            else:
                os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        finally:
            with suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=folder)
    finally:
        os.close(folder)


def write_file(directory: Path, name: str, data: str | bytes, label: str = "", exclusive: bool = False, mode: int = 0o666) -> Path:
    """Write directory/name (text as UTF-8) atomically, never through a symlink, never into a sealed bundle; returns the path."""
    with atomic_writer(directory, name, label, exclusive=exclusive, mode=mode) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    return directory / name
