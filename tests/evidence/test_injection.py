"""Data stays data in every output: hostile strings in every field kind of a real assessment.

Each injection string is placed at once in every field a pull-request author controls: a resource
address, its attribute and message, the region, an unassessed resource type, a waiver's address,
owner, ticket and reason, a waiver problem, a checkov id and resource, and a drill's title,
component, reasons and downtime. Then, per output:

- report.md, rendered by a CommonMark parser, has the same HTML structure (tags in order) as the
  same report with a plain word in those fields: no HTML, heading, comment, link, emphasis or list
  from data; no @mention or #reference outside code; each field shown as written;
- the console report shows each value literally (markup and emoji codes not read), no line starts
  with `::`, no `##[`, no control character;
- junit.xml parses and validates against junit-10.xsd; results.sarif validates (sarif_pydantic);
- report.html carries the strict CSP, and data is escaped text (no `<script` anywhere).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import html as htmllib
import io
import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markupsafe import escape
from rich.console import Console

from tapguard.cli.outputs import cli_report
from tapguard.controls import FAIL, Finding, assessment
from tapguard.controls.assessment import Assessment, Coverage
from tapguard.controls.checkov import CheckovResult
from tapguard.controls.waivers import Waiver, WaiverSet
from tapguard.evidence import html, junit, markdown, sarif
from tapguard.evidence.text import field, log_line
from tapguard.planning import project

HERE = Path(__file__).parent
BENIGN = "plainvalue"
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

INJECTIONS: list[tuple[str, str]] = [
    ("script", "<script>alert(1)</script>"),
    ("img-onerror", '<img src=x onerror="alert(1)">'),
    ("raw-html-block", "<div>\n<b>bold</b>\n</div>"),
    ("html-comment", "<!-- hide the rest"),
    ("comment-closed", "x --><script>1</script><!--"),
    ("section-marker", "<!-- tapguard:section -->"),
    ("report-marker", "\n\n<!-- tapguard-report -->\n\n"),
    ("heading-after-newline", "x\n## ✅ all drills passed"),
    ("heading", "# Verdict: PASS"),
    ("setext", "title\n====="),
    ("thematic-break", "---"),
    ("list", "- [x] approved"),
    ("ordered-list", "1. first"),
    ("blockquote", "> quoted"),
    ("indented-code", "    code block"),
    ("fence", "```\ncode\n```"),
    ("mention-everyone", "@everyone"),
    ("mention-team", "ping @acme/security-team now"),
    ("issue-reference", "see acme/repo#1 and #2"),
    ("backtick", "`"),
    ("backticks-unbalanced", "a``b`c```"),
    ("pipe", "a | b | c"),
    ("table-row", "|x|y|\n|---|---|"),
    ("emphasis", "*bold* _it_ ~~gone~~"),
    ("link", "[click](https://evil.example)"),
    ("image", "![x](https://evil.example/x.png)"),
    ("autolink", "<https://evil.example>"),
    ("math", "$\\begin{x}$"),
    ("details", "</details></summary><details open>"),
    ("gh-error-after-newline", "x\n::error::forged failure"),
    ("gh-add-mask", "\n::add-mask::secret"),
    ("gh-command-first", "::warning file=a.tf::forged"),
    ("gh-command-v1", "##[error]forged"),
    ("gh-stop-commands", "::stop-commands::tok"),
    ("crlf", "a\r\n::error::x"),
    ("esc", "\x1b[31mred\x1b[0m\x1b]0;title\x07"),
    ("nul", "nul\x00byte"),
    ("vtab-ff", "a\x0bb\x0cc"),
    ("c1-csi", "a\x9b31mb\x85c"),
    ("nonchar", "x\ufffey\uffff"),
    ("lone-surrogate", "bad\ud800pair\udfff"),
    ("line-separator", "a\u2028b\u2029c"),
    ("rtl-override", "aws_s3_bucket.\u202egnp.exe"),
    ("zero-width", "a\u200bb\ufeffc"),
    ("rich-markup", "[red]us-west-2[/red]"),
    ("rich-close", "[/]"),
    ("rich-link", "[link=https://evil.example]safe[/link]"),
    ("rich-bracket-region", "[us-west-2]"),
    ("emoji-code", "arn:aws:secretsmanager:us-east-1:1:secret:db-:secret:"),
    ("backslash", "a\\b\\"),
    ("entity", "&lt;script&gt; &#64;everyone"),
    ("quotes", "\"'\"'"),
    ("xml-cdata", "]]><x/><![CDATA["),
    ("xml-entity", '<!DOCTYPE x [<!ENTITY e "e">]>&e;'),
    ("json-break", '"},{"ruleId":"X'),
    ("empty", ""),
    ("spaces", "   "),
    ("long", "m" * 100_000),
    ("long-with-newlines", "z\n" * 30_000),
]
assert len(INJECTIONS) >= 40


@pytest.fixture(scope="module")
def small_run(env_plans: dict[str, Path], root: Path) -> Assessment:
    """The real run of one environment, with a handful of its real findings (fast to render many times)."""
    run = assessment.assess(root, project.environments(root), env_plans, None, use_checkov=False)
    env = run.environments[0]
    keep = {c for c in list(run.catalogue)[:6]}
    return dataclasses.replace(run, environments=[dataclasses.replace(env, findings=[f for f in env.findings if f.control in keep][:30])])


def hostile(base: Assessment, value: str) -> Assessment:
    """`base` with `value` in every field kind a pull-request author controls."""
    env = base.environments[0]
    control = next(iter(base.catalogue))
    waiver = Waiver(0, control, value, value, value, value, dt.date(2099, 1, 1), used=1)
    findings = [
        *env.findings,
        Finding(control, env.name, value, value, FAIL, value, value, value),
        Finding(control, env.name, value + "-waived", "", FAIL, None, "x", value, waiver=waiver.as_dict()),
    ]
    problem = Finding("WAIVERS", env.name, value, "", FAIL, None, None, value)
    scan = CheckovResult(
        "hcl",
        True,
        failed=[
            {
                "check_id": value,
                "check_name": value,
                "resource": value,
                "file": value,
                "lines": [3],
                "status": "failed",
                "controls": [value],
                "requirements": [value],
                "message": value,
            }
        ],
    )
    run = copy.copy(base)
    run.environments = [dataclasses.replace(env, region=value, findings=findings, coverage=Coverage(1, 2, (value, "aws_thing")))]
    run.waivers = WaiverSet(source=None, valid=[waiver], problems=[problem])
    run.checkov = [scan]
    run.drills = [
        {
            "title": value,
            "component": value,
            "start": "2026-01-01T00:00:00+00:00",
            "end": "2026-01-01T00:00:10+00:00",
            "verdict": {"passed": "false", "reasons": [value, value], "downtime_s": value, "max_downtime_s": 30},
        }
    ]
    return run


@cache
def parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def structure(rendered: str) -> list[str]:
    """The tags of a rendered document in order (their names, not their text or attributes)."""
    return re.findall(r"</?([a-zA-Z][\w-]*)", re.sub(r"<!--.*?-->", "<comment>", rendered, flags=re.S))


def outside_code(rendered: str) -> str:
    return htmllib.unescape(re.sub(r"<code>.*?</code>|<[^>]+>", " ", rendered, flags=re.S))


def squash(s: str) -> str:
    return " ".join(s.split())


_BENIGN: dict[int, list[str]] = {}  # id of a base run -> report.md's structure with a plain word in every field


def check_markdown(base: Assessment, run: Assessment, value: str, root: Path) -> None:
    """report.md: the structure of a plain word's report; no mention or reference outside code; each field shown as written."""
    if id(base) not in _BENIGN:
        plain = hostile(base, BENIGN)
        _BENIGN[id(base)] = structure(parser().render(markdown.render(plain, plain.drills, limit=10**8)))
    rendered = parser().render(markdown.render(run, run.drills, limit=10**8))
    if value:  # an empty attribute is left out, not shown as empty code
        assert structure(rendered) == _BENIGN[id(base)], "data changed report.md's structure"
    prose = outside_code(rendered)
    assert not re.search(r"@[A-Za-z0-9]", prose) and not re.search(r"(?<![&\w])#\d", prose), "a mention or reference from data"
    shown = field(value)
    if shown.strip():
        assert squash(shown) in squash(prose.replace("\u200d", "")), "a prose field is not shown as written"


def check_console(base: Assessment, run: Assessment, value: str, root: Path) -> None:
    """The console: each value literal (markup and emoji codes not read), no workflow command, no control character."""
    buffer = io.StringIO()
    cli_report(run, False, ["[bold]verdict: FAIL[/]"], Console(file=buffer, width=100_000, no_color=True, soft_wrap=False))
    out = buffer.getvalue()
    assert log_line(value) in out, "the console does not show the value as written"
    assert "verdict: FAIL" in out and "[bold]" not in out, "the command's own markup is still read"
    assert not any(line.lstrip().startswith("::") for line in out.splitlines()), "a workflow command starts a line"
    assert "##[" not in out
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\ud800-\udfff]", out), "a control character reached the log"


def check_junit(base: Assessment, run: Assessment, value: str, root: Path) -> None:
    """junit.xml parses, is valid for Jenkins, names the drill by the value (visible, capped) and fails it."""
    from tests.evidence.test_outputs import jenkins_valid

    xml_text = junit.render(run, root)
    tree = ET.fromstring(xml_text)
    jenkins_valid(xml_text)  # junit-10.xsd, but for file/line on a testcase (where GitLab reads them)
    case = tree.find("testsuite[@name='drills']/testcase")
    # a drill is named by its fault (its title when the journal names none), never `unknown`
    assert case is not None and case.get("name") == (field(value.strip()) or "run-1")
    assert case.find("failure") is not None, "a drill whose passed is the string 'false' passed"
    assert not any(line.lstrip().startswith("::") for line in xml_text.splitlines()), "a workflow command starts a line"


def check_sarif(base: Assessment, run: Assessment, value: str, root: Path) -> None:
    """results.sarif is valid SARIF 2.1.0 and locates the finding by the value (visible, capped)."""
    from sarif_pydantic import Sarif

    data = json.loads(json.dumps(sarif.render(run, root)))
    Sarif.model_validate(data)
    names = [loc["fullyQualifiedName"] for r in data["runs"][0]["results"] for loc in r["locations"][0]["logicalLocations"]]
    assert field(value) in names


def check_html(base: Assessment, run: Assessment, value: str, root: Path) -> None:
    """report.html: the CSP, no script or image from data, the value escaped in place, no PASS for a string verdict."""
    page = html.render(run, run.drills)
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert str(escape(field(value))) in page
    assert "PASS</span>" not in page, "a drill whose passed is the string 'false' shows PASS"


def check_csv(base: Assessment, run: Assessment, value: str, root: Path) -> None:
    """findings.csv: RFC 4180 records, no cell a spreadsheet evaluates, the address shown as written (visible, capped)."""
    from tapguard.evidence import csv_report
    from tests.evidence.test_gitlab_csv import csv_safe

    table = csv_safe(csv_report.render(run, root))
    assert csv_report.cell(value) in {row["address"] for row in table}


def check_gitlab(base: Assessment, run: Assessment, value: str, root: Path) -> None:
    """gl-sast-report.json: valid for GitLab's SAST schema, the address listed as written (visible, capped)."""
    from tapguard.evidence import gitlab
    from tests.evidence.test_gitlab_csv import gitlab_valid

    data = gitlab_valid(json.dumps(gitlab.render(run, root)))
    assert any(field(value) in v["description"] for v in data["vulnerabilities"])


CHECKS = {
    "md": check_markdown,
    "cli": check_console,
    "junit": check_junit,
    "sarif": check_sarif,
    "html": check_html,
    "csv": check_csv,
    "gitlab": check_gitlab,
}


@pytest.mark.parametrize("medium", CHECKS)
@pytest.mark.parametrize(("name", "value"), INJECTIONS, ids=[n for n, _ in INJECTIONS])
def test_injection_stays_data(small_run: Assessment, root: Path, name: str, value: str, medium: str) -> None:
    CHECKS[medium](small_run, hostile(small_run, value), value, root)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.text(st.characters(exclude_categories=()), max_size=60) | st.text(alphabet="<>&@#`|*_[]()!:\\/-=~$\n\r ", max_size=30))
def test_any_text_stays_data_in_every_output(small_run: Assessment, root: Path, value: str) -> None:
    run = hostile(small_run, value)
    for check in CHECKS.values():
        check(small_run, run, value, root)


def test_only_a_real_true_is_a_passed_drill(small_run: Assessment) -> None:
    run = copy.copy(small_run)
    verdicts: list[Any] = [True, "false", "true", 1, None, "yes"]
    run.drills = [{"title": f"d{i}", "verdict": {"passed": p}} for i, p in enumerate(verdicts)] + [{"title": "no verdict", "verdict": "ok"}]
    heads = [line for line in markdown.render(run, run.drills).splitlines() if line.startswith("### Drill:")]
    assert len(heads) == len(run.drills) and sum(h.endswith("✅") for h in heads) == 1 and heads[-1] == "### Drill: d0 ✅"
    page = html.render(run, run.drills)
    assert page.count(">PASS</span>") == 1
    tree = ET.fromstring(junit.render(run))
    assert len(tree.findall("testsuite[@name='drills']/testcase/failure")) == len(run.drills) - 1


def test_a_huge_address_gives_bounded_outputs(small_run: Assessment, root: Path) -> None:
    """A 5 MB address (the issue's 50 MB, smaller for the test's time) leaves each output a few hundred KB at most."""
    from tapguard.evidence import controls_json

    run = hostile(small_run, "a" * 5_000_000)
    sizes = {
        "md": len(markdown.render(run, run.drills)),
        "html": len(html.render(run, run.drills)),
        "junit": len(junit.render(run, root)),
        "sarif": len(json.dumps(sarif.render(run, root))),
        "json": len(json.dumps(controls_json.render(run))),
    }
    buffer = io.StringIO()
    cli_report(run, False, [], Console(file=buffer, width=100_000, no_color=True))
    sizes["cli"] = len(buffer.getvalue())
    assert max(sizes.values()) < 300_000, sizes


def test_drills_page_has_the_csp_and_escapes_the_journal() -> None:
    drill = {"title": "<script>x</script>", "verdict": {"passed": "true", "reasons": ["\n::error::x"]}, "component": "[/]"}
    page = html.drills_page([drill], "<img src=x>")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page and "\\n::error::x" in page
    assert ">FAIL</span>" in page


def test_a_long_timeline_draws_a_bounded_svg_with_escaped_marks() -> None:
    from tapguard.evidence.timeline import MAX_BARS, svg

    n = 1_000_000
    picture = svg({"bucket_ms": 100, "ok": [1] * n, "fail": [0] * n, "p99_ms": [5.0] * n}, {"<script>inject\n": 3.0})
    assert picture.count("<rect") <= MAX_BARS and len(picture) < 500_000
    assert "<script" not in picture and "&lt;script&gt;inject\\n" in picture
