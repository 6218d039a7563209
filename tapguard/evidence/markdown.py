"""report.md: the PR comment. Verdict first, failures with remediation, then the full matrix; < 60,000 characters."""

from __future__ import annotations

from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN
from tapguard.controls.assessment import Assessment

LIMIT = 60_000
ICON = {PASS: "✅", FAIL: "❌", "waived": "⚠️", NOT_APPLICABLE: "➖"}
MARKER = "<!-- tapguard-report -->"


def render(run: Assessment, drills: list[dict[str, Any]] | None = None, limit: int = LIMIT) -> str:
    counts = run.counts()
    verdict = "❌ **FAIL**" if run.failed else "✅ **PASS**"
    lines = [
        MARKER,
        f"## tapguard: PCI DSS v4.0.1 compliance {verdict}",
        "",
        f"Commit `{run.git_sha}` · {run.started:%Y-%m-%d %H:%M} UTC · {len(run.catalogue)} controls",
        "",
        "| environment | region | plan (add/change/destroy) | pass | fail | waived | n/a |",
        "|---|---|---|---|---|---|---|",
    ]
    for env in run.environments:
        s, c = env.summary, counts[env.name]
        lines.append(
            f"| {env.name} | {env.region} | {s['add']}/{s['change']}/{s['destroy']} | {c[PASS]} | {c[FAIL]} | {c['waived']} | {c[NOT_APPLICABLE]} |"
        )
    if run.waivers.problems:
        lines += ["", "### ⛔ Waiver problems", ""]
        lines += [f"- `{p.address}`: {p.message}" for p in run.waivers.problems]
    failures = [(env, control) for env in run.environments for control in run.catalogue.values() if env.status_of(control.id) == FAIL]
    if failures:
        lines += ["", "### Failures", ""]
        for env, control in failures:
            bad = [f for f in env.findings if f.control == control.id and f.status in (FAIL, UNKNOWN) and not f.waiver]
            lines.append(
                f"<details><summary>❌ <b>{control.id}</b> {control.title} · {env.name} · PCI DSS {', '.join(control.requirements) or control.family} · {len(bad)} finding(s)</summary>\n"
            )
            for f in bad[:20]:
                lines.append(f"- `{f.address}` `{f.attribute}`: {f.message}; actual `{f.actual!r}`, expected {f.expected}")
            if len(bad) > 20:
                lines.append(f"- … {len(bad) - 20} more in controls.json")
            lines += ["", "Remediation:", "```hcl", control.remediation.strip(), "```", "</details>"]
    for drill in drills or []:
        verdict = drill.get("verdict", {})
        lines += [
            "",
            f"### Drill: {drill.get('title', '')} {'✅' if verdict.get('passed') else '❌'}",
            "",
            f"downtime **{verdict.get('downtime_s', '?')} s** (limit {verdict.get('max_downtime_s', '?')} s) · "
            f"steady state back after **{verdict.get('time_to_steady_s', '-')} s** · "
            f"acknowledged writes {verdict.get('acknowledged', '?')} · lost **{verdict.get('lost', '?')}**",
        ]
        # why it failed (a limping service, lost writes, a downtime over the limit), one line each
        lines += [f"- {reason}" for reason in verdict.get("reasons", [])]
    lines += [
        "",
        "### Controls by requirement",
        "",
        "| requirement | control | " + " | ".join(e.name for e in run.environments) + " |",
        "|---|---|" + "---|" * len(run.environments),
    ]
    for control in run.catalogue.values():
        reqs = ", ".join(control.requirements) or f"({control.family})"
        cells = " | ".join(ICON[e.status_of(control.id)] for e in run.environments)
        lines.append(f"| {reqs} | {control.id} {control.title} | {cells} |")
    used = run.waivers.report()["used"]
    if used:
        lines += ["", "### Waivers in use", ""] + [
            f"- {w['control']} `{w['address']}` until {w['expires']} ({w['owner']}, {w['ticket']}): {w['reason']}" for w in used
        ]
    lines += ["", *(scan.summary_line() for scan in run.checkov)]
    text = "\n".join(lines) + "\n"
    if len(text) > limit:
        cut = text[: limit - 200]
        text = (
            cut[: cut.rfind("\n")] + "\n\n… report truncated to fit a PR comment; the full results are in controls.json and report.html.\n"
        )
    return text
