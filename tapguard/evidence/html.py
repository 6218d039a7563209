"""report.html: one self-contained page for assessors (no CDN, no script): summary by requirement,
every failure with remediation, waivers, scanner baseline, drills with an inline SVG timeline, tools."""

from __future__ import annotations

import html
from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN
from tapguard.controls.assessment import Assessment
from tapguard.evidence.timeline import svg as timeline_svg

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1200px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.6rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.waived{color:#9a6700;font-weight:600}
.not_applicable{color:#57606a}.verdict{font-size:1.3rem;padding:.6rem 1rem;border-radius:6px;display:inline-block}
.vpass{background:#dafbe1}.vfail{background:#ffebe9}code,pre{background:#f6f8fa;border-radius:4px;padding:.1rem .3rem;font-size:12px}
pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap}small{color:#57606a}details{margin:.3rem 0}
"""
LABEL = {PASS: "pass", FAIL: "FAIL", "waived": "waived", NOT_APPLICABLE: "n/a"}


def _e(value: Any) -> str:
    return html.escape(str(value))


def render(run: Assessment, drills: list[dict[str, Any]] | None = None) -> str:
    counts = run.counts()
    out = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>tapguard evidence {_e(run.git_sha)}</title><style>{STYLE}</style></head><body>",
        "<h1>tapguard: PCI DSS v4.0.1 compliance evidence</h1>",
        f"<p class='verdict {'vfail' if run.failed else 'vpass'}'>Verdict: <b>{'FAIL' if run.failed else 'PASS'}</b></p>",
        f"<p>Commit <code>{_e(run.git_sha)}</code> · run {run.started:%Y-%m-%d %H:%M:%S} UTC · {len(run.catalogue)} controls · "
        "evaluated on the real terraform plans of each environment. Integrity: every file of this bundle is listed with its sha256 in "
        "<code>manifest.json</code>; check it with <code>tapguard evidence verify &lt;dir&gt;</code>.</p>",
        "<h2>Environments</h2><table><tr><th>environment</th><th>region</th><th>terraform</th><th>plan sha256</th><th>add/change/destroy</th>"
        "<th>pass</th><th>fail</th><th>waived</th><th>n/a</th></tr>",
    ]
    for env in run.environments:
        s, c = env.summary, counts[env.name]
        out.append(
            f"<tr><td>{_e(env.name)}</td><td>{_e(env.region)}</td><td>{_e(env.terraform_version)}</td><td><code>{env.plan_sha256[:16]}…</code></td>"
            f"<td>{s['add']}/{s['change']}/{s['destroy']}</td><td class=pass>{c[PASS]}</td><td class=fail>{c[FAIL]}</td>"
            f"<td class=waived>{c['waived']}</td><td>{c[NOT_APPLICABLE]}</td></tr>"
        )
    out.append("</table>")
    if run.waivers.problems:
        out.append(
            "<h2>Waiver problems</h2><ul>"
            + "".join(f"<li class=fail>{_e(p.address)}: {_e(p.message)}</li>" for p in run.waivers.problems)
            + "</ul>"
        )

    out.append(
        "<h2>Summary by requirement</h2><table><tr><th>PCI DSS</th><th>control</th>"
        + "".join(f"<th>{_e(e.name)}</th>" for e in run.environments)
        + "</tr>"
    )
    by_req: dict[str, list[str]] = {}
    for control in run.catalogue.values():
        for req in control.requirements or (f"mission: {control.family}",):
            by_req.setdefault(req, []).append(control.id)
    for req in sorted(by_req, key=_key):
        for cid in by_req[req]:
            control = run.catalogue[cid]
            cells = "".join(f"<td class={e.status_of(cid)}>{LABEL[e.status_of(cid)]}</td>" for e in run.environments)
            out.append(f"<tr><td>{_e(req)}</td><td><b>{cid}</b> {_e(control.title)}</td>{cells}</tr>")
    out.append("</table>")

    out.append("<h2>Failures and remediation</h2>")
    any_failure = False
    for env in run.environments:
        for control in run.catalogue.values():
            bad = [f for f in env.findings if f.control == control.id and f.status in (FAIL, UNKNOWN) and not f.waiver]
            if not bad:
                continue
            any_failure = True
            out.append(
                f"<details open><summary class=fail>{control.id} {_e(control.title)} · {_e(env.name)} · PCI DSS {_e(', '.join(control.requirements))}</summary>"
                f"<p><small>Risk: {_e(control.risk)}</small></p><table><tr><th>resource</th><th>attribute</th><th>actual</th><th>expected</th><th>finding</th></tr>"
            )
            out += [
                f"<tr><td><code>{_e(f.address)}</code></td><td>{_e(f.attribute)}</td><td><code>{_e(repr(f.actual))}</code></td><td>{_e(f.expected)}</td><td>{_e(f.message)}</td></tr>"
                for f in bad
            ]
            out.append(f"</table><p>Remediation:</p><pre>{_e(control.remediation)}</pre></details>")
    if not any_failure:
        out.append("<p class=pass>No failing control.</p>")

    report = run.waivers.report()
    out.append("<h2>Waivers</h2>")
    if report["used"] or report["unused"]:
        out.append(
            "<table><tr><th>control</th><th>address</th><th>reason</th><th>owner</th><th>ticket</th><th>expires</th><th>used</th></tr>"
        )
        for w in report["used"] + report["unused"]:
            out.append(
                f"<tr><td>{_e(w['control'])}</td><td><code>{_e(w['address'])}</code></td><td>{_e(w['reason'])}</td><td>{_e(w['owner'])}</td>"
                f"<td>{_e(w['ticket'])}</td><td>{_e(w['expires'])}</td><td>{w['used']}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>No waivers.</p>")

    out.append(
        "<h2>Scanner baseline (checkov)</h2><table><tr><th>scope</th><th>passed</th><th>failed</th><th>waived</th><th>unverifiable at plan</th><th>suppressed in code</th></tr>"
    )
    for scan in run.checkov:
        if not scan.available:
            out.append(f"<tr><td>{_e(scan.scope)}</td><td colspan=5>{_e(scan.error)}</td></tr>")
            continue
        c = scan.as_dict()["counts"]
        out.append(
            f"<tr><td>{_e(scan.scope)}</td><td>{c['passed']}</td><td class={'fail' if c['failed'] else 'pass'}>{c['failed']}</td><td>{c['waived']}</td>"
            f"<td>{c['unverifiable_at_plan']}</td><td>{c['skipped_in_code']}</td></tr>"
        )
    out.append("</table>")
    suppressed = [s for scan in run.checkov if scan.scope == "hcl" for s in scan.skipped]
    if suppressed:
        out.append(
            "<details><summary>Suppressions written in the code, with their reasons</summary><table><tr><th>check</th><th>resource</th><th>reason</th></tr>"
        )
        out += [
            f"<tr><td>{_e(s['check_id'])}</td><td><code>{_e(s['resource'])}</code></td><td>{_e(s.get('suppress_comment'))}</td></tr>"
            for s in suppressed
        ]
        out.append("</table></details>")

    if drills:
        out.append(drills_section(drills))
    out.append(
        "<h2>Tools</h2><table>" + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in sorted(run.tools.items())) + "</table>"
    )
    out.append("</body></html>\n")
    return "\n".join(out)


def drills_section(drills: list[dict[str, Any]]) -> str:
    out = ["<h2>Failover drills</h2>"]
    for drill in drills:
        v = drill.get("verdict", {})
        p99 = v.get("p99_ms") or {}
        out.append(
            f"<h3>{_e(drill.get('title'))} <span class={'pass' if v.get('passed') else 'fail'}>{'PASS' if v.get('passed') else 'FAIL'}</span></h3>"
        )
        out.append(f"<p>target {_e(drill.get('experiment', {}).get('target'))} · status {_e(drill.get('status'))}</p>")
        out.append(
            "<table><tr><th>downtime</th><th>steady state back after</th><th>limit</th><th>acknowledged</th><th>lost</th><th>detect</th><th>promote</th>"
            "<th>p99 before/during/after</th><th>errors</th></tr>"
            f"<tr><td><b>{_e(v.get('downtime_s'))} s</b></td><td class={'pass' if v.get('time_to_steady_s') is not None else 'fail'}>"
            f"{_e(v.get('time_to_steady_s', '-'))} s</td><td>{_e(v.get('max_downtime_s'))} s</td><td>{_e(v.get('acknowledged'))}</td>"
            f"<td class={'fail' if v.get('lost') else 'pass'}>{_e(v.get('lost'))}</td><td>{_e(v.get('time_to_detect_s'))} s</td>"
            f"<td>{_e(v.get('time_to_promote_s'))} s</td><td>{_e(p99.get('before'))} / {_e(p99.get('during'))} / {_e(p99.get('after'))} ms</td>"
            f"<td>{_e(v.get('errors_by_class'))}</td></tr></table>"
        )
        if v.get("reasons"):
            out.append("<ul>" + "".join(f"<li class=fail>{_e(r)}</li>" for r in v["reasons"]) + "</ul>")
        if drill.get("timeline"):
            out.append(timeline_svg(drill["timeline"], drill.get("marks", {}), **timeline_context(drill)))
        steps = drill.get("run", []) + drill.get("rollbacks", [])
        if steps:
            out.append("<details><summary>journal</summary><table><tr><th>activity</th><th>start</th><th>end</th><th>status</th></tr>")
            out += [
                f"<tr><td>{_e(a['activity']['name'])}</td><td>{_e(a.get('start'))}</td><td>{_e(a.get('end'))}</td><td>{_e(a.get('status'))}</td></tr>"
                for a in steps
            ]
            out.append("</table></details>")
    return "\n".join(out)


def timeline_context(drill: dict[str, Any]) -> dict[str, Any]:
    """The target rate and the settle window that proved steady state after recovery, for the timeline's labels."""
    after = drill.get("verdict", {}).get("steady_after") or {}
    since, width = after.get("since_s"), after.get("window_s")
    return {
        "target_rate": drill.get("experiment", {}).get("rate_per_s"),
        "steady_window": (since, since + width) if after.get("met") and since is not None and width else None,
    }


def drills_page(drills: list[dict[str, Any]], sha: str) -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>tapguard drills {_e(sha)}</title><style>{STYLE}</style></head><body>"
        f"<h1>tapguard: failover drill evidence</h1><p>Commit <code>{_e(sha)}</code>. Integrity: <code>manifest.json</code>, "
        "check with <code>tapguard evidence verify &lt;dir&gt;</code>.</p>" + drills_section(drills) + "</body></html>\n"
    )


def _key(req: str) -> tuple[Any, ...]:
    if req.startswith("mission"):
        return (999, req)
    return tuple(int(p) if p.isdigit() else 0 for p in req.split("."))
