"""Reading files a user names (plans, waivers, drills, config): the true reason when one cannot be read.

"no such file" is only said when there is no such file: a directory, a FIFO, a device, a symlink
loop, an unreadable or an oversized file each get their own one-line error.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from tapguard.errors import TapguardError

MAX_INPUT_BYTES = 512 * 1024 * 1024  # a 171k-resource plan is 200 MB; past this it is not a plan we can hold


def regular_file(path: Path, label: str, max_bytes: int = MAX_INPUT_BYTES) -> os.stat_result:
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
        raise TapguardError(f"{label}: {kind}, not a file")
    if info.st_size > max_bytes:
        raise TapguardError(f"{label}: {info.st_size:,} bytes is larger than the {max_bytes:,} bytes tapguard reads")
    return info


def read_bytes(path: Path, label: str, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    regular_file(path, label, max_bytes)
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
    """A directory tapguard may write into: existing or creatable, never an existing file."""
    if path.exists() and not path.is_dir():
        raise TapguardError(f"{label} {path}: exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TapguardError(f"{label} {path}: cannot create ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise TapguardError(f"{label} {path}: not writable")
    return path
