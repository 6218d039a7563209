"""tapguard.evidence.text, function by function: each expectation is exact, so a weaker escape fails it."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console
from rich.text import Text

from tapguard.controls import FAIL, Finding
from tapguard.evidence import text

ZWJ = "\u200d"


def test_cap_keeps_short_values_and_cuts_long_ones_with_their_length_and_hash() -> None:
    assert text.cap("x" * text.LIMIT) == "x" * text.LIMIT
    long = "a" * 10_000 + "b"
    out = text.cap(long)
    digest = hashlib.sha256(long.encode()).hexdigest()[: text.HASH_CHARS]
    assert len(out) == text.LIMIT
    assert out.startswith("a" * 1000) and out.endswith(f"…[cut: 10001 chars, sha256 {digest}]")
    assert text.cap("a" * 10_000 + "c") != out, "two long values that differ only past the cut stay apart"
    assert text.cap(12345, limit=3) != "123" and text.cap(12345) == "12345"


def test_cap_hashes_a_lone_surrogate_instead_of_failing() -> None:
    out = text.cap("\ud800" * 5000)
    assert "sha256" in out


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("\tx", "\\tx"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("nul\x00", "nul\\x00"),
        ("\x0b\x7f\x85\x9b", "\\x0b\\x7f\\x85\\x9b"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("abc\u202edcba", "abc\\u202edcba"),
        ("lone\ud800", "lone\\ud800"),
        ("non\ufffe\uffff\ufdd0", "non\\ufffe\\uffff\\ufdd0"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("plain ünïcode ✅ 日本", "plain ünïcode ✅ 日本"),
    ],
)
def test_visible_escapes_every_hidden_character_and_nothing_else(raw: str, shown: str) -> None:
    assert text.visible(raw) == shown


def test_visible_keeps_what_it_is_told_to() -> None:
    assert text.visible("a\nb\x00", keep="\n") == "a\nb\\x00"


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("x`y", "x\\`y"),
        ("*em* _u_ ~s~", "\\*em\\* \\_u\\_ \\~s\\~"),
        ("[link](https://x)", "\\[link\\](https://x)"),
        ("![img](x)", "!\\[img\\](x)"),
        ("<script>&amp;", "&lt;script&gt;&amp;amp;"),
        ("<!-- hide", "&lt;!-- hide"),
        ("## heading", f"\\#{ZWJ}#{ZWJ} heading"),
        ("a\n## heading", f"a\\\\n#{ZWJ}#{ZWJ} heading"),
        ("@everyone", f"@{ZWJ}everyone"),
        ("@org/team", f"@{ZWJ}org/team"),
        ("acme/repo#12", f"acme/repo#{ZWJ}12"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("1. item", "1\\. item"),
        ("12) item", "12\\) item"),
        ("= rule", "\\= rule"),
        ("> quote", "&gt; quote"),
        ("    code", "&#32;&#32;&#32;&#32;code"),
        ("\xa0", "&#160;"),  # a field of only (no-break) whitespace still shows: an empty list item would change the structure
        ("$x^2$", "\\$x^2\\$"),
        ("back\\slash", "back\\\\slash"),
        ("after-steady-state not met: 32 writes/s", "after-steady-state not met: 32 writes/s"),
    ],
)
def test_md_text_escapes_exactly(raw: str, escaped: str) -> None:
    assert text.md_text(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("aws_s3_bucket.x", "`aws_s3_bucket.x`"),
        ("a`b", "``a`b``"),
        ("a``b`", "``` a``b` ```"),
        ("`start", "`` `start ``"),
        (" spaced ", "`  spaced  `"),
        ("", "` `"),
        ("a\nb", "`a\\nb`"),
        ("<b>@everyone|x", "`<b>@everyone|x`"),
    ],
)
def test_md_code_fences_with_more_backticks_than_the_value_holds(raw: str, code: str) -> None:
    assert text.md_code(raw) == code


def test_md_html_is_entities_only() -> None:
    assert text.md_html("<b>\"x\" & 'y' @all #1\n") == f"&lt;b&gt;&quot;x&quot; &amp; &#x27;y&#x27; @{ZWJ}all #{ZWJ}1\\n"


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ("::error::boom", "\\x3a:error::boom"),
        ("  ::add-mask::x", "  \\x3a:add-mask::x"),
        ("\u00a0::warning::x", "\u00a0\\x3a:warning::x"),
        ("x\n::error::boom", "x\\n::error::boom"),
        ("a ##[error]b", "a ##\\x5berror]b"),
        ("arn:aws:iam::123456789012:role/x", "arn:aws:iam::123456789012:role/x"),
    ],
)
def test_log_line_neutralises_workflow_commands(raw: str, line: str) -> None:
    assert text.log_line(raw) == line


def test_xml_replaces_only_what_xml_forbids_and_the_result_parses() -> None:
    raw = "a\x00b\x1bc\ud800d\ufffee\tf\ng\u202eh"
    assert text.xml(raw) == "a\\x00b\\x1bc\\ud800d\\ufffee\tf\ng\u202eh"
    ET.fromstring(f"<x a='{text.xml(raw)}'>{text.xml(raw)}</x>")


@pytest.mark.parametrize("raw", ["[red]us-west-2[/]", "[/]", "[link=https://evil]x[/link]", ":secret:", "[us-west-2]", "\\[x]"])
def test_console_shows_markup_and_emoji_codes_as_written(raw: str) -> None:
    value = text.console(raw)
    assert isinstance(value, Text)
    buffer = Console(width=200, no_color=True, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    buffer.print(value)
    assert buffer.export_text().rstrip("\n") == raw


def test_finding_line_caps_each_field_and_shows_json() -> None:
    f = Finding("E1", "prod", "a" * 10_000, "x\ny", FAIL, True, "false", "msg")
    line = text.finding(f)
    assert "\n" not in line and "x\\ny" in line and "actual true, expected false" in line
    assert line.count("sha256") == 1 and len(line) < 2 * text.LIMIT
