"""The one way a plan JSON enters tapguard: a bounded read, one decoding, a strict parse, a declared schema, redaction.

Planned here (runner.py), given with `--plan-json` (check, audit, the pytest plugin) or to the pre-commit hook: every
plan passes `admit()` before anything reads it, and only its redacted form is ever written (`admit_file()`), so the
bundle, checkov and every report see the redacted copy. Every problem is one line naming the file and the field.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tapguard.foundation import inputs
from tapguard.foundation.digest import sha256
from tapguard.foundation.errors import TapguardError
from tapguard.planning.redaction import TooDeep, redact_plan_json

# Declared bounds: past them a document is refused up front, naming the limit, before it is evaluated.
# bench/bench_big_plan.py: 1,000,000 resources (113 MB) evaluate in 55 s with a 2.3 GB peak, ~20x the plan's bytes;
# past these a plan could not be evaluated within 3 min and 3 GB.
MAX_PLAN_BYTES = 150_000_000
MAX_RESOURCES = 1_000_000  # resource_changes (and resource_drift) entries
MAX_DEPTH = 400  # modules 100 deep nest ~320 levels; the JSON parser itself stops near 1,000
SUPPORTED_MAJOR = "1"
# Terraform 0.12-1.1 wrote plan JSON format 0.1 (0.12-0.14) and 0.2 (0.15-1.1): the same shape as 1.x for
# what tapguard reads (resource_changes, configuration, planned_values); after_sensitive arrived in 0.2.
SUPPORTED_LEGACY = ("0.1", "0.2")
_CHUNK = 20_000  # list entries validated at a time: a million resources are never all copied by the validator at once
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class PlanError(TapguardError):
    """A plan file that cannot be used: exit code 2, one line naming the file."""


# ---------------------------------------------------------------- the schema: what tapguard reads, nothing more
# Strict (no coercion: "1" is not 1) and open (fields tapguard does not read are not checked). Null is allowed only
# where terraform writes it (after, before, the mirrors, index); every reader may rely on the rest.
class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


NonEmpty = Annotated[str, Field(min_length=1)]
Action = Literal["no-op", "create", "read", "update", "delete", "forget"]
Mirror = dict[str, Any] | list[Any] | bool  # after_unknown / *_sensitive: terraform writes mirrors of the value
Index = int | str | None


class Change(_Shape):
    actions: Annotated[list[Action], Field(min_length=1)]
    after: dict[str, Any] | None = None
    after_unknown: Mirror | None = None
    after_sensitive: Mirror | None = None
    before_sensitive: Mirror | None = None


class ResourceChange(_Shape):
    address: NonEmpty
    type: NonEmpty
    name: str = ""
    mode: Literal["managed", "data"] = "managed"
    module_address: str = ""
    index: Index = None
    change: Change


class StateResource(_Shape):
    address: NonEmpty
    mode: Literal["managed", "data"] = "managed"
    type: str = ""
    name: str = ""
    index: Index = None
    values: dict[str, Any] | None = None
    sensitive_values: Mirror | None = None


class ValuesModule(_Shape):
    address: str = ""
    resources: list[Any] = []  # StateResource, validated in chunks
    child_modules: list[ValuesModule] = []


class Output(_Shape):
    sensitive: bool = False


class Values(_Shape):
    root_module: ValuesModule = Field(default_factory=ValuesModule)
    outputs: dict[str, Output] = {}


class PriorState(_Shape):
    values: Values = Field(default_factory=Values)


class Expression(_Shape):
    references: list[str] = []


class Iteration(_Shape):
    references: list[str] = []


class ConfigResource(_Shape):
    address: str = ""
    expressions: dict[str, Expression | list[Any]] = {}
    for_each_expression: Iteration | None = None
    count_expression: Iteration | None = None


class ConfigOutput(_Shape):
    expression: Expression | None = None
    sensitive: bool = False


class ConfigVariable(_Shape):
    sensitive: bool = False


class ModuleCall(_Shape):
    source: str = ""
    expressions: dict[str, Expression | list[Any]] = {}
    module: ConfigModule = Field(default_factory=lambda: ConfigModule())  # noqa: PLW0108 (defined below)


class ConfigModule(_Shape):
    resources: list[ConfigResource] = []
    module_calls: dict[str, ModuleCall] = {}
    outputs: dict[str, ConfigOutput] = {}
    variables: dict[str, ConfigVariable] = {}


class ProviderConfig(_Shape):
    expressions: dict[str, Expression | list[Any]] = {}


class Configuration(_Shape):
    provider_config: dict[str, ProviderConfig] = {}
    root_module: ConfigModule = Field(default_factory=ConfigModule)


class OutputChange(_Shape):
    after_sensitive: Mirror | None = None
    before_sensitive: Mirror | None = None


class Variable(_Shape):
    pass


class PlanDocument(_Shape):
    format_version: str
    terraform_version: str = "?"
    errored: bool = False
    resource_changes: list[Any] = []  # ResourceChange, validated in chunks
    resource_drift: list[Any] = []
    planned_values: Values = Field(default_factory=Values)
    prior_state: PriorState = Field(default_factory=PriorState)
    configuration: Configuration = Field(default_factory=Configuration)
    output_changes: dict[str, OutputChange] = {}
    variables: dict[str, Variable] = {}


_DOCUMENT = TypeAdapter(PlanDocument)
_CHANGES = TypeAdapter(list[ResourceChange])
_STATE_RESOURCES = TypeAdapter(list[StateResource])
_EXPECTED = {
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "an array",
    "string_type": "a string",
    "bool_type": "a boolean",
    "int_type": "an integer",
}


# ---------------------------------------------------------------- reading
def admit(raw: bytes, name: str) -> tuple[dict[str, Any], set[str]]:
    """Decode, parse, bound, validate and redact (in place) a plan's bytes: the document later steps may read,
    and the secret strings it removed (for scrubbing logs)."""
    data = parse_json(raw, name)
    del raw
    validate(data, name)  # the schema's values are Any: validating reads only the top levels, whatever the nesting
    try:  # nesting is bounded in the redaction walk, the one pass over every container
        return redact_plan_json(data, in_place=True, max_depth=MAX_DEPTH)
    except (TooDeep, RecursionError):  # RecursionError: a marked pair's recursive redaction met the depth first
        raise PlanError(f"{name}: nested more than {MAX_DEPTH} levels deep, tapguard's limit (modules 100 deep need ~320)") from None


def read(path: Path, label: str | None = None) -> tuple[dict[str, Any], set[str]]:
    """admit() on a file, read with a size bound (a redacted copy this process wrote and nobody changed is only parsed:
    it was validated and redacted on its way in)."""
    label = label or str(path)
    trusted = path.is_file() and _WRITTEN.get(str(path)) == _identity(path)
    try:
        raw = inputs.read_bytes(path, label, inputs.MAX_INPUT_BYTES if trusted else MAX_PLAN_BYTES)
    except TapguardError as exc:
        raise PlanError(str(exc)) from None
    if trusted:
        return parse_json(raw, label), set()
    return admit(raw, label)


_WRITTEN: dict[str, tuple[int, int, int]] = {}  # redacted copies written by this process -> their identity


def _identity(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_ino, info.st_size, info.st_mtime_ns


def write_redacted(data: dict[str, Any], directory: Path, filename: str, label: str) -> Path:
    """The redacted document as UTF-8 JSON, atomically (a temporary file that replaces the target, never left behind)."""
    # compact: the copy is never larger than what was admitted, so it is always within the bound it passed
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    inputs.write_file(directory, filename, raw, label)
    _WRITTEN[str(directory / filename)] = _identity(directory / filename)
    _DIGESTS[str(directory / filename)] = (_identity(directory / filename), hashlib.sha256(raw).hexdigest())
    return directory / filename


_DIGESTS: dict[str, tuple[tuple[int, int, int], str]] = {}  # redacted copies written by this process -> their sha256


def digest_of(path: Path) -> str:
    """sha256 of a redacted copy: from its writing when this process wrote it and nobody changed it since, else read."""
    known = _DIGESTS.get(str(path))
    if known is not None and path.is_file() and known[0] == _identity(path):
        return known[1]
    return sha256(path)


_ADMITTED: list[Path] = []  # this process's directory, once made


def admitted_dir() -> Path:
    """This process's directory of redacted plan copies (removed when it exits): nothing unredacted is ever put there."""
    if not _ADMITTED or not _ADMITTED[-1].is_dir():
        _ADMITTED.append(Path(tempfile.mkdtemp(prefix="tapguard-plans-")))
        atexit.register(shutil.rmtree, _ADMITTED[-1], True)
    return _ADMITTED[-1]


def admit_file(environment: str, path: Path, label: str) -> Path:
    """Admit a plan file given from outside and write its redacted copy: the path every later step reads."""
    data, _ = read(path, label)
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", environment)[:60] or "plan"
    return write_redacted(data, admitted_dir(), f"{safe}.{digest}.json", label)


# ---------------------------------------------------------------- decoding and parsing
class _NonStandardNumber(ValueError):
    pass


def _refuse_constant(token: str) -> Any:
    raise _NonStandardNumber(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _NonStandardNumber(token)
    return value


def decode(raw: bytes, name: str) -> str:
    """Plan JSON as text: UTF-8 (with or without a BOM), or UTF-16 as Terraform on Windows writes it through `>`."""
    if not raw.strip():
        raise PlanError(f"{name}: empty file, expected the output of `terraform show -json PLANFILE`")
    if raw[:2] == b"PK":
        raise PlanError(f"{name}: this is a binary plan file; convert it with `terraform show -json {name}`")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, encoding = raw[3:], "utf-8"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(raw) >= 2 and raw[0] != 0 and raw[1] == 0:
        encoding = "utf-16-le"  # no BOM: ASCII '{' then a zero byte
    elif len(raw) >= 2 and raw[0] == 0 and raw[1] != 0:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PlanError(f"{name}: not {encoding.upper()} text (byte {exc.start}); expected plan JSON") from None


def parse_json(raw: bytes, name: str) -> Any:
    """Strict JSON: no NaN/Infinity, no integer too long to convert, no nesting past the parser's own limit."""
    text = decode(raw, name)
    del raw
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(text.rstrip()) else "malformed JSON"
        raise PlanError(f"{name}: {what} at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    except _NonStandardNumber as exc:
        raise PlanError(f"{name}: {exc.args[0][:40]} is not a JSON number (plan JSON never holds NaN or Infinity)") from None
    except RecursionError:
        raise PlanError(f"{name}: nested deeper than Python's JSON parser allows; not a plan") from None
    except ValueError as exc:  # an integer literal longer than Python converts (sys.get_int_max_str_digits)
        if "integer string conversion" not in str(exc):
            raise
        raise PlanError(f"{name}: holds an integer of more than {sys.get_int_max_str_digits():,} digits; not a plan value") from None
    if _SURROGATE_ESCAPE.search(text):  # rare: only then walk the document for a lone half of a UTF-16 pair
        _refuse_lone_surrogates(data, name)
    return data


def _refuse_lone_surrogates(data: Any, name: str) -> None:
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        node, loc = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            for text, where in ((key, (*loc, key)), (value, (*loc, key))):
                if isinstance(text, str):
                    try:
                        text.encode("utf-8")
                    except UnicodeEncodeError:
                        raise PlanError(f"{name}: {field_path(where)} holds a lone UTF-16 surrogate (\\ud800-\\udfff); not text") from None
            if isinstance(value, (dict, list)):
                stack.append((value, (*loc, key)))


# ---------------------------------------------------------------- validation
def validate(data: Any, name: str) -> None:
    """The document's shape, by the declared schema: the first problem as one line naming the field."""
    if not isinstance(data, dict):
        raise PlanError(f"{name}: top level is a JSON {type(data).__name__}, expected an object")
    version = data.get("format_version")
    if version is None:
        if "values" in data:
            raise PlanError(f"{name}: a state file (`terraform show -json` without a plan); expected resource_changes and planned_values")
        raise PlanError(f"{name}: no format_version; not the output of `terraform show -json`")
    if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+", version):
        raise PlanError(f"{name}: format_version {json.dumps(version)[:40]} is not of the form MAJOR.MINOR")
    if version.split(".")[0] != SUPPORTED_MAJOR and version not in SUPPORTED_LEGACY:
        raise PlanError(f"{name}: format_version {version} is not supported (tapguard reads 0.1, 0.2 and 1.x)")
    if "resource_changes" not in data and "planned_values" not in data:
        kind = "a state file (`terraform show -json` without a plan)" if "values" in data else "not a plan"
        raise PlanError(f"{name}: {kind}; expected resource_changes and planned_values")
    if data.get("errored") is True:
        raise PlanError(f"{name}: the plan errored in terraform; fix the plan before checking it")
    _check(_DOCUMENT, data, (), name)
    for key in ("resource_changes", "resource_drift"):
        changes = data.get(key) or []
        if len(changes) > MAX_RESOURCES:
            raise PlanError(f"{name}: {key} holds {len(changes):,} entries, more than the {MAX_RESOURCES:,} tapguard evaluates")
        _check_chunks(_CHANGES, changes, (key,), name)
        for i, change in enumerate(changes):
            body = change["change"]
            for mirror, side in (("after_sensitive", "after"), ("before_sensitive", "before")):
                if body.get(mirror) is True and isinstance(body.get(side), dict):
                    raise PlanError(
                        f"{name}: {field_path((key, i, 'change', mirror))} is true for the whole resource ({_short(change['address'])}); "
                        "terraform marks attributes"
                    )
    for section, values in (("planned_values", data.get("planned_values")), ("prior_state", (data.get("prior_state") or {}).get("values"))):
        loc: tuple[Any, ...] = (section,) if section == "planned_values" else (section, "values")
        stack = [((values or {}).get("root_module"), (*loc, "root_module"))]
        while stack:
            module, where = stack.pop()
            if module is None:
                continue
            _check_chunks(_STATE_RESOURCES, module.get("resources") or [], (*where, "resources"), name)
            stack.extend((child, (*where, "child_modules", i)) for i, child in enumerate(module.get("child_modules") or []))


def _check(adapter: TypeAdapter[Any], value: Any, loc: tuple[Any, ...], name: str) -> None:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        raise PlanError(f"{name}: {_problem(exc.errors(include_url=False)[0], loc, value)}") from None
    except RecursionError:
        raise PlanError(f"{name}: {field_path(loc) or 'the document'} is nested too deeply to validate") from None


def _check_chunks(adapter: TypeAdapter[Any], items: list[Any], loc: tuple[Any, ...], name: str) -> None:
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        try:
            adapter.validate_python(chunk)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            problem = _problem(error, (), chunk)
            at = int(error["loc"][0]) if error["loc"] else 0
            # the entry's index in the whole list, not in its chunk
            raise PlanError(f"{name}: {field_path((*loc, start + at))}{problem.removeprefix(field_path((at,)))}") from None


def _problem(error: Any, prefix: tuple[Any, ...], document: Any) -> str:
    """One pydantic error as `field is a JSON <type>, expected <what>` (the field as JSON path, the value never shown)."""
    kind = error["type"]
    where = field_path((*prefix, *_document_loc(document, tuple(error["loc"]), kind == "missing")))
    got = error.get("input")
    if kind == "missing":
        return f"{where} is missing"
    if kind == "literal_error":
        return f"{where} is {_short(json.dumps(got, ensure_ascii=True))}, expected one of {error.get('ctx', {}).get('expected', '')}"
    if kind in ("too_short", "string_too_short"):
        return f"{where} is empty"
    if kind in _EXPECTED or kind.endswith("_type"):
        return f"{where} is a JSON {_json_type(got)}, expected {_EXPECTED.get(kind, kind.removesuffix('_type'))}"
    return f"{where}: {error['msg']}"


def _document_loc(document: Any, loc: tuple[Any, ...], missing: bool) -> tuple[Any, ...]:
    """The error's location in the document itself: a union adds the name of each member it tried (`int`, `Expression`)
    to the location; those are not in the document and are dropped."""
    node, out = document, []
    for i, part in enumerate(loc):
        if (isinstance(node, dict) and part in node) or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
            node = node[part]
        elif missing and i == len(loc) - 1:
            pass  # the key that is not there
        else:
            continue
        out.append(part)
    return tuple(out)


def field_path(loc: tuple[Any, ...]) -> str:
    """A JSON path as people write it: resource_changes[3].change.after, module_calls["a b"]."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]{0,63}", part):
            out += f".{part}" if out else part
        else:
            out += f"[{_short(json.dumps(str(part), ensure_ascii=True))}]"
    return out


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
