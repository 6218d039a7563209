"""What the alert formats (SARIF, GitLab, CSV) publish: one item per environment + control + address + attribute.

Each item carries its verdict (`fail`, `unverifiable` — unknown at plan or needs a plan, never a pass — or
`waived`), where it lives in the git repository (a path relative to the repository root, found by walking up
from the project root for `.git`, never by running git) and a fingerprint that is unique within a run.
Two findings of one control on the same address and attribute are one item (the worst verdict wins): a class
control extending a stack control must not make a second alert for the same line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, Control, Finding
from tapguard.controls.assessment import Assessment, EnvironmentResult
from tapguard.planning import hcl
from tapguard.planning.model import strip_indexes

FAILED, UNVERIFIABLE, WAIVED = "fail", "unverifiable", "waived"
_RANK = {FAILED: 0, UNVERIFIABLE: 1, WAIVED: 2}
SEVERITIES = ("critical", "high", "medium", "low")
_HCL_WHERE = re.compile(r"^(?P<file>[^\s:/]+\.tf):(?P<line>\d+) (?P<type>[\w-]+)\.(?P<name>[\w-]+)$")


@cache
def _blocks(directory: Path) -> dict[tuple[str, str], hcl.ResourceBlock]:
    return {(b.type, b.name): b for b in hcl.resource_blocks(directory)}


def locate(env: EnvironmentResult, address: str) -> tuple[Path, int] | None:
    """module.kms.aws_kms_key.this["aurora"] -> (modules/kms/main.tf, line); "main.tf:12 aws_x.y" (D1) -> that line."""
    named = _HCL_WHERE.match(address)
    if named:
        for directory in env.hcl_dirs:
            block = _blocks(directory).get((named["type"], named["name"])) if directory.is_dir() else None
            if block and block.file.name == named["file"] and block.line == int(named["line"]):
                return block.file, block.line
        return None
    bare = strip_indexes(address)
    parts = bare.split(".")
    module_parts: list[str] = []
    while len(parts) >= 2 and parts[0] == "module":
        module_parts += parts[:2]
        parts = parts[2:]
    if parts and parts[0] == "data":
        parts = parts[1:]
    if len(parts) != 2:
        return None
    module = ".".join(module_parts)
    stack: Path | None = env.module_sources.get(module) if module else (env.hcl_dirs[0] if env.hcl_dirs else None)
    if stack is None or not stack.is_dir():
        return None
    block = _blocks(stack).get((parts[0], parts[1]))
    return (block.file, block.line) if block else None


def root_main(env: EnvironmentResult) -> Path | None:
    """Where a stack-wide finding lives: the root module's main.tf (or its first .tf file)."""
    if not env.hcl_dirs or not env.hcl_dirs[0].is_dir():
        return None
    main = env.hcl_dirs[0] / "main.tf"
    return main if main.is_file() else next(iter(sorted(env.hcl_dirs[0].glob("*.tf"))), None)


def repository_root(root: Path) -> Path:
    """The git repository holding the project: the nearest directory at or above `root` with a `.git` entry, else `root`."""
    start = root.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists() or (directory / ".git").is_symlink():
            return directory
    return start


def in_repository(path: Path, repo: Path) -> str | None:
    """`path` relative to the repository root (posix), or None when it lies outside it (an absolute path never leaves)."""
    try:
        return path.resolve().relative_to(repo).as_posix()
    except (ValueError, OSError):
        return None


def fingerprint(*parts: Any) -> str:
    """A stable, bounded identity of a result: sha256 of its parts as JSON (so `a:b`+`c` never equals `a`+`b:c`)."""
    return hashlib.sha256(json.dumps([str(p) for p in parts], ensure_ascii=True).encode()).hexdigest()


def verdict_of(finding: Finding) -> str | None:
    """fail, unverifiable (unknown, needs plan, anything not a verdict), waived; None for pass and not applicable."""
    if finding.status in (PASS, NOT_APPLICABLE):
        return None
    if finding.waiver:
        return WAIVED
    return FAILED if finding.status == FAIL else UNVERIFIABLE


@dataclass(frozen=True)
class Item:
    environment: str
    control: Control | None
    control_id: str
    finding: Finding
    verdict: str
    file: str | None  # relative to the repository root
    line: int
    aggregate: bool  # a stack-wide finding, shown at the root module
    fingerprint: str


def _where(env: EnvironmentResult, address: str, repo: Path) -> tuple[str | None, int, bool]:
    """The block of `address` in the repository; else (a stack-wide finding, or a module outside the repository) the
    root module's main.tf, line 1; else nothing (an absolute path never leaves)."""
    found = locate(env, address)
    if found is not None:
        file = in_repository(found[0], repo)
        if file:
            return file, max(found[1], 1), False
    main = root_main(env)
    return (in_repository(main, repo) if main else None), 1, True


def items(run: Assessment, root: Path) -> list[Item]:
    """Every finding a reviewer must see (fail, unverifiable, waived), one per environment + control + address + attribute."""
    repo = repository_root(root)
    out: dict[tuple[str, str, str, str], Item] = {}
    for env in run.environments:
        for f in env.findings:
            verdict = verdict_of(f)
            if verdict is None:
                continue
            key = (env.name, f.control, f.address, f.attribute)
            known = out.get(key)
            if known is not None and _RANK[known.verdict] <= _RANK[verdict]:
                continue
            file, line, aggregate = (known.file, known.line, known.aggregate) if known else _where(env, f.address, repo)
            out[key] = Item(env.name, run.catalogue.get(f.control), f.control, f, verdict, file, line, aggregate, fingerprint(*key))
    return list(out.values())


@dataclass(frozen=True)
class ScannerItem:
    """One checkov failure, located in the repository."""

    scope: str
    check_id: str
    name: str
    resource: str
    verdict: str
    severity: str  # the highest of the controls it maps to; high when it maps to none
    requirements: tuple[str, ...]
    controls: tuple[str, ...]
    message: str
    file: str | None
    line: int
    fingerprint: str


def _checkov_where(item: dict[str, Any], scope: str, run: Assessment, root: Path, repo: Path) -> tuple[str | None, int]:
    file, lines = item.get("file"), item.get("lines") or []
    if isinstance(file, str) and file.endswith(".tf"):
        # checkov names files relative to the directory it scanned (the project root), with a leading slash
        path = root / file.lstrip("/")
        line = lines[0] if lines and isinstance(lines[0], int) and not isinstance(lines[0], bool) else 1
        where = in_repository(path, repo) if path.is_file() else None
        if where:
            return where, max(line, 1)
    envs = [e for e in run.environments if scope == f"plan:{e.name}"] or run.environments
    for env in envs:
        file_in_repo, line, _ = _where(env, str(item.get("resource") or ""), repo)
        if file_in_repo:
            return file_in_repo, line
    return None, 1


def scanner_items(run: Assessment, root: Path) -> list[ScannerItem]:
    """checkov's failures (failed, error, unverifiable at plan), one per scope + check + resource + file."""
    repo = repository_root(root)
    out: dict[str, ScannerItem] = {}
    for scan in run.checkov:
        for item in scan.items():
            status = str(item.get("status"))
            verdict = UNVERIFIABLE if status == "unverifiable_at_plan" else FAILED
            controls = tuple(str(c) for c in item.get("controls") or [])
            levels = [run.catalogue[c].severity for c in controls if c in run.catalogue]
            severity = min(levels, key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES)) if levels else "high"
            file, line = _checkov_where(item, scan.scope, run, root, repo)
            check_id, resource = str(item.get("check_id")), str(item.get("resource") or "")
            key = fingerprint(scan.scope, check_id, resource, item.get("file"))
            out.setdefault(
                key,
                ScannerItem(
                    scope=scan.scope,
                    check_id=check_id,
                    name=str(item.get("check_name") or check_id),
                    resource=resource,
                    verdict=verdict,
                    severity=severity,
                    requirements=tuple(str(r) for r in item.get("requirements") or []),
                    controls=controls,
                    message=str(item.get("message") or item.get("note") or item.get("check_name") or check_id),
                    file=file,
                    line=line,
                    fingerprint=key,
                ),
            )
    return list(out.values())


def environments_label(names: Iterable[str], limit: int = 80) -> str:
    """The environments of a run as one category word: `prod`, `prod+stage`, or a count and digest when that is long."""
    safe = sorted("".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "_" for name in names)
    joined = "+".join(safe)
    if len(joined) <= limit:
        return joined or "none"
    return f"{len(safe)}-environments-{fingerprint(*safe)[:12]}"
