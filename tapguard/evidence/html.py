"""report.html and drills.html: one self-contained page for assessors (no CDN, no script), rendered from
Jinja2 templates (tapguard/evidence/templates) with autoescape, every value capped and made visible
(tapguard.evidence.text.field) and a Content-Security-Policy that allows no script and no fetch. Responsive (viewport meta, wide tables
scroll inside their box, SVG scales to the width) and printable (details expanded, charts within the page).

Extra sections (other writers' additions) can be passed to `render(..., sections=[...])` as Markup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Finding
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


ABSENT = "—"  # a value the data does not have (never Python's `None`)


def _finalize(value: Any) -> Any:
    """Every `{{ }}` that is not already Markup is data: capped and on one visible line before autoescape; a value
    that is not text or a number (a mapping, a list, None, a boolean) is shown as JSON, never as a Python repr."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return ABSENT
    if isinstance(value, str):
        return field(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return field(remediation.value(value))


_BREAK_AFTER = re.compile(r"(?<=[._/:\[\]=-])")


def _token(value: Any) -> Markup:
    """A long token (an address, an ARN, a plan value): escaped, breakable after its separators (`.`, `_`, `/`, `:`,
    `[`…) and nowhere else, so a narrow page wraps `module.db.aws_rds_cluster.this` at its dots, never mid-word."""
    text = _finalize(value)
    return Markup("<wbr>").join(escape(part) for part in _BREAK_AFTER.split(str(text)))


def _described(value: Any) -> list[tuple[str, Any]]:
    """A mapping as (field, value) pairs to render one by one (a drill target); anything else as one unnamed value."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]
    return [("", value)]


@dataclass
class Row:
    """One failing (or unverifiable) resource attribute of an environment, whichever controls report it."""

    address: str
    attribute: str
    verdict: str
    controls: list[str] = dc_field(default_factory=list)
    actual: list[Any] = dc_field(default_factory=list)
    expected: list[Any] = dc_field(default_factory=list)
    messages: list[tuple[str, str]] = dc_field(default_factory=list)


def rows(findings: list[Finding]) -> list[Row]:
    """One row per resource and attribute: a control and a class control reporting the same one share it."""
    out: dict[tuple[str, str], Row] = {}
    for f in findings:
        row = out.setdefault((f.address, f.attribute), Row(f.address, f.attribute, "unverified"))
        if f.status == FAIL:
            row.verdict = FAIL
        if f.control not in row.controls:
            row.controls.append(f.control)
        for kept, value in ((row.actual, f.actual), (row.expected, f.expected)):
            if value not in kept:
                kept.append(value)
        if f.message not in [m for _, m in row.messages]:
            row.messages.append((f.control, f.message))
    return list(out.values())


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tapguard.evidence", "templates"), autoescape=select_autoescape(["j2", "html"]), finalize=_finalize
    )
    env.filters["json"] = remediation.value
    env.filters["token"] = _token
    env.globals.update(timeline=_timeline, passed=drill_passed, verdict_of=drill_verdict, measure=drill_measure, described=_described)
    return env


def render(run: Assessment, drills: list[dict[str, Any]] | None = None, sections: list[Markup] | None = None) -> str:
    failures = []  # per environment: its rows, one per resource and attribute
    failing: dict[str, list[str]] = {}  # control id -> the environments it fails in
    for env in run.environments:
        bad = []
        for control in run.catalogue.values():
            mine = [f for f in env.findings_of(control.id) if f.status in (FAIL, UNKNOWN) and not f.waiver]
            if mine:
                failing.setdefault(control.id, []).append(env.name)
                bad += mine
        if bad:
            failures.append({"env": env.name, "rows": rows(bad)})
    remedies = [
        {"control": run.catalogue[c], "envs": envs, "remediation": _remediation(run.catalogue[c].remediation)}
        for c, envs in failing.items()
    ]
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
            remedies=remedies,
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
