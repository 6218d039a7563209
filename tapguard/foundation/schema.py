"""Declared input schemas (pydantic): the shared pieces, and one line naming the field for any error.

drills.json (tapguard.drill.schema), waivers (tapguard.controls.waivers) and the config
(tapguard.foundation.config) declare their fields with these; whatever pydantic finds first becomes
`<file>: <field path>: expected <what>, got <kind>` and exit 2. The input value itself is never
printed: it may be huge, hostile or unprintable (a 5,000-digit integer); only its kind is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, WrapValidator, model_validator
from pydantic_core import PydanticCustomError

from tapguard.foundation.errors import TapguardError

Dialect = Literal["json", "toml", "yaml"]
TAG_PREFIX = "<"  # union tags (see Discriminator uses) start with it; they are not fields and never shown


def kind(value: Any, dialect: Dialect = "json") -> str:
    """What a value is, in the words of the file format it came from."""
    if value is None:
        return {"json": "null", "toml": "nothing", "yaml": "null"}[dialect]
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number" if math.isfinite(value) else "a non-finite number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return {"json": "an object", "toml": "a table", "yaml": "a mapping"}[dialect]
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__.replace("_", " ")  # datetime, date, time from YAML or TOML


def dialect_of(info: ValidationInfo) -> Dialect:
    """The file format being validated, passed as `context={"dialect": ...}` (JSON by default)."""
    context = info.context if isinstance(info.context, dict) else {}
    dialect = context.get("dialect", "json")
    return dialect if dialect in ("json", "toml", "yaml") else "json"


def expecting(what: str) -> WrapValidator:
    """Metadata for `Annotated[T, expecting("a path string")]`: T's type errors read `expected <what>, got <kind>`."""

    def wrap(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            if first["loc"] or first["type"] in _CONSTRAINTS or first["type"] in ("unknown_key", "expected"):
                raise  # an error inside the value, or a constraint: its own words say more
            raise PydanticCustomError(
                "expected", "expected {what}, got {got}", {"what": what, "got": kind(value, dialect_of(info))}
            ) from None

    return WrapValidator(wrap)


class Table(BaseModel):
    """A mapping of declared keys, strictly typed; an unknown key is named with the known ones."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True, populate_by_name=True)
    unknown_words: ClassVar[str] = "unknown key"
    open: ClassVar[bool] = False  # True: keys tapguard does not read are kept (a drill journal carries many)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and not cls.open:
            names = {f.alias or n for n, f in cls.model_fields.items()}
            for key in data:
                if key not in names:
                    known = ", ".join(sorted(names))
                    raise PydanticCustomError(
                        "unknown_key", "{words} (known: {known})", {"key": str(key), "words": cls.unknown_words, "known": known}
                    )
        return data


_CONSTRAINTS = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "too_short",
    "too_long",
    "string_too_short",
    "string_too_long",
    "finite_number",
    "string_pattern_mismatch",
}


def where(loc: tuple[int | str, ...]) -> str:
    """('drills', 0, 'verdict', 'passed') -> drills[0].verdict.passed"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.startswith(TAG_PREFIX):
            out += f".{part}" if out else part
    return out


def _words(error: Any, value: Any, dialect: Dialect) -> str:
    kind_of = kind(value, dialect) if value is not _NO_INPUT else "something else"
    ctx = error.get("ctx") or {}
    simple: dict[str, Callable[[], str]] = {
        "missing": lambda: "required",
        "extra_forbidden": lambda: "unknown key",
        "bool_type": lambda: f"expected a boolean, got {kind_of}",
        "string_type": lambda: f"expected a string, got {kind_of}",
        "int_type": lambda: f"expected an integer, got {kind_of}",
        "float_type": lambda: f"expected a number, got {kind_of}",
        "list_type": lambda: f"expected a list, got {kind_of}",
        "dict_type": lambda: f"expected {kind({}, dialect)}, got {kind_of}",
        "model_type": lambda: f"expected {kind({}, dialect)}, got {kind_of}",
        "model_attributes_type": lambda: f"expected {kind({}, dialect)}, got {kind_of}",
        "date_type": lambda: f"expected a date (YYYY-MM-DD), got {kind_of}",
        "greater_than": lambda: f"expected a number greater than {ctx.get('gt'):g}",
        "greater_than_equal": lambda: (
            "expected a non-negative " + ("integer" if isinstance(value, int) else "number")
            if ctx.get("ge") == 0
            else f"expected at least {ctx.get('ge')}"
        ),
        "less_than_equal": lambda: f"expected at most {ctx.get('le')}",
        "finite_number": lambda: "expected a finite number",
        "too_long": lambda: f"more than {ctx.get('max_length')} entries",
        "too_short": lambda: (
            "expected a non-empty string"
            if isinstance(value, str)
            else f"expected at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}"
        ),
        "string_too_long": lambda: f"longer than {ctx.get('max_length')} characters",
        "string_too_short": lambda: "expected a non-empty string",
        "literal_error": lambda: f"expected {ctx.get('expected')}",
    }
    if error["type"] in simple:
        return simple[error["type"]]()
    return str(error["msg"])  # our own PydanticCustomError texts, already in these words


_NO_INPUT = object()


def first_problem(exc: ValidationError, dialect: Dialect = "json") -> tuple[str, str]:
    """The first error as (field path, words): ("drills[0].verdict.passed", "expected a boolean, got a string")."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    if error["type"] == "unknown_key":
        loc = (*loc, error["ctx"]["key"])
    return where(loc), _words(error, error.get("input", _NO_INPUT), dialect)


def one_line(exc: ValidationError, label: str, dialect: Dialect = "json", prefix: str = "") -> TapguardError:
    """The first error as `<label>: <prefix.field>: <words>`: one line, no input value echoed."""
    field, text = first_problem(exc, dialect)
    path = prefix + field if field.startswith("[") else ".".join(p for p in (prefix, field) if p)
    return TapguardError(f"{label}: {path}: {text}" if path else f"{label}: {text}")
