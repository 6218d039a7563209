"""A compliance run: plan (or load) each environment, evaluate every control, apply waivers, scan with checkov."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard import checkov_scan, controls, model, waivers
from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Control, Finding
from tapguard.errors import TapguardError
from tapguard.plan import module_dirs
from tapguard.project import Environment


@dataclass
class EnvironmentResult:
    name: str
    plan_path: Path
    plan_sha256: str
    terraform_version: str
    region: str | None
    summary: dict[str, int]
    findings: list[Finding]
    hcl_dirs: list[Path]
    module_sources: dict[str, Path]  # module address prefix ("module.kms") -> source dir

    def status_of(self, control_id: str) -> str:
        """fail if any unwaived fail/unknown, else pass (or not_applicable when nothing applied)."""
        mine = [f for f in self.findings if f.control == control_id]
        if any(f.status in (FAIL, UNKNOWN) and not f.waiver for f in mine):
            return FAIL
        if any(f.status in (FAIL, UNKNOWN) and f.waiver for f in mine):
            return "waived"
        if mine and all(f.status == NOT_APPLICABLE for f in mine):
            return NOT_APPLICABLE
        return PASS


@dataclass
class CheckRun:
    started: dt.datetime
    environments: list[EnvironmentResult]
    catalogue: dict[str, Control]
    waivers: waivers.WaiverSet
    checkov: list[checkov_scan.CheckovResult] = field(default_factory=list)
    drills: list[dict[str, Any]] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)
    git_sha: str = "unknown"
    finished: dt.datetime | None = None

    @property
    def failed(self) -> bool:
        return any(e.status_of(c) == FAIL for e in self.environments for c in self.catalogue) or bool(self.waivers.problems)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for e in self.environments:
            tally = {PASS: 0, FAIL: 0, "waived": 0, NOT_APPLICABLE: 0}
            for c in self.catalogue:
                tally[e.status_of(c)] += 1
            out[e.name] = tally
        return out


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def module_sources(env_dir: Path | None, plan: model.Plan) -> dict[str, Path]:
    """Module address -> directory of its source, from the plan's configuration."""
    found: dict[str, Path] = {}
    if env_dir is None:
        return found

    def walk(node: dict[str, Any], prefix: str, base: Path) -> None:
        for name, call in (node.get("module_calls") or {}).items():
            source = str(call.get("source", ""))
            if not source.startswith("."):
                continue
            directory = (base / source).resolve()
            address = f"{prefix}.module.{name}" if prefix else f"module.{name}"
            found[address] = directory
            walk(call.get("module") or {}, address, directory)

    walk(plan.data.get("configuration", {}).get("root_module", {}), "", env_dir.resolve())
    return found


def evaluate_environment(name: str, plan_path: Path, env: Environment | None, waiver_set: waivers.WaiverSet) -> EnvironmentResult:
    plan = model.load(plan_path)
    hcl_dirs = module_dirs(env.path) if env is not None else []
    findings = waiver_set.apply(controls.evaluate(name, plan, hcl_dirs=hcl_dirs))
    # waiver problems are reported once for the run, not per environment
    findings = [f for f in findings if f not in waiver_set.problems]
    return EnvironmentResult(
        name=name,
        plan_path=plan_path,
        plan_sha256=sha256_file(plan_path),
        terraform_version=plan.terraform_version,
        region=plan.region,
        summary=plan.summary(),
        findings=findings,
        hcl_dirs=hcl_dirs,
        module_sources=module_sources(env.path if env else None, plan),
    )


def parse_plan_json_args(values: list[str]) -> dict[str, Path]:
    """ENV=PATH pairs from --plan-json."""
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise TapguardError(f"--plan-json takes ENV=PATH, got {value!r}")
        if name in out:
            raise TapguardError(f"--plan-json names environment {name!r} twice")
        out[name] = Path(path)
    return out


def tool_versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    import platform

    import tapguard

    versions = {"tapguard": tapguard.__version__, "python": platform.python_version()}
    for dist in ("checkov", "moto", "boto3", "pytest", "python-hcl2", "rich"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:  # not installed: say so rather than guess
            versions[dist] = "not installed"
    versions.update(extra or {})
    return versions


def findings_json(run: CheckRun) -> dict[str, Any]:
    """requirement -> control -> environment -> resource -> result."""
    by_requirement: dict[str, dict[str, Any]] = {}
    for control in run.catalogue.values():
        reqs = list(control.requirements) or [f"mission:{control.family}"]
        for req in reqs:
            entry = by_requirement.setdefault(req, {})
            entry[control.id] = {
                "title": control.title,
                "severity": control.severity,
                "environments": {
                    e.name: {
                        "status": e.status_of(control.id),
                        "resources": [f.as_dict() for f in e.findings if f.control == control.id],
                    }
                    for e in run.environments
                },
            }
    return {
        "format": "tapguard.controls/1",
        "started": run.started.isoformat(),
        "finished": (run.finished or run.started).isoformat(),
        "git_sha": run.git_sha,
        "verdict": "fail" if run.failed else "pass",
        "environments": {
            e.name: {
                "plan_json": e.plan_path.name,
                "plan_sha256": e.plan_sha256,
                "terraform_version": e.terraform_version,
                "region": e.region,
                "plan_summary": e.summary,
                "counts": run.counts()[e.name],
            }
            for e in run.environments
        },
        "controls": {
            c.id: {
                "title": c.title,
                "family": c.family,
                "requirements": list(c.requirements),
                "severity": c.severity,
                "risk": c.risk,
                "remediation": c.remediation,
                "scanners": c.scanners,
            }
            for c in run.catalogue.values()
        },
        "requirements": dict(sorted(by_requirement.items(), key=lambda kv: _req_key(kv[0]))),
        "waivers": run.waivers.report(),
    }


def _req_key(req: str) -> tuple[Any, ...]:
    if req.startswith("mission:"):
        return (999, req)
    return tuple(int(p) if p.isdigit() else 0 for p in req.split("."))


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str)
