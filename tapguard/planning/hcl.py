"""Read HCL with a real parser (python-hcl2): tfvars, provider regions, resource lines, lifecycle blocks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hcl2.api import load as parse_hcl

from tapguard.errors import TapguardError


def load(path: Path) -> dict[str, Any]:
    try:
        with path.open() as handle:
            data = parse_hcl(handle)
    except OSError as exc:
        raise TapguardError(f"{path}: cannot read ({exc.strerror})") from exc
    except Exception as exc:  # the parser raises lark errors of many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TapguardError(f"{path}: not valid HCL ({first})") from exc
    return dict(data)


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
