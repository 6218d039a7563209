"""controls.json: requirement -> control -> environment -> result, sized by findings, not by the plan.

`requirements` maps each PCI DSS requirement to its controls and their status per environment;
`results` holds, once per control and environment, every failing, unknown or waived finding in
full and only the addresses of the resources that passed (or were not applicable): the values
a passing check read are in the plan (kept gzipped in the bundle), so they are not copied here.
"""

from __future__ import annotations

from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE, UNKNOWN
from tapguard.controls.assessment import Assessment
from tapguard.evidence.text import cap

FORMAT = "tapguard.controls/2"
MAX_DEPTH = 64  # a plan value nested deeper is shown as its capped text


def capped(value: Any, depth: int = 0) -> Any:
    """Every string in `value` (keys too) capped, with the sha256 of the full string (a 50 MB address stays a few KB)."""
    if isinstance(value, str):
        return cap(value)
    if depth >= MAX_DEPTH:
        return cap(repr(value))
    if isinstance(value, dict):
        return {cap(str(k)): capped(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [capped(v, depth + 1) for v in value]
    return value


def _result(findings: list[Any], status: str) -> dict[str, Any]:
    passed: dict[str, None] = {}
    not_applicable: dict[str, None] = {}
    detailed = []
    for f in findings:
        if f.status in (FAIL, UNKNOWN) or f.waiver:
            detailed.append(f.as_dict())
        elif f.status == NOT_APPLICABLE:
            not_applicable.setdefault(f.address)
        else:
            passed.setdefault(f.address)  # ordered, without repeats: a resource checked on 5 attributes is listed once
    out: dict[str, Any] = {"status": status, "findings": len(findings)}
    if detailed:
        out["failed_or_waived"] = detailed
    if passed:
        out["passed"] = list(passed)
    if not_applicable:
        out["not_applicable"] = list(not_applicable)
    return out


def render(run: Assessment) -> dict[str, Any]:
    by_control: dict[str, dict[str, list[Any]]] = {c: {e.name: [] for e in run.environments} for c in run.catalogue}
    for env in run.environments:
        for f in env.findings:
            if f.control in by_control:
                by_control[f.control][env.name].append(f)
    requirements: dict[str, dict[str, Any]] = {}
    for control in run.catalogue.values():
        for req in list(control.requirements) or [f"mission:{control.family}"]:
            requirements.setdefault(req, {})[control.id] = {
                "title": control.title,
                "severity": control.severity,
                "environments": {e.name: {"status": e.status_of(control.id)} for e in run.environments},
            }
    document: dict[str, Any] = capped(  # every string of data capped in one pass
        {
            "format": FORMAT,
            "started": run.started.isoformat(),
            "finished": (run.finished or run.started).isoformat(),
            "git_sha": run.git_sha,
            "verdict": "fail" if run.failed else "pass",
            "skipped": dict(sorted(run.skipped.items())),  # control id -> why it was not judged (--check, --skip-check)
            "environments": {
                e.name: {
                    "plan_json": e.plan_path.name,
                    "plan_sha256": e.plan_sha256,
                    "terraform_version": e.terraform_version,
                    "region": e.region,
                    "plan_summary": e.summary,
                    "counts": run.counts()[e.name],
                    "coverage": e.coverage.as_dict() if e.coverage else None,
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
            "requirements": dict(sorted(requirements.items(), key=lambda kv: _req_key(kv[0]))),
            "results": {
                cid: {
                    env: _result(found, next(e for e in run.environments if e.name == env).status_of(cid)) for env, found in per_env.items()
                }
                for cid, per_env in by_control.items()
            },
            "waivers": run.waivers.report(),
        }
    )
    return document


def _req_key(req: str) -> tuple[Any, ...]:
    if req.startswith("mission:"):
        return (999, req)
    return tuple(int(p) if p.isdigit() else 0 for p in req.split("."))
