"""report.md and the PR comment pinned down where mutation testing found them loose: every section word for word.

A two-control catalogue of its own (so a catalogue edit elsewhere does not move these strings) over two environments;
each section's exact text, the 20-item cuts, the section-fitting note and the comment's verdict line and shares.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Finding
from tapguard.controls.assessment import Assessment, Coverage, EnvironmentResult
from tapguard.controls.checkov import CheckovResult
from tapguard.controls.engine import Control
from tapguard.controls.waivers import Waiver, WaiverSet
from tapguard.evidence import markdown

CATALOGUE = {
    "Z1": Control("Z1", "Storage is encrypted", "data", ("3.5.1", "3.6.1"), "high", "r", "set `storage_encrypted`", {}),
    "Z2": Control("Z2", "Trail on", "logging", (), "low", "r", "add a trail", {}),
}


def env(name: str, findings: list[Finding], region: str = "eu-west-1", summary: dict[str, Any] | None = None) -> EnvironmentResult:
    return EnvironmentResult(
        name=name,
        plan_path=Path(f"/p/{name}.json"),
        plan_sha256="0" * 64,
        terraform_version="1.11.0",
        region=region,
        summary={"add": 3, "change": 1, "destroy": 0} if summary is None else summary,
        findings=findings,
        hcl_dirs=[],
        module_sources={},
    )


def run(environments: list[EnvironmentResult], **kwargs: Any) -> Assessment:
    arguments: dict[str, Any] = {"waivers": WaiverSet(source=None, valid=[], problems=[]), "git_sha": "abc123"} | kwargs
    return Assessment(started=dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), environments=environments, catalogue=CATALOGUE, **arguments)


def failing(name: str = "prod") -> EnvironmentResult:
    return env(
        name,
        [
            Finding("Z1", name, "aws_rds_cluster.db", "storage_encrypted", FAIL, False, True, "not encrypted"),
            Finding("Z1", name, "aws_s3_bucket.b", "", UNKNOWN, "(known after apply)", "a CMK", "unknown at plan"),
            Finding("Z1", name, "aws_s3_bucket.w", "kms", FAIL, None, "x", "waived one", waiver={"reason": "r"}),
            Finding("Z1", name, "aws_s3_bucket.p", "kms", PASS, "k", "k", "fine"),
            Finding("Z2", name, "(no trail)", "", NOT_APPLICABLE, None, "x", "n/a"),
        ],
    )


def passing(name: str = "dev") -> EnvironmentResult:
    return env(name, [Finding("Z1", name, "aws_rds_cluster.db", "storage_encrypted", PASS, True, True, "ok")], region="", summary={})


def test_the_header_of_a_failing_and_a_passing_run() -> None:
    assert markdown.header(run([failing(), passing()])) == [
        "## tapguard: PCI DSS v4.0.1 compliance ❌ **FAIL**\n\n"
        "Commit `abc123` · 2026-01-02 03:04 UTC · 2 controls · environments: `prod`, `dev`\n\n"
        "| environment | region | plan (add/change/destroy) | pass | fail | waived | n/a |\n"
        "|---|---|---|---|---|---|---|\n"
        "| prod | eu-west-1 | 3/1/0 | 0 | 1 | 0 | 1 |\n"
        "| dev | - | ?/?/? | 2 | 0 | 0 | 0 |\n"
    ]
    assert markdown.header(run([passing()]))[0].startswith("## tapguard: PCI DSS v4.0.1 compliance ✅ **PASS**\n\nCommit `abc123` ·")


def test_waiver_problems_are_listed_by_address() -> None:
    problem = Finding("Z1", "*", "waivers.yaml#2", "", FAIL, None, None, "expired on 2025-01-01")
    waivers = WaiverSet(source=None, valid=[], problems=[problem, dataclasses.replace(problem, address="waivers.yaml#5", message="no *")])
    assert markdown.waiver_problems(run([passing()], waivers=waivers)) == [
        "### ⛔ Waiver problems\n\n- `waivers.yaml#2`: expired on 2025-01-01\n- `waivers.yaml#5`: no \\*"
    ]
    assert markdown.waiver_problems(run([passing()])) == []


def test_each_failing_control_is_one_details_section_with_its_unwaived_findings() -> None:
    sections = markdown.failures(run([failing(), passing()]))
    assert sections == [
        "### ❌ tapguard failures (1)",
        "<details><summary>❌ <b>Z1</b> Storage is encrypted · prod · PCI DSS 3.5.1, 3.6.1 · 2 finding(s)</summary>\n\n"
        "- `aws_rds_cluster.db` `storage_encrypted`: not encrypted; actual `false`, expected True\n"
        '- `aws_s3_bucket.b` : unknown at plan; actual `"(known after apply)"`, expected a CMK\n\n'
        "**Remediation.** set `storage_encrypted`\n\n</details>",
    ]
    assert markdown.failures(run([passing()])) == []


def test_a_control_without_requirements_names_its_family_and_more_than_20_findings_are_cut() -> None:
    many = [Finding("Z2", "prod", f"aws_x.r{n:02d}", "a", FAIL, 1, 2, "bad") for n in range(23)]
    [title, section] = markdown.failures(run([env("prod", many)]))
    assert title == "### ❌ tapguard failures (1)"
    assert section.startswith("<details><summary>❌ <b>Z2</b> Trail on · prod · PCI DSS logging · 23 finding(s)</summary>\n\n")
    items = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(items) == 21 and items[19].startswith("- `aws_x.r19`") and items[20] == "- … 3 more in controls.json"
    exactly = markdown.failures(run([env("prod", many[:20])]))[1]
    assert "more in controls.json" not in exactly and exactly.count("\n- ") == 20


def checkov_item(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "check_id": f"CKV_{n}",
        "check_name": "Ensure X",
        "resource": "aws_x.y",
        "file": "/m/main.tf",
        "lines": [7, 9],
        "status": "failed",
    } | fields


def test_checkov_failures_each_scan_one_section_unavailable_scans_skipped() -> None:
    scans = [
        CheckovResult(
            "hcl", True, failed=[checkov_item(1, controls=["Z1", "Z2"]), checkov_item(2, file=None, check_name=None, resource=None)]
        ),
        CheckovResult("plan:prod", False, failed=[checkov_item(3)]),
        CheckovResult("plan:dev", True, failed=[checkov_item(4, lines=None)]),
    ]
    assert markdown.checkov_failures(run([passing()], checkov=scans)) == [
        "### ❌ checkov failures",
        "<details open><summary>❌ <b>checkov hcl</b> · 2 failed</summary>\n\n"
        "- `CKV_1` Ensure X · `aws_x.y` · `/m/main.tf:7` · controls `Z1`, `Z2`\n"
        "- `CKV_2`  · ` `\n\n</details>",
        "<details open><summary>❌ <b>checkov plan:dev</b> · 1 failed</summary>\n\n"
        "- `CKV_4` Ensure X · `aws_x.y` · `/m/main.tf:`\n\n</details>",
    ]
    assert markdown.checkov_failures(run([passing()], checkov=[scans[1]])) == []


def test_more_than_20_checkov_failures_are_cut() -> None:
    scan = CheckovResult("hcl", True, failed=[checkov_item(n) for n in range(22)])
    section = markdown.checkov_failures(run([passing()], checkov=[scan]))[1]
    items = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(items) == 21 and items[-1] == "- … 2 more in checkov.json" and "· 22 failed</summary>" in section
    exactly = CheckovResult("hcl", True, failed=[checkov_item(n) for n in range(20)])
    assert "more in checkov.json" not in markdown.checkov_failures(run([passing()], checkov=[exactly]))[1]


def test_drills_failing_first_with_their_measures_and_reasons() -> None:
    journals = [
        {"title": "redis kill", "verdict": {"passed": True, "downtime_s": 1.25, "max_downtime_s": 30, "lost": 0, "acknowledged": 40}},
        {"title": "pg kill", "verdict": {"passed": False, "reasons": [f"r{n}" for n in range(22)], "acknowledged_without_replica": 3}},
        {"verdict": {"passed": False, "reasons": "one reason"}},
    ]
    out = markdown.drills(journals)
    assert out[0] == (
        "### Drill: pg kill ❌\n\ndowntime **unknown** (limit unknown) · steady state back after **unknown** · "
        "acknowledged writes unknown (3 without a replica's confirmation) · lost **unknown**\n\n" + "\n".join(f"- r{n}" for n in range(20))
    )
    assert out[1].startswith("### Drill:  ❌\n\n") and out[1].endswith("lost **unknown**\n\n- one reason")
    assert out[2] == (
        "### Drill: redis kill ✅\n\ndowntime **1\\.25 s** (limit 30 s) · steady state back after **unknown** · "
        "acknowledged writes 40 (0 without a replica's confirmation) · lost **0**"
    )
    assert markdown.drills(None) == [] and markdown.drills([]) == []


def test_the_matrix_is_one_section_with_skipped_controls_marked() -> None:
    assert markdown.matrix(run([failing(), passing()], skipped={"Z2": "--skip-check"})) == [
        "### Controls by requirement\n\n"
        "| requirement | control | prod | dev |\n|---|---|---|---|\n"
        "| 3\\.5.1, 3.6.1 | Z1 Storage is encrypted | ❌ | ✅ |\n"
        "| (logging) | Z2 Trail on | ⏭️ | ⏭️ |"
    ]
    assert markdown.matrix(run([failing()]))[0].endswith("| (logging) | Z2 Trail on | ➖ |")


def test_waivers_in_use_and_scanner_summaries() -> None:
    used = Waiver(1, "Z1", "aws_s3_bucket.w", "legacy", "team", "T-1", dt.date(2027, 1, 1), used=2)
    unused = Waiver(2, "Z2", "x", "r", "o", "t", dt.date(2027, 1, 1))
    waivers = WaiverSet(source=None, valid=[used, unused], problems=[])
    assert markdown.waivers(run([passing()], waivers=waivers)) == [
        "### Waivers in use\n\n- `Z1` `aws_s3_bucket.w` until 2027-01-01 (team, T-1): legacy"
    ]
    assert markdown.waivers(run([passing()])) == []
    scans = [CheckovResult("hcl", True, failed=[checkov_item(1)]), CheckovResult("plan:dev", True)]
    assert markdown.scanners(run([passing()], checkov=scans)) == [
        "- checkov hcl: 0 passed, 1 failed, 0 waived, 0 unverifiable at plan, 0 suppressed in code\n"
        "- checkov plan:dev: 0 passed, 0 failed, 0 waived, 0 unverifiable at plan, 0 suppressed in code"
    ]
    assert markdown.scanners(run([passing()])) == []


def test_sections_come_in_priority_order() -> None:
    problem = Finding("Z1", "*", "waivers.yaml#2", "", FAIL, None, None, "expired")
    used = Waiver(1, "Z1", "aws_s3_bucket.w", "legacy", "team", "T-1", dt.date(2027, 1, 1), used=1)
    full = run(
        [failing()],
        waivers=WaiverSet(source=None, valid=[used], problems=[problem]),
        checkov=[CheckovResult("hcl", True, failed=[checkov_item(1)])],
    )
    heads = [s.splitlines()[0] for s in markdown.sections(full, [{"title": "d", "verdict": {"passed": True}}])]
    starts = [
        "## tapguard: PCI DSS v4.",
        "### ⛔ Waiver problems",
        "### ❌ tapguard failures (1)",
        "<details><summary>❌ <b>Z",
        "### ❌ checkov failures",
        "<details open><summary>❌",
        "### Drill: d ✅",
        "### Controls by requirem",
        "### Waivers in use",
        "- checkov hcl: 0 passed, ",
    ]
    assert len(heads) == len(starts) and all(head.startswith(start) for head, start in zip(heads, starts, strict=True)), heads


def test_fit_keeps_whole_sections_and_names_what_it_left_out() -> None:
    parts = ["### One\n\n" + "a" * 50, "<details><summary>x</summary></details>", "- an item", "### Four"]
    whole = "".join(p + "\n\n<!-- tapguard:section -->\n\n" for p in parts)
    assert markdown.fit(parts, 10_000) == whole
    assert markdown.fit(parts, len(whole)) != whole  # room is kept for the note while sections remain after this one
    first = parts[0] + "\n\n<!-- tapguard:section -->\n\n"
    tail = "left out to fit a PR comment ({}); everything is in controls.json and report.html.\n"
    four = "… 4 more section(s) " + tail.format("One, a failure's details, a list, Four")
    three = "… 3 more section(s) " + tail.format("a failure's details, a list, Four")
    # a section is kept when it and the note for everything from it on both fit
    assert markdown.fit(parts, len(first) + len(four)) == first + three
    assert markdown.fit(parts, len(first) + len(four) - 1) == four
    assert markdown.fit(parts, len(four)) == four
    assert markdown.fit(parts, len(four) - 1) == ""
    assert markdown.fit(["### A", "### B"], 10, "x") == ""
    assert markdown.fit(["### " + "n" * 2000, "### B"], 400, "the bundle") == (
        "… 2 more section(s) left out to fit a PR comment; everything is in the bundle.\n"
    )


def test_fit_does_not_reserve_a_note_for_the_last_section() -> None:
    piece = "### A\n\n<!-- tapguard:section -->\n\n"
    note = "… 2 more section(s) left out to fit a PR comment (A, B); everything is in controls.json and report.html.\n"
    assert markdown.fit(["### A", "### B"], len(piece) + len(note)) == piece + "### B\n\n<!-- tapguard:section -->\n\n"
    assert markdown.fit(["### A", "### B"], len(piece) + len(note) - 1) == note


def test_section_titles_for_the_note() -> None:
    assert markdown._title("### ❌ tapguard failures (3)\nbody") == "❌ tapguard failures (3)"
    assert markdown._title("  ## Two words  \nx") == "Two words"
    assert markdown._title("<details><summary>x") == "a failure's details"
    assert markdown._title("- item") == "a list"
    assert markdown._title("   ") == "a list"


def test_render_starts_with_the_marker_and_passed_reads_the_first_heading() -> None:
    report = markdown.render(run([passing()]))
    assert report.startswith("<!-- tapguard-report -->\n\n<!-- tapguard:section -->\n\n## tapguard: PCI DSS v4.0.1 compliance ✅ **PASS**")
    assert markdown.passed(report) and not markdown.passed(markdown.render(run([failing()])))
    assert not markdown.passed("no heading") and not markdown.passed("### x\n## tapguard: PCI DSS v4.0.1 compliance ✅ **PASS** extra")
    assert markdown.passed("text\n## tapguard: PCI DSS v4.0.1 compliance ✅ **PASS**  \n## other")
    assert len(markdown.render(run([failing()]), limit=200)) <= 200


def test_the_environments_a_report_names() -> None:
    assert markdown._environments("x\nCommit `a` · environments: `prod`, `x y`\n") == ["prod", "x y"]
    assert markdown._environments("Commit without the list\nenvironments: `x`") == []


def test_one_comment_from_several_reports_worst_first() -> None:
    good, bad = markdown.render(run([passing("dev")])), markdown.render(run([failing("prod"), failing("stage")]))
    text = markdown.comment([good, bad])
    lead = "<!-- tapguard-report -->\n\n## tapguard: ❌ **FAIL** · 1 of 2 report(s) failed: `prod`, `stage`\n\n"
    assert text.startswith(lead + "## tapguard: PCI DSS v4.0.1 compliance ❌ **FAIL**")
    assert text.index("`prod`, `stage`\n\n| environment") > text.index(lead) and text.endswith("\n")
    assert text.count("<!-- tapguard-report -->") == 1
    passed = markdown.comment([good, good])
    assert passed.startswith("<!-- tapguard-report -->\n\n## tapguard: ✅ **PASS** · 2 report(s), all passed\n\n## tapguard: PCI DSS")
    assert markdown.comment([]) == "<!-- tapguard-report -->\n\n## tapguard: ❌ **FAIL** · 0 of 0 report(s) failed\n\n\n"
    nameless = markdown.comment(["## tapguard: PCI DSS v4.0.1 compliance ❌ **FAIL**"])
    assert "## tapguard: ❌ **FAIL** · 1 of 1 report(s) failed\n\n" in nameless


@pytest.mark.parametrize("limit", [3_000, 6_000, 65_000])
def test_the_comment_shares_the_limit_and_keeps_each_report_whole_or_noted(limit: int) -> None:
    small = markdown.render(run([passing("dev")]))
    big = markdown.render(run([failing(f"env{n}") for n in range(30)]))
    text = markdown.comment([small, big], limit=limit)
    assert len(text) <= limit
    assert "## tapguard: PCI DSS v4.0.1 compliance ✅ **PASS**" in text  # the small report fits in its share
    assert ("section(s) left out" in text) is (limit < len(small) + len(big))
    if "left out" in text:
        assert "everything is in each environment's evidence bundle." in text


def test_the_environments_line_is_split_at_its_first_label_only() -> None:
    line = "Commit `a` · environments: `x`, `environments: y`, `z`"
    assert markdown._environments(line) == ["x", "environments: y", "z"]


def test_a_heading_title_keeps_its_own_letters() -> None:
    assert markdown._title("### Xylophone XX") == "Xylophone XX"


def test_a_long_environment_name_is_cut_at_100_characters_in_the_comment_lead() -> None:
    report = markdown.render(run([failing("n" * 150)]))
    lead = markdown.comment([report]).splitlines()[2]
    cut = "`" + "n" * 62 + "…[cut: 150 chars, sha256 11c3e5de2a15]`"  # 100 characters in all
    assert lead == "## tapguard: ❌ **FAIL** · 1 of 1 report(s) failed: " + cut


def comment_needs(reports: list[str]) -> int:
    """The smallest limit at which the comment leaves no section out."""
    limit = 1000
    while "left out" in markdown.comment(reports, limit=limit):
        limit += 1
    return limit


def test_every_report_gets_its_room_whatever_their_order() -> None:
    big = markdown.render(run([failing(f"env{n}") for n in range(8)]))
    small = markdown.render(run([passing("dev")]))
    # the small report takes what it needs (its size plus 200), the big one the rest: 4,798 characters hold both
    assert comment_needs([big, small]) == comment_needs([small, big]) == 4798
    text = markdown.comment([small, big], limit=4798)
    assert "<!-- tapguard:section -->\n\n## tapguard: PCI DSS v4.0.1 compliance ✅ **PASS**" in text and text.endswith(
        "<!-- tapguard:section -->\n"
    )
    assert text.index("compliance ❌ **FAIL**") < text.index("compliance ✅ **PASS**")  # failing reports first


def test_a_drill_reports_when_steady_state_was_back() -> None:
    [text] = markdown.drills([{"title": "t", "verdict": {"passed": True, "time_to_steady_s": 3.5}}])
    assert "steady state back after **3\\.5 s** ·" in text


@pytest.mark.parametrize(("length", "long_note"), [(1000, True), (1001, False)])
def test_the_note_names_sections_up_to_1000_characters(length: int, long_note: bool) -> None:
    short = "… 2 more section(s) left out to fit a PR comment; everything is in controls.json and report.html.\n"
    filler = length - len(short) - len(" ()") - len(", B")
    parts = ["### " + "n" * filler, "### B"]
    named = f"… 2 more section(s) left out to fit a PR comment ({'n' * filler}, B); everything is in controls.json and report.html.\n"
    assert len(named) == length
    assert markdown.fit(parts, 1001) == (named if long_note else short)


def test_the_last_section_needs_only_its_own_room() -> None:
    parts = ["### A", "- " + "b" * 300]
    pieces = [p + "\n\n<!-- tapguard:section -->\n\n" for p in parts]
    assert markdown.fit(parts, len(pieces[0]) + len(pieces[1])) == "".join(pieces)


def test_coverage_lines_follow_the_table() -> None:
    covered = failing()
    covered.coverage = Coverage(assessed=7, total=9, unassessed_types=("aws_x", "aws_y"))
    text = markdown.header(run([covered, passing()]))[0]
    assert text.endswith(
        "| dev | - | ?/?/? | 2 | 0 | 0 | 0 |\n\nCoverage `prod`: 7/9 resources assessed; unassessed types: aws\\_x, aws\\_y"
    )


def test_render_includes_the_drills() -> None:
    report = markdown.render(run([passing()]), [{"title": "pg kill", "verdict": {"passed": True}}])
    assert "### Drill: pg kill ✅" in report


def test_every_waiver_in_use_is_one_line() -> None:
    first = Waiver(1, "Z1", "a", "r1", "o", "t", dt.date(2027, 1, 1), used=1)
    second = Waiver(2, "Z2", "b", "r2", "o", "t", dt.date(2027, 1, 1), used=3)
    [text] = markdown.waivers(run([passing()], waivers=WaiverSet(source=None, valid=[first, second], problems=[])))
    assert text.splitlines()[2:] == ["- `Z1` `a` until 2027-01-01 (o, t): r1", "- `Z2` `b` until 2027-01-01 (o, t): r2"]
