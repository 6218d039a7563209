"""controls.json: requirement -> control -> environment -> resource -> result."""

from __future__ import annotations

from typing import Any

from tapguard.controls.assessment import Assessment


def render(run: Assessment) -> dict[str, Any]:
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
