"""A control's remediation is prose, optionally followed by indented HCL lines. The writers show
prose as text and only the HCL as code (a fenced `hcl` block in markdown, <pre> in HTML)."""

from __future__ import annotations

import json
from typing import Any


def parts(text: str) -> list[tuple[str, str]]:
    """[("prose", ...), ("hcl", ...), ...]: indented lines are HCL, the others prose."""
    out: list[tuple[str, list[str]]] = []
    for line in text.strip("\n").splitlines():
        kind = "hcl" if line.startswith(("  ", "\t")) else "prose"
        if out and out[-1][0] == kind:
            out[-1][1].append(line)
        else:
            out.append((kind, [line]))
    result: list[tuple[str, str]] = []
    for kind, lines in out:
        body = "\n".join(lines)
        if kind == "hcl":
            indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
            body = "\n".join(line[indent:] for line in lines)
        result.append((kind, body.strip("\n") if kind == "hcl" else " ".join(body.split())))
    return [(k, b) for k, b in result if b]


def fence(code: str, lang: str = "hcl") -> str:
    """A fenced block that code containing backticks cannot close early."""
    ticks = "```"
    while ticks in code:
        ticks += "`"
    return f"{ticks}{lang}\n{code}\n{ticks}"


def markdown(text: str) -> str:
    return "\n\n".join(fence(body) if kind == "hcl" else body for kind, body in parts(text))


def value(v: Any) -> str:
    """A plan value as JSON (what the plan says), never a Python repr."""
    try:
        return json.dumps(v, sort_keys=True, default=str, allow_nan=False)
    except (ValueError, TypeError):
        return json.dumps(str(v))
