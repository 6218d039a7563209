"""SARIF 2.1.0: one run per environment; each failure located at the .tf file and line of its resource."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from tapguard.controls import FAIL, UNKNOWN
from tapguard.controls.assessment import Assessment, EnvironmentResult
from tapguard.planning import hcl
from tapguard.planning.model import strip_indexes

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


@cache
def _blocks(directory: Path) -> dict[tuple[str, str], hcl.ResourceBlock]:
    return {(b.type, b.name): b for b in hcl.resource_blocks(directory)}


def locate(env: EnvironmentResult, address: str) -> tuple[Path, int] | None:
    """module.kms.aws_kms_key.this["aurora"] -> (modules/kms/main.tf, line)."""
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
    directory = env.module_sources.get(module) if module else (env.hcl_dirs[0] if env.hcl_dirs else None)
    if directory is None or not directory.is_dir():
        return None
    block = _blocks(directory).get((parts[0], parts[1]))
    return (block.file, block.line) if block else None


def render(run: Assessment, root: Path) -> dict[str, Any]:
    runs = []
    for env in run.environments:
        rules = [
            {
                "id": c.id,
                "name": c.title,
                "shortDescription": {"text": c.title},
                "fullDescription": {"text": c.risk},
                "help": {"text": c.remediation},
                "properties": {"tags": [f"PCI-DSS-{r}" for r in c.requirements] + [c.family], "security-severity": _score(c.severity)},
            }
            for c in run.catalogue.values()
        ]
        results = []
        for f in env.findings:
            if f.status not in (FAIL, UNKNOWN) or f.waiver:
                continue
            control = run.catalogue.get(f.control)
            where = locate(env, f.address)
            location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": f.address, "kind": "resource"}]}
            if where:
                path, line = where
                try:
                    uri = str(path.resolve().relative_to(root.resolve()))
                except ValueError:
                    uri = str(path)
                location["physicalLocation"] = {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}
            results.append(
                {
                    "ruleId": f.control,
                    "level": LEVEL.get(control.severity if control else "medium", "warning"),
                    "message": {
                        "text": f"[{env.name}] {f.address} {f.attribute}: {f.message} (actual {f.actual!r}, expected {f.expected})"
                    },
                    "locations": [location],
                    "partialFingerprints": {"tapguard/v1": f"{env.name}:{f.control}:{f.address}:{f.attribute}"},
                }
            )
        runs.append(
            {
                "tool": {"driver": {"name": "tapguard", "informationUri": "https://example.invalid/tapguard", "rules": rules}},
                "automationDetails": {"id": f"tapguard/{env.name}/"},
                "results": results,
            }
        )
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": runs}


def _score(severity: str) -> str:
    return {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}.get(severity, "5.0")
