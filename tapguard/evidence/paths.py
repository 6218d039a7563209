"""Names that become file names, and paths that must stay inside a bundle.

An environment name given on the command line (`--plan-json NAME=PLAN`) ends up as
plans/NAME.plan.json in the bundle: `../../x` would write outside it, or over an earlier
bundle. Names are checked before anything is written; the writer checks every path again.
"""

from __future__ import annotations

import re
from pathlib import Path

from tapguard.foundation.errors import TapguardError

# one path segment of printable characters; a leading dot would hide the file or mean `..`
_SEGMENT = re.compile(r"[A-Za-z0-9_@+=,-][A-Za-z0-9_.@+=,-]{0,99}")


def check_segment(name: str, what: str = "environment name") -> str:
    """`name` unchanged if it is safe as one file name segment; else a one-line error (exit 2)."""
    if not _SEGMENT.fullmatch(name) or ".." in name:
        raise TapguardError(
            f"{what} {name!r} cannot be used in a file name: use letters, digits and . _ - @ + = , (one path segment, no '..', "
            "no separators or control characters, at most 100 characters)"
        )
    return name


def inside(base: Path, relative: str) -> Path:
    """base/relative, refused if it is absolute, climbs out, or resolves (through symlinks) outside base."""
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts or not relative or any(ord(c) < 32 for c in relative):
        raise TapguardError(f"refusing to write {relative!r}: not a plain relative path inside the bundle")
    target = base / candidate
    root = base.resolve()
    if not target.resolve().is_relative_to(root):
        raise TapguardError(f"refusing to write {relative!r}: it resolves outside the bundle {base}")
    return target
