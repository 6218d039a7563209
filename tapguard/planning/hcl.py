"""A small, strict reader of HCL's native syntax for what tapguard reads before any plan exists: tfvars values, the
default aws provider's region, and resource blocks with their lines and lifecycle.

Why not an hcl2 library: python-hcl2 and checkov's bc-python-hcl2 both install a module named `hcl2` with different
output (8.x keeps the quotes of strings and block labels), and whichever was unpacked last wins. Reading the structure
ourselves makes every install read HCL the same way. Attribute values are evaluated only when they are literals
(strings without templates, numbers, bools, null, tuples, objects); anything else is kept as its source text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.foundation.errors import TapguardError

_SKIP = re.compile(r"(?:[ \t\r]+|#[^\n]*|//[^\n]*|/\*.*?\*/)+", re.DOTALL)  # whitespace and comments
_SIMPLE = re.compile(
    r"(?P<heredoc><<(?P<indent>-?)(?P<marker>[^\W\d][\w-]*)[ \t]*\r?\n)"
    r"|(?P<number>\d+(?P<fraction>(?:\.\d+)?(?:[eE][+-]?\d+)?)?)"
    r"|(?P<ident>[^\W\d][\w-]*)"
    r"|(?P<punct>\.\.\.|==|!=|<=|>=|&&|\|\||=>|[{}\[\]()=,.:?!+\-*/%<>])"
)
_PLAIN = re.compile(r'[^"\\$%\n]+')
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True)
class Expression:
    """A value that is not a literal (a reference, a function call, a template): its source text."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, number, string, template, punct, newline, eof
    value: Any
    line: int
    start: int
    end: int


class HclSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        while True:
            token = self.next()
            out.append(token)
            if token.kind == "eof":
                return out

    def next(self) -> _Token:
        text = self.text
        skipped = _SKIP.match(text, self.pos)
        if skipped:
            self.line += skipped.group().count("\n")
            self.pos = skipped.end()
        start, line = self.pos, self.line
        if text.startswith("/*", start):
            raise HclSyntaxError(line, "unterminated /* comment")
        if self.pos >= len(text):
            return _Token("eof", None, line, start, start)
        ch = text[self.pos]
        if ch == "\n":
            self.pos += 1
            self.line += 1
            return _Token("newline", None, line, start, self.pos)
        if ch == '"':
            value, templated = self._quoted()
            return _Token("template" if templated else "string", value, line, start, self.pos)
        simple = _SIMPLE.match(text, self.pos)
        if simple is None:
            raise HclSyntaxError(line, f"unexpected character {ch!r}")
        self.pos = simple.end()
        kind = simple.lastgroup or "punct"
        if kind == "heredoc":
            value, templated = self._heredoc(simple)
            return _Token("template" if templated else "string", value, line, start, self.pos)
        if kind == "number":
            raw = simple.group()
            return _Token("number", float(raw) if simple.group("fraction") else int(raw), line, start, self.pos)
        return _Token(kind, simple.group(), line, start, self.pos)

    def _quoted(self) -> tuple[str, bool]:
        """A quoted string from its opening quote; templated when it holds ${...} or %{...}."""
        text, line = self.text, self.line
        self.pos += 1
        parts: list[str] = []
        templated = False
        while True:
            if self.pos >= len(text) or text[self.pos] == "\n":
                raise HclSyntaxError(line, "unterminated string")
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(parts), templated
            if ch == "\\":
                parts.append(self._escape())
            elif text.startswith(("$${", "%%{"), self.pos):
                parts.append(text[self.pos + 1 : self.pos + 3])
                self.pos += 3
            elif text.startswith(("${", "%{"), self.pos):
                templated = True
                self.pos += 2
                self._skip_template()
            else:
                plain = _PLAIN.match(text, self.pos)
                end = plain.end() if plain else self.pos + 1
                parts.append(text[self.pos : end])
                self.pos = end

    def _escape(self) -> str:
        text = self.text
        kind = text[self.pos + 1 : self.pos + 2]
        if kind in _ESCAPES:
            self.pos += 2
            return _ESCAPES[kind]
        width = {"u": 4, "U": 8}.get(kind)
        digits = text[self.pos + 2 : self.pos + 2 + width] if width else ""
        if width and re.fullmatch(r"[0-9A-Fa-f]+", digits) and len(digits) == width:
            self.pos += 2 + width
            return chr(int(digits, 16))
        raise HclSyntaxError(self.line, f"invalid escape \\{kind}")

    def _skip_template(self) -> None:
        """Past the `}` that closes a ${ or %{ sequence, through nested strings and braces."""
        depth = 0
        while True:
            token = self.next()
            if token.kind == "eof":
                raise HclSyntaxError(token.line, "unterminated template sequence")
            if token.kind == "punct" and token.value == "{":
                depth += 1
            elif token.kind == "punct" and token.value == "}":
                if depth == 0:
                    return
                depth -= 1

    def _heredoc(self, opening: re.Match[str]) -> tuple[str, bool]:
        indented, marker = opening.group("indent") == "-", opening.group("marker")
        opened_on = self.line
        self.pos = opening.end()
        self.line += 1
        lines: list[str] = []
        while self.pos < len(self.text):
            end = self.text.find("\n", self.pos)
            end = len(self.text) if end < 0 else end
            raw = self.text[self.pos : end]
            if raw.strip() == marker:
                self.pos = end  # the newline after the marker ends the attribute
                return self._heredoc_value(lines, indented)
            lines.append(raw.rstrip("\r"))
            self.pos = end + 1
            self.line += 1
        raise HclSyntaxError(opened_on, f"heredoc <<{marker} is never closed")

    @staticmethod
    def _heredoc_value(lines: list[str], indented: bool) -> tuple[str, bool]:
        if indented:
            widths = [len(x) - len(x.lstrip(" \t")) for x in lines if x.strip()]
            cut = min(widths, default=0)
            lines = [x[cut:] for x in lines]
        body = "".join(f"{x}\n" for x in lines)
        templated = bool(re.search(r"(?<![$%])[$%]\{", body))
        return body.replace("$${", "${").replace("%%{", "%{"), templated


@dataclass
class Block:
    """A block as written: its type, labels, attributes (literal values or Expression) and nested blocks."""

    type: str
    labels: tuple[str, ...]
    line: int
    end_line: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def children(self, block_type: str) -> Iterator[Block]:
        return (b for b in self.blocks if b.type == block_type)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _Lexer(text).tokens()
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def body(self, into: Block, nested: bool) -> None:
        while True:
            token = self.take()
            if token.kind == "newline":
                continue
            if token.kind == "eof":
                if nested:
                    raise HclSyntaxError(into.line, f"block {into.type} {' '.join(into.labels)} is never closed")
                into.end_line = token.line
                return
            if token.kind == "punct" and token.value == "}" and nested:
                into.end_line = token.line
                return
            if token.kind != "ident":
                raise HclSyntaxError(token.line, f"expected an attribute or block name, found {self._show(token)}")
            following = self.peek()
            if following.kind == "punct" and following.value == "=":
                self.take()
                if token.value in into.attributes:
                    raise HclSyntaxError(token.line, f"attribute {token.value} is set twice")
                into.attributes[token.value] = self.expression(token.line)
            else:
                into.blocks.append(self.block(token))

    def block(self, name: _Token) -> Block:
        labels: list[str] = []
        while True:
            token = self.take()
            if token.kind in ("string", "ident"):
                labels.append(str(token.value))
            elif token.kind == "punct" and token.value == "{":
                break
            else:
                raise HclSyntaxError(token.line, f"block {name.value}: expected a label or {{, found {self._show(token)}")
        block = Block(type=str(name.value), labels=tuple(labels), line=name.line)
        self.body(block, nested=True)
        return block

    def expression(self, line: int) -> Any:
        """The tokens up to the end of the line (outside brackets), as a literal value or an Expression."""
        first = self.at
        depth = 0
        while True:
            token = self.peek()
            if token.kind == "eof" or (depth == 0 and token.kind == "newline"):
                break
            if token.kind == "punct" and token.value in _OPEN:
                depth += 1
            elif token.kind == "punct" and token.value in _CLOSE:
                if depth == 0:
                    break  # the `}` of a one-line block
                depth -= 1
            self.take()
        span = self.tokens[first : self.at]
        if not span:
            raise HclSyntaxError(line, "an attribute needs a value")
        if depth:
            raise HclSyntaxError(line, "unbalanced brackets")
        value, used = _literal(span, 0)
        if used == len(span):
            return value
        return Expression(self.text[span[0].start : span[-1].end])

    @staticmethod
    def _show(token: _Token) -> str:
        return {"newline": "end of line", "eof": "end of file"}.get(token.kind, repr(token.value))


class _NotLiteral(Exception):
    pass


def _skip_newlines(span: list[_Token], at: int) -> int:
    while at < len(span) and span[at].kind == "newline":
        at += 1
    return at


def _literal(span: list[_Token], at: int) -> tuple[Any, int]:
    """(value, next index) when span[at:] starts with a literal; (None, -1) when it does not."""
    try:
        return _value(span, at)
    except _NotLiteral:
        return None, -1


def _value(span: list[_Token], at: int) -> tuple[Any, int]:
    if at >= len(span):
        raise _NotLiteral
    token = span[at]
    if token.kind in ("string", "number"):
        return token.value, at + 1
    if token.kind == "ident" and token.value in ("true", "false", "null"):
        following = span[at + 1] if at + 1 < len(span) else None
        if following is not None and following.kind == "punct" and following.value in (".", "["):
            raise _NotLiteral
        return {"true": True, "false": False, "null": None}[token.value], at + 1
    if token.kind == "punct" and token.value == "-" and at + 1 < len(span) and span[at + 1].kind == "number":
        return -span[at + 1].value, at + 2
    if token.kind == "punct" and token.value == "[":
        items: list[Any] = []
        at = _skip_newlines(span, at + 1)
        while not (at < len(span) and span[at].kind == "punct" and span[at].value == "]"):
            item, at = _value(span, at)
            items.append(item)
            at = _skip_newlines(span, at)
            if at < len(span) and span[at].kind == "punct" and span[at].value == ",":
                at = _skip_newlines(span, at + 1)
            elif not (at < len(span) and span[at].kind == "punct" and span[at].value == "]"):
                raise _NotLiteral
        return items, at + 1
    if token.kind == "punct" and token.value == "{":
        entries: dict[str, Any] = {}
        at = _skip_newlines(span, at + 1)
        while not (at < len(span) and span[at].kind == "punct" and span[at].value == "}"):
            key = span[at] if at < len(span) else None
            if key is None or key.kind not in ("ident", "string", "number"):
                raise _NotLiteral
            sep = span[at + 1] if at + 1 < len(span) else None
            if sep is None or sep.kind != "punct" or sep.value not in ("=", ":"):
                raise _NotLiteral
            entries[str(key.value)], at = _value(span, at + 2)
            if at < len(span) and span[at].kind == "punct" and span[at].value == ",":
                at += 1
            elif at < len(span) and span[at].kind not in ("newline",) and not (span[at].kind == "punct" and span[at].value == "}"):
                raise _NotLiteral
            at = _skip_newlines(span, at)
        return entries, at + 1
    raise _NotLiteral


def parse(text: str) -> Block:
    """The whole file as a top-level body; raises HclSyntaxError with the line of the first problem."""
    root = Block(type="", labels=(), line=1)
    _Parser(text.removeprefix("\ufeff")).body(root, nested=False)
    return root


def load(path: Path) -> Block:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TapguardError(f"{path}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise TapguardError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    try:
        return parse(text)
    except HclSyntaxError as exc:
        raise TapguardError(f"{path}:{exc.line}: not valid HCL ({exc})") from exc


_PARSED: dict[Path, tuple[tuple[int, int, int], Block]] = {}


def load_cached(path: Path) -> Block:
    """`load` for readers that never change what they get: a file is parsed once per process while it is unchanged
    (the environments share modules: a check of both stacks reads each module's files twice)."""
    try:
        st = path.stat()
    except OSError:
        return load(path)  # its one-line error
    key = (st.st_mtime_ns, st.st_size, st.st_ino)
    known = _PARSED.get(path)
    if known is not None and known[0] == key:
        return known[1]
    block = load(path)
    _PARSED[path] = (key, block)
    return block


def load_tfvars(path: Path) -> dict[str, Any]:
    """Variable values: terraform allows only literal values in tfvars, so anything else is an error here too."""
    body = load(path)
    if body.blocks:
        raise TapguardError(f"{path}:{body.blocks[0].line}: tfvars hold attributes only, found block {body.blocks[0].type}")
    for name, value in body.attributes.items():
        if _holds_expression(value):
            raise TapguardError(f"{path}: {name} is not a literal value (tfvars allow no references, functions or templates)")
    return dict(body.attributes)


def _holds_expression(value: Any) -> bool:
    if isinstance(value, Expression):
        return True
    if isinstance(value, list):
        return any(_holds_expression(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_expression(v) for v in value.values())
    return False


@dataclass(frozen=True)
class ResourceBlock:
    """A resource block as written: where it is and what its lifecycle says."""

    file: Path
    line: int
    end_line: int
    type: str
    name: str
    block: Block

    @property
    def lifecycle(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for lifecycle in self.block.children("lifecycle"):
            merged.update(lifecycle.attributes)
        return merged


def resource_blocks(directory: Path) -> list[ResourceBlock]:
    """Every resource block in the *.tf files of one directory."""
    found: list[ResourceBlock] = []
    for tf in sorted(directory.glob("*.tf")):
        for block in load_cached(tf).children("resource"):
            if len(block.labels) != 2:
                raise TapguardError(f"{tf}:{block.line}: a resource block takes two labels (type and name)")
            found.append(ResourceBlock(tf, block.line, block.end_line, block.labels[0], block.labels[1], block))
    return found


def provider_region(directory: Path) -> str | None:
    """The region of the default (unaliased) aws provider, when it is a literal string."""
    for tf in sorted(directory.glob("*.tf")):
        for provider in load_cached(tf).children("provider"):
            if provider.labels == ("aws",) and "alias" not in provider.attributes:
                region = provider.attributes.get("region")
                return region if isinstance(region, str) else None
    return None
