"""Read HCL with a real parser (python-hcl2): tfvars, provider regions, resource lines, lifecycle blocks."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from hcl2.api import load as parse_hcl

from tapguard.errors import TapguardError


def _parser_versions() -> str:
    """Both distributions that may provide the `hcl2` module (checkov's fork wins when installed): part of the cache key."""
    found = []
    for dist in ("python-hcl2", "bc-python-hcl2"):
        try:
            found.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist} -")
    return "|".join(found) + "|"


_PARSER = _parser_versions()


_cache_dir: Path | None = None  # set by project.state_dir(): <root>/.tapguard/hcl


def use_cache(directory: Path | None) -> None:
    """Keep parsed HCL by content hash: the parser takes ~0.2 s a file, the central loop reads ~100 files."""
    global _cache_dir  # noqa: PLW0603 - one cache per process, chosen by the project being worked on
    _cache_dir = directory


def load(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TapguardError(f"{path}: cannot read ({exc.strerror})") from exc
    entry = _cache_dir / f"{hashlib.sha256(_PARSER.encode() + raw).hexdigest()[:32]}.json" if _cache_dir else None
    if entry is not None and entry.is_file():
        try:
            return dict(json.loads(entry.read_text()))
        except ValueError:
            entry.unlink(missing_ok=True)  # damaged: parse again
    try:
        data = dict(parse_hcl(io.StringIO(raw.decode("utf-8"))))
    except UnicodeDecodeError as exc:
        raise TapguardError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except Exception as exc:  # the parser raises lark errors of many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TapguardError(f"{path}: not valid HCL ({first})") from exc
    if entry is not None:
        try:
            text = json.dumps(data)
        except (TypeError, ValueError):
            return data  # not JSON-shaped: parse it each time rather than store something else
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(text)
        tmp.replace(entry)
    return data


def attribute(value: Any) -> Any:
    """python-hcl2 wraps every attribute value in a one-element list."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def load_tfvars(path: Path) -> dict[str, Any]:
    return {k: attribute(v) for k, v in load(path).items()}


@dataclass(frozen=True)
class ResourceBlock:
    """A resource block as written: where it is and what its lifecycle says."""

    file: Path
    line: int
    end_line: int
    type: str
    name: str
    body: dict[str, Any]

    @property
    def lifecycle(self) -> dict[str, Any]:
        blocks = self.body.get("lifecycle") or []
        merged: dict[str, Any] = {}
        for block in blocks if isinstance(blocks, list) else [blocks]:
            merged.update({k: attribute(v) for k, v in block.items() if not k.startswith("__")})
        return merged


def resource_blocks(directory: Path) -> list[ResourceBlock]:
    """Every resource block in the *.tf files of one directory."""
    blocks: list[ResourceBlock] = []
    for tf in sorted(directory.glob("*.tf")):
        for entry in load(tf).get("resource", []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    blocks.append(
                        ResourceBlock(
                            file=tf,
                            line=int(body.get("__start_line__", 1)),
                            end_line=int(body.get("__end_line__", 1)),
                            type=rtype,
                            name=name,
                            body=body,
                        )
                    )
    return blocks


def provider_region(directory: Path) -> str | None:
    for tf in sorted(directory.glob("*.tf")):
        for provider in load(tf).get("provider", []):
            aws = provider.get("aws")
            if aws and "alias" not in aws:
                region = attribute(aws.get("region"))
                return region if isinstance(region, str) and "${" not in region else None
    return None
