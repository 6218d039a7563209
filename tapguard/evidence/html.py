"""report.html and drills.html: one self-contained page for assessors (no CDN, no script), rendered from
Jinja2 templates (tapguard/evidence/templates) with autoescape, every value capped and made visible
(tapguard.evidence.text.field) and a Content-Security-Policy that allows no script and no fetch. Responsive (viewport meta, wide tables
scroll inside their box, SVG scales to the width) and printable (details expanded, charts within the page).

Extra sections (other writers' additions) can be passed to `render(..., sections=[...])` as Markup."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN
from tapguard.controls.assessment import Assessment, drill_measure, drill_passed, drill_verdict
from tapguard.evidence import remediation
from tapguard.evidence.text import field
from tapguard.evidence.timeline import svg as timeline_svg

LABEL = {PASS: "pass", FAIL: "FAIL", "waived": "waived", NOT_APPLICABLE: "n/a"}


def _timeline(drill: dict[str, Any]) -> Markup:
    return Markup(timeline_svg(drill["timeline"], drill.get("marks", {}), **timeline_context(drill)))


def timeline_context(drill: dict[str, Any]) -> dict[str, Any]:
    """The target rate and the settle window that proved steady state after recovery, for the timeline's labels."""
    after = drill_verdict(drill).get("steady_after") or {}
    since, width = after.get("since_s"), after.get("window_s")
    return {
        "target_rate": drill.get("experiment", {}).get("rate_per_s"),
        "steady_window": (since, since + width) if after.get("met") and since is not None and width else None,
    }


def _finalize(value: Any) -> Any:
    """Every `{{ }}` that is not already Markup is data: capped and on one visible line before autoescape."""
    return value if isinstance(value, Markup) or not isinstance(value, str) else field(value)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tapguard.evidence", "templates"), autoescape=select_autoescape(["j2", "html"]), finalize=_finalize
    )
    env.filters["json"] = remediation.value
    env.globals.update(timeline=_timeline, passed=drill_passed, verdict_of=drill_verdict, measure=drill_measure)
    return env


def render(run: Assessment, drills: list[dict[str, Any]] | None = None, sections: list[Markup] | None = None) -> str:
    failures = []
    for env in run.environments:
        for control in run.catalogue.values():
            bad = [f for f in env.findings_of(control.id) if f.status in (FAIL, UNKNOWN) and not f.waiver]
            if bad:
                failures.append({"env": env.name, "control": control, "findings": bad, "remediation": _remediation(control.remediation)})
    matrix = [(req, control) for control in run.catalogue.values() for req in (control.requirements or (f"mission: {control.family}",))]
    matrix.sort(key=lambda rc: _key(rc[0]))
    report = run.waivers.report()
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            run=run,
            counts=run.counts(),
            failures=failures,
            matrix=matrix,
            labels=LABEL,
            waivers=report["used"] + report["unused"],
            suppressed=[s for scan in run.checkov if scan.scope == "hcl" for s in scan.skipped],
            drills=drills or [],
            sections=sections or [],
        )
    )


def _remediation(text: str) -> list[tuple[str, str | Markup]]:
    """The catalogue's remediation: HCL keeps its lines (escaped here, so the one-line rule for data leaves it alone)."""
    return [(kind, Markup.escape(body) if kind == "hcl" else body) for kind, body in remediation.parts(text)]


def drills_page(drills: list[dict[str, Any]], sha: str) -> str:
    return environment().get_template("drills_page.html.j2").render(drills=drills, sha=sha)


def _key(req: str) -> tuple[Any, ...]:
    if req.startswith("mission"):
        return (999, req)
    return tuple(int(p) if p.isdigit() else 0 for p in req.split("."))
