"""Data made safe for each medium it is written to: the one place every writer goes through.

Plan contents, resource names, waiver text and drill files are hostile. In every output a data field
is shown as what it is, never read as markup or a command:

- `cap`: a string longer than a limit is cut, with a marker naming its length and a short sha256 of
  the full value (a 50 MB address cannot make a 750 MB SARIF; two long values still differ);
- `visible`: control, format and separator characters (ESC, NUL, CR, LF, U+2028/2029, bidi overrides,
  lone surrogates, noncharacters) become `\\xNN`-style escapes, so no field spans lines or hides text;
- `md_text`, `md_code`, `md_html`: markdown prose, inline code and text inside raw HTML lines of a
  markdown file (no HTML, heading, comment, link, emphasis or @mention can come from data);
- `log_line`: a CI log line (GitHub workflow commands `::cmd::` and `##[cmd]` neutralised);
- `xml`: characters XML 1.0 forbids replaced, so junit.xml and SARIF still parse;
- `console`: a Rich `Text` (never markup, never an emoji code).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from rich.text import Text

if TYPE_CHECKING:
    from tapguard.controls.engine import Control, Finding

LIMIT = 2048  # characters a data field keeps in an output; the longest catalogue text (remediation) is under 600
HASH_CHARS = 12  # hex digits of sha256 in the cut marker: enough to tell two long values apart
_CUT = "…[cut: {n} chars, sha256 {digest}]"
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})  # control, format, surrogate, unassigned, line/paragraph separators
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")  # what opens code, emphasis, links/images, tables, strikethrough, math
_MD_BLOCK_START = re.compile(r"^(\d{1,9}(?=[.)])|[#+=-])")  # at a line's start: heading, list item, setext rule, ordered list
_MENTION = re.compile(r"([@#])")  # @user, @org/team notify; #1, owner/repo#1 cross-reference: a zero-width joiner after each breaks both
_ZWJ = "\u200d"
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_GH_COMMAND_V1 = "##["  # the runner finds `##[command]` anywhere in a line


def cap(value: Any, limit: int = LIMIT) -> str:
    """`value` as a string of at most `limit` characters: a longer one keeps its start and names its length and sha256."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    marker = _CUT.format(n=len(text), digest=digest)
    return text[: max(limit - len(marker), 0)] + marker


def _hidden(char: str) -> bool:
    point = ord(char)
    return unicodedata.category(char) in _HIDDEN_CATEGORIES or 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def visible(value: Any, keep: str = "") -> str:
    """Every control, format or separator character (but those in `keep`) as a visible escape: one line, nothing hidden."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case, in C: printable text holds none of the hidden categories
        return text
    return "".join(_escape(c) if c not in keep and _hidden(c) else c for c in text)


def field(value: Any, limit: int = LIMIT) -> str:
    """A data field for any text medium: capped, then on one visible line."""
    return visible(cap(value, limit))


def md_text(value: Any, limit: int = LIMIT) -> str:
    """Markdown prose: & < > as entities, what opens markdown backslash-escaped, @ and # unable to mention or link."""
    text = _MD_INLINE.sub(r"\\\1", field(value, limit))
    # a field may open a list item: no block can start it (an ordered list's dot escaped, a leading space an entity)
    text = _MD_BLOCK_START.sub(lambda m: m[1] + "\\" if m[1][0].isdigit() else "\\" + m[1], text, count=1)
    text = html.escape(_MENTION.sub(lambda m: m[1] + _ZWJ, text), quote=False)  # entities last: their `#` and `;` stay bare
    # whitespace at either end (a space, a no-break space…) as an entity: markdown would trim it, and a field of only
    # whitespace would leave an empty list item or cell that changes the document's structure
    head = len(text) - len(text.lstrip())
    tail = len(text.rstrip()) if text.strip() else head
    return "".join(f"&#{ord(c)};" for c in text[:head]) + text[head:tail] + "".join(f"&#{ord(c)};" for c in text[max(tail, head) :])


def md_code(value: Any, limit: int = LIMIT) -> str:
    """Markdown inline code, fenced with more backticks than the value holds (not for a table cell: a `|` there splits it)."""
    text = field(value, limit)
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""  # CommonMark strips one space each side: keep the value's own
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_html(value: Any, limit: int = LIMIT) -> str:
    """Text inside a raw HTML line of a markdown file (`<summary>`), where markdown is not parsed: entities only."""
    return html.escape(_MENTION.sub(lambda m: m[1] + _ZWJ, field(value, limit)), quote=True)  # mentions first: `&#x27;` holds a #


def log_line(value: Any, limit: int = LIMIT) -> str:
    """Text for a CI log: one line, and no GitHub workflow command (`::cmd::` at its start, `##[cmd]` anywhere)."""
    text = field(value, limit).replace(_GH_COMMAND_V1, "##\\x5b")
    stripped = text.lstrip()  # the runner trims any leading whitespace before looking for `::`
    if stripped.startswith("::"):
        text = text[: len(text) - len(stripped)] + "\\x3a" + stripped[1:]
    return text


def xml(value: Any) -> str:
    """Text XML 1.0 can hold: each character it forbids (NUL, ESC, lone surrogates, U+FFFE…) as a visible escape."""
    text = value if isinstance(value, str) else str(value)
    return _XML_INVALID.sub(lambda m: _escape(m[0]), text)


def console(value: Any, style: str = "", limit: int = 8 * LIMIT) -> Text:
    """Data for a Rich console: a `Text`, so `[red]`, `[/]`, `[link=…]` and `:emoji:` are shown, never read.

    The default limit holds a `finding` line, whose fields are capped one by one."""
    return Text(log_line(value, limit), style=style)


def finding(f: Finding, control: Control | None = None) -> str:
    """One line naming a finding, each field capped and visible (the plan value as JSON, never a Python repr)."""
    from tapguard.evidence.remediation import value

    reqs = f" (PCI DSS {', '.join(control.requirements)})" if control else ""
    where = " ".join(field(x) for x in (f.address, f.attribute) if x)
    return (
        f"{field(f.control)}{reqs} [{field(f.environment)}] {where}: {field(f.message)} — actual {field(value(f.actual))}, "
        f"expected {field(f.expected)}"
    )
