"""report.md and the PR comment: sections in priority order, each self-contained.

A section never leaves a fence or a <details> open, and truncation drops whole sections from
the end, so a cut report still renders. Order: verdict and environments, waiver problems,
tapguard's failures, checkov's failures (itemized), drills, then the full matrix, waivers, and
scanner summaries. Every data field goes through tapguard.evidence.text (md_code, md_text, md_html).
Sections are separated by an HTML comment (invisible on GitHub) so
`comment()` can join several reports into one PR comment under GitHub's 65,536-character cap.
New sections: add a function returning a list of sections and call it from `render` in its place.
"""

from __future__ import annotations

import re
from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN
from tapguard.controls.assessment import Assessment, drill_measure, drill_passed, drill_verdict
from tapguard.evidence import remediation
from tapguard.evidence.text import md_code, md_html, md_text

LIMIT = 60_000  # one report; the PR comment joining several is capped by COMMENT_LIMIT
COMMENT_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters; leave room for the sticky header
ICON = {PASS: "✅", FAIL: "❌", "waived": "⚠️", NOT_APPLICABLE: "➖"}
MARKER = "<!-- tapguard-report -->"
SECTION = "<!-- tapguard:section -->"
MAX_ITEMS = 20
MATRIX_TITLE = "### Controls by requirement"
PASS_HEADING = "## tapguard: PCI DSS v4.0.1 compliance ✅ **PASS**"


def header(run: Assessment) -> list[str]:
    counts = run.counts()
    lines = [
        "## tapguard: PCI DSS v4.0.1 compliance ❌ **FAIL**" if run.failed else PASS_HEADING,
        "",
        f"Commit {md_code(run.git_sha)} · {run.started:%Y-%m-%d %H:%M} UTC · {len(run.catalogue)} controls · "
        f"environments: {', '.join(md_code(e.name) for e in run.environments)}",
        "",
        "| environment | region | plan (add/change/destroy) | pass | fail | waived | n/a |",
        "|---|---|---|---|---|---|---|",
    ]
    for env in run.environments:
        s, c = env.summary, counts[env.name]
        plan = "/".join(md_text(s.get(k, "?")) for k in ("add", "change", "destroy"))
        lines.append(
            f"| {md_text(env.name)} | {md_text(env.region) if env.region else '-'} | {plan} "
            f"| {c[PASS]} | {c[FAIL]} | {c['waived']} | {c[NOT_APPLICABLE]} |"
        )
    # closed world: how much of each plan a class of controls judged, and the types none knows
    lines += ["", *(f"Coverage {md_code(env.name)}: {md_text(env.coverage.line())}" for env in run.environments if env.coverage)]
    return ["\n".join(lines)]


def waiver_problems(run: Assessment) -> list[str]:
    if not run.waivers.problems:
        return []
    return ["### ⛔ Waiver problems\n\n" + "\n".join(f"- {md_code(p.address)}: {md_text(p.message)}" for p in run.waivers.problems)]


def failures(run: Assessment) -> list[str]:
    failing = [(env, c) for env in run.environments for c in run.catalogue.values() if env.status_of(c.id) == FAIL]
    if not failing:
        return []
    out = [f"### ❌ tapguard failures ({len(failing)})"]
    for env, control in failing:
        bad = [f for f in env.findings_of(control.id) if f.status in (FAIL, UNKNOWN) and not f.waiver]
        reqs = ", ".join(control.requirements) or control.family
        items = [
            f"- {md_code(f.address)} {md_code(f.attribute) if f.attribute else ''}: {md_text(f.message)}; "
            f"actual {md_code(remediation.value(f.actual))}, expected {md_text(f.expected)}"
            for f in bad[:MAX_ITEMS]
        ]
        if len(bad) > MAX_ITEMS:
            items.append(f"- … {len(bad) - MAX_ITEMS} more in controls.json")
        # a <details> line is raw HTML to GitHub: markdown is not parsed there, so its fields are HTML-escaped
        out.append(
            f"<details><summary>❌ <b>{md_html(control.id)}</b> {md_html(control.title)} · {md_html(env.name)} · PCI DSS {md_html(reqs)} "
            f"· {len(bad)} finding(s)</summary>\n\n"
            + "\n".join(items)
            + f"\n\n**Remediation.** {remediation.markdown(control.remediation)}\n\n</details>"
        )
    return out


def checkov_failures(run: Assessment) -> list[str]:
    out = []
    for scan in run.checkov:
        bad = scan.gate_failures if scan.available else []
        if not bad:
            continue
        items = [
            f"- {md_code(f['check_id'])} {md_text(f.get('check_name') or '')} · {md_code(f.get('resource') or '')}"
            + (f" · {md_code(str(f.get('file') or '') + ':' + str((f.get('lines') or [''])[0]))}" if f.get("file") else "")
            + (f" · controls {', '.join(md_code(c) for c in f['controls'])}" if f.get("controls") else "")
            for f in bad[:MAX_ITEMS]
        ]
        if len(bad) > MAX_ITEMS:
            items.append(f"- … {len(bad) - MAX_ITEMS} more in checkov.json")
        out.append(
            f"<details open><summary>❌ <b>checkov {md_html(scan.scope)}</b> · {len(bad)} failed</summary>\n\n"
            + "\n".join(items)
            + "\n\n</details>"
        )
    return ["### ❌ checkov failures", *out] if out else []


def drills(journals: list[dict[str, Any]] | None) -> list[str]:
    out = []
    for drill in sorted(journals or [], key=drill_passed):  # failing drills first
        v = drill_verdict(drill)
        text = (
            f"### Drill: {md_text(drill.get('title', ''))} {'✅' if drill_passed(drill) else '❌'}\n\n"
            f"downtime **{md_text(drill_measure(v, 'downtime_s', 's'))}** (limit {md_text(drill_measure(v, 'max_downtime_s', 's'))}) · "
            f"steady state back after **{md_text(drill_measure(v, 'time_to_steady_s', 's'))}** · "
            f"acknowledged writes {md_text(drill_measure(v, 'acknowledged'))} "
            f"({md_text(v.get('acknowledged_without_replica', 0))} without a replica's confirmation) · "
            f"lost **{md_text(drill_measure(v, 'lost'))}**"
        )
        reasons = v.get("reasons") or []
        if reasons:
            text += "\n\n" + "\n".join(f"- {md_text(r)}" for r in (reasons if isinstance(reasons, list) else [reasons])[:MAX_ITEMS])
        out.append(text)
    return out


def matrix(run: Assessment) -> list[str]:
    """The controls table, one section: a cut report drops it whole, never splits it into rows that lose their head."""
    head = (
        "| requirement | control | "
        + " | ".join(md_text(e.name) for e in run.environments)
        + " |\n|---|---|"
        + "---|" * len(run.environments)
    )
    rows = []
    for control in run.catalogue.values():
        reqs = ", ".join(control.requirements) or f"({control.family})"
        rows.append(
            f"| {md_text(reqs)} | {md_text(control.id)} {md_text(control.title)} | "
            + " | ".join("⏭️" if control.id in run.skipped else ICON[e.status_of(control.id)] for e in run.environments)
            + " |"
        )
    return [f"{MATRIX_TITLE}\n\n" + head + "\n" + "\n".join(rows)]


def waivers(run: Assessment) -> list[str]:
    used = run.waivers.report()["used"]
    if not used:
        return []
    return [
        "### Waivers in use\n\n"
        + "\n".join(
            f"- {md_code(w['control'])} {md_code(w['address'])} until {md_text(w['expires'])} "
            f"({md_text(w['owner'])}, {md_text(w['ticket'])}): {md_text(w['reason'])}"
            for w in used
        )
    ]


def scanners(run: Assessment) -> list[str]:
    return ["\n".join(f"- {md_text(scan.summary_line())}" for scan in run.checkov)] if run.checkov else []


def sections(run: Assessment, journals: list[dict[str, Any]] | None = None) -> list[str]:
    """Every section, most important first."""
    return [
        *header(run),
        *waiver_problems(run),
        *failures(run),
        *checkov_failures(run),
        *drills(journals),
        *matrix(run),
        *waivers(run),
        *scanners(run),
    ]


def _title(part: str) -> str:
    """What a section is, for the note that says it was left out: its heading, else its first words."""
    first = part.strip().splitlines()[0] if part.strip() else ""
    if first.startswith("#"):
        return first.lstrip("# ").strip()
    # a <summary> holds HTML-escaped data that markdown would read in a plain line: named by kind, never quoted
    return "a failure's details" if first.startswith("<details") else "a list"


def fit(parts: list[str], limit: int, where: str = "controls.json and report.html") -> str:
    """Whole sections in order while they fit under `limit` (a table is one section: kept whole or left out);
    a note names what was left out."""
    out: list[str] = []
    size = 0
    for i, part in enumerate(parts):
        piece = part + "\n\n" + SECTION + "\n\n"
        rest = parts[i:]
        names = ", ".join(dict.fromkeys(_title(p) for p in rest))
        note = f"… {len(rest)} more section(s) left out to fit a PR comment ({names}); everything is in {where}.\n"
        if len(note) > 1000:
            note = f"… {len(rest)} more section(s) left out to fit a PR comment; everything is in {where}.\n"
        rest_fits = size + len(piece) + (len(note) if i < len(parts) - 1 else 0) <= limit
        if not rest_fits:
            out.append(note if size + len(note) <= limit else "")
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)


def render(run: Assessment, journals: list[dict[str, Any]] | None = None, limit: int = LIMIT) -> str:
    return fit([MARKER, *sections(run, journals)], limit)


def passed(report: str) -> bool:
    """A report.md passed only when its first heading is tapguard's PASS heading (anything else, or none, is a failure)."""
    for line in report.splitlines():
        if line.startswith("## "):
            return line.strip() == PASS_HEADING
    return False


def _code_spans(text: str) -> list[str]:
    """The contents of the inline code spans in `text`, read as CommonMark does: a run of n backticks opens a span that
    the next run of exactly n closes; one space each side is stripped when both are there (md_code pads that way)."""
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", text)]
    spans: list[str] = []
    k = 0
    while k < len(runs):
        start, end = runs[k]
        close = next((j for j in range(k + 1, len(runs)) if runs[j][1] - runs[j][0] == end - start), None)
        if close is None:
            k += 1
            continue
        inner = text[end : runs[close][0]]
        if inner[:1] == inner[-1:] == " " and inner.strip(" "):
            inner = inner[1:-1]
        spans.append(inner)
        k = close + 1
    return spans


def _environments(report: str) -> list[str]:
    """The environments a report names in its header (shown again as code, whatever they hold)."""
    for line in report.splitlines():
        if line.startswith("Commit ") and "environments: " in line:
            return _code_spans(line.split("environments: ", 1)[1])
    return []


def comment(reports: list[str], limit: int = COMMENT_LIMIT) -> str:
    """One PR comment from several report.md: the worst verdict first (FAIL if any report failed), failing reports
    first, each report an equal share (unused share goes to the others), cut at its section boundaries, so each
    environment's table is whole or left out with a note."""
    verdicts = [passed(text) for text in reports]
    order = sorted(range(len(reports)), key=lambda i: verdicts[i])  # failing reports first, otherwise as given
    failing = [md_code(name, 100) for i in order if not verdicts[i] for name in _environments(reports[i])[:MAX_ITEMS]]
    if all(verdicts) and reports:
        lead = f"## tapguard: ✅ **PASS** · {len(reports)} report(s), all passed"
    else:
        lead = f"## tapguard: ❌ **FAIL** · {verdicts.count(False)} of {len(reports)} report(s) failed" + (
            f": {', '.join(failing)}" if failing else ""
        )
    # a boundary is the marker on its own line: data never holds a newline, so a value quoting the marker splits nothing
    split = [[s.strip() for s in reports[i].split(f"\n{SECTION}\n") if s.strip() and s.strip() != MARKER] for i in order]
    head = MARKER + "\n\n" + lead + "\n\n"
    budget = limit - len(head) - 2 * len(reports)
    sizes = sorted(range(len(split)), key=lambda i: sum(len(s) + len(SECTION) + 4 for s in split[i]))
    shares: dict[int, int] = {}
    left = budget
    for n, i in enumerate(sizes):
        share = left // (len(sizes) - n)
        shares[i] = share
        left -= min(share, sum(len(s) + len(SECTION) + 4 for s in split[i]) + 200)
    body = "\n\n".join(fit(split[i], shares[i], "each environment's evidence bundle").strip() for i in range(len(split)))
    text = head + body + "\n"
    assert len(text) <= limit, "shares add up to the limit"
    return text
