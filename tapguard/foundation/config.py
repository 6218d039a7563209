"""The project's configuration: `tapguard.toml` or `[tool.tapguard]` in pyproject.toml.

Without either, the defaults reproduce the conventional layout: every root module under
environments/, profiles from the packaged profiles.yaml, waivers.yaml and evidence/ at the
root. A foreign layout names its stacks:

    [tool.tapguard.environments.prod]
    path = "infra/prod"
    profile = { region = "us-east-1", min_azs = 3, max_rotation_days = 30 }

    [tool.tapguard.environments.stage]
    path = "infra/stage"          # profile: infra/stage/tapguard-profile.yaml, if present

`environments` may also be a list of paths or globs (`["infra/*"]`), named after their directory.
Every unknown key and bad value is refused with one line naming the key.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, ValidationError
from pydantic_core import PydanticCustomError

from tapguard.foundation import inputs
from tapguard.foundation.errors import TapguardError
from tapguard.foundation.schema import Table, expecting, first_problem, one_line

CONFIG_FILE = "tapguard.toml"
PYPROJECT = "pyproject.toml"
PROFILE_FILE = "tapguard-profile.yaml"  # a stack's profile, next to the stack
DRILL_OUTPUTS = ("region", "aurora_cluster_id", "redis_replication_group_id", "secret_arns")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@dataclass(frozen=True)
class EnvironmentSpec:
    name: str
    path: Path
    profile: dict[str, Any] | None = None  # validated Profile fields; None: next-to-stack file or packaged default


@dataclass(frozen=True)
class Config:
    root: Path
    source: Path | None = None  # the file it came from; None: defaults only
    prefix: str = ""  # the table its keys sit under in that file ("tool.tapguard" in pyproject.toml)
    environments: tuple[EnvironmentSpec, ...] | None = None  # None: every root module under environments/
    waivers: Path | None = None
    evidence: Path | None = None
    output: tuple[str, ...] = ("cli",)
    output_file_path: Path | None = None
    drills: Path | None = None
    drill_outputs: dict[str, str] = field(default_factory=dict)
    forbid_scope_all: bool = False  # refuse waivers that cover every resource of a control (`scope: all`)
    shared_accounts: tuple[tuple[str, ...], ...] | None = None  # environments deployed into one AWS account; None: all the stacks
    sarif_help_base: str | None = None  # SARIF helpUri per control: `{id}` replaced, else `#control-<id>` appended

    @property
    def waiver_file(self) -> Path:
        return self.waivers or self.root / "waivers.yaml"

    @property
    def evidence_dir(self) -> Path:
        return self.evidence or self.root / "evidence"

    def key(self, name: str) -> str:
        """A key as a one-line error names it: `<file>: <table>.<key>`."""
        return f"{self.source}: {self.prefix + '.' if self.prefix else ''}{name}"


def declared_in(directory: Path) -> Path | None:
    """The config file that makes `directory` a project root, if any."""
    own = directory / CONFIG_FILE
    if own.is_file():
        return own
    if own.is_symlink() or own.exists():
        # a tapguard.toml that is a directory, a FIFO, a symlink loop or a dangling link is a broken project, not no project
        inputs.regular_file(own, str(own))
    pyproject = directory / PYPROJECT
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8", errors="replace"))
        except ValueError:  # TOMLDecodeError, or an integer of thousands of digits
            return None  # somebody else's broken pyproject is not our project marker
        if isinstance(data.get("tool"), dict) and "tapguard" in data["tool"]:
            return pyproject
    return None


_GIVEN: list[Path] = []  # --config-file: the file this process reads instead of the project's own


def use_file(path: Path | None) -> None:
    """`--config-file PATH`: read this file (tapguard.toml or a pyproject.toml) instead of the root's, same schema; None: the root's."""
    _GIVEN.clear()
    if path is not None:
        inputs.regular_file(path, f"--config-file {path}", 1024 * 1024)
        _GIVEN.append(path.resolve())


def load(root: Path) -> Config:
    source = _GIVEN[0] if _GIVEN else declared_in(root)
    if source is None:
        return Config(root=root)
    text = inputs.read_text(source, str(source), 1024 * 1024)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TapguardError(f"{source}: not valid TOML ({exc})") from None
    except ValueError as exc:  # the decoder's int() refusing thousands of digits
        raise TapguardError(f"{source}: not valid TOML ({str(exc)[:60]})") from None
    if source.name == PYPROJECT and not (isinstance(data.get("tool"), dict) and "tapguard" in data["tool"]):
        raise TapguardError(f"{source}: no [tool.tapguard] table")
    if source.name == PYPROJECT:
        body, prefix = data["tool"]["tapguard"], "tool.tapguard"
    else:
        body = data.get("tool", {}).get("tapguard", data) if set(data) == {"tool"} else data
        prefix = "tool.tapguard" if body is not data else ""
    return parse(body, root, source, prefix)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("expected", "a path cannot hold a NUL character")
    return value


def _public_url(value: str) -> str:
    """A page anyone with the SARIF can open: http(s), a host, nothing that is a local path or spans lines."""
    import urllib.parse

    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or not value.isprintable() or " " in value:
        raise PydanticCustomError("expected", "expected an http(s) URL (a public page, never a local path)")
    return value


PathText = Annotated[str, expecting("a path string"), Field(min_length=1), AfterValidator(_no_nul)]
StackOutput = Annotated[str, expecting("the stack's output name"), Field(min_length=1)]


class DrillOutputs(Table):
    """tapguard's name = the stack's output name, for the drill's target discovery."""

    unknown_words = "unknown drill output"
    region: StackOutput | None = None
    aurora_cluster_id: StackOutput | None = None
    redis_replication_group_id: StackOutput | None = None
    secret_arns: StackOutput | None = None


ProfileGiven = Annotated[
    Annotated[str, AfterValidator(_no_nul), Tag("<file>")] | Annotated[dict[str, Any], Tag("<table>")],
    Discriminator(
        lambda v: "<file>" if isinstance(v, str) else "<table>" if isinstance(v, dict) else None,
        custom_error_type="expected",
        custom_error_message="expected a table or a YAML file path",
    ),
]


class StackTable(Table):
    path: Annotated[str, expecting("the stack's directory, relative to the project root"), Field(min_length=1), AfterValidator(_no_nul)]
    profile: ProfileGiven | None = None


def _stack_entry(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value  # `prod = "infra/prod"` is short for a table with path


StackEntry = Annotated[
    StackTable,
    BeforeValidator(_stack_entry),
    expecting("a table with path (and profile)"),
]
EnvironmentList = list[Annotated[str, expecting("a path or glob"), Field(min_length=1), AfterValidator(_no_nul)]]
EnvironmentTables = dict[str, StackEntry]


def _environments_kind(value: Any) -> str | None:
    return "<list>" if isinstance(value, list) else "<table>" if isinstance(value, dict) else None


class AccountsTable(Table):
    """Which environments are deployed into one AWS account (AC1 compares their plans)."""

    shared: list[Annotated[list[Annotated[str, Field(min_length=1)]], expecting("a list of environment names")]]


class ConfigFile(Table):
    """The keys of tapguard.toml (or [tool.tapguard]), declared."""

    environments: (
        Annotated[
            Annotated[EnvironmentList, Tag("<list>")] | Annotated[EnvironmentTables, Tag("<table>")],
            Discriminator(
                _environments_kind,
                custom_error_type="expected",
                custom_error_message="expected a list of paths or a table of environments",
            ),
        ]
        | None
    ) = None
    waivers: PathText | None = None
    evidence: PathText | None = None
    output: Annotated[
        list[str],
        BeforeValidator(lambda v: [v] if isinstance(v, str) else v),
        expecting("a list of formats (the names `-o` takes)"),
        Field(min_length=1),
    ] = ["cli"]
    output_file_path: PathText | None = None
    drills: PathText | None = None
    drill_outputs: DrillOutputs = DrillOutputs()
    forbid_scope_all: Annotated[bool, expecting("true/false")] = False
    sarif_help_base: Annotated[str, expecting("an http(s) URL"), AfterValidator(_public_url)] | None = None
    accounts: AccountsTable | None = None


def parse(body: Any, root: Path, source: Path, prefix: str = "") -> Config:
    def key(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def fail(name: str, message: str) -> TapguardError:
        return TapguardError(f"{source}: {key(name)}: {message}")

    if not isinstance(body, dict):
        raise TapguardError(f"{source}: [{prefix or 'tapguard'}] must be a table")
    try:
        declared = ConfigFile.model_validate(body, context={"dialect": "toml"})
    except ValidationError as exc:
        raise one_line(exc, str(source), "toml", prefix) from None

    def path_of(value: str | None) -> Path | None:
        return None if value is None else (root / value).resolve()

    # the names are checked against the output registry (tapguard.evidence.formats) by the command that writes them
    return Config(
        root=root,
        source=source,
        prefix=prefix,
        environments=_environments(declared.environments, root, fail),
        waivers=path_of(declared.waivers),
        evidence=path_of(declared.evidence),
        output=tuple(dict.fromkeys(declared.output)),
        output_file_path=path_of(declared.output_file_path),
        drills=path_of(declared.drills),
        drill_outputs=declared.drill_outputs.model_dump(exclude_none=True),
        forbid_scope_all=declared.forbid_scope_all,
        sarif_help_base=declared.sarif_help_base,
        shared_accounts=None if declared.accounts is None else tuple(tuple(g) for g in declared.accounts.shared),
    )


def _environments(value: list[str] | dict[str, StackTable] | None, root: Path, fail: Any) -> tuple[EnvironmentSpec, ...] | None:
    """The declared environments, found on disk (globs expanded, each a Terraform root module)."""
    if value is None:
        return None
    specs: list[EnvironmentSpec] = []
    if isinstance(value, list):
        for i, pattern in enumerate(value):
            try:
                matched = sorted(p for p in root.glob(pattern) if p.is_dir()) if any(c in pattern for c in "*?[") else [root / pattern]
            except (ValueError, NotImplementedError) as exc:  # an absolute or malformed glob ("/etc/*", "a/**b")
                raise fail(f"environments[{i}]", f"not a glob relative to the project root ({exc})") from None
            if not matched:
                raise fail(f"environments[{i}]", f"{pattern!r} matches no directory under {root}")
            specs.extend(EnvironmentSpec(p.resolve().name, _stack_dir(p, f"environments[{i}]", fail)) for p in matched)
    else:
        for name, stack in value.items():
            where = f"environments.{name}"
            if not set(name) <= _NAME_CHARS or name in (".", ".."):
                raise fail(where, "an environment name may hold letters, digits, '.', '_' and '-' only")
            path = _stack_dir(root / stack.path, f"{where}.path", fail)
            specs.append(EnvironmentSpec(name, path, _profile(stack.profile, root, f"{where}.profile", fail)))
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise fail("environments", f"environment name {twice[0]!r} is given twice; use the table form to name them")
    return tuple(specs)


def _stack_dir(path: Path, where: str, fail: Any) -> Path:
    if not path.is_dir():
        raise fail(where, f"{path} is not a directory")
    if not any(path.glob("*.tf")):
        raise fail(where, f"{path} holds no *.tf files (not a Terraform root module)")
    return path.resolve()


def _profile(value: Any, root: Path, where: str, fail: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return read_profile(root / value, where)
    if not isinstance(value, dict):
        raise fail(where, f"expected a table or a YAML file path, got {_toml_type(value)}")
    return check_profile(value, where, fail)


def read_profile(path: Path, where: str) -> dict[str, Any]:
    """A profile file (YAML mapping of Profile fields), e.g. <stack>/tapguard-profile.yaml."""
    from tapguard.foundation.safe_yaml import safe_yaml

    data = safe_yaml(inputs.read_text(path, str(path), 1024 * 1024), str(path))

    def fail(name: str, message: str) -> TapguardError:
        return TapguardError(f"{path}: {name.removeprefix(where + '.') if name != where else 'profile'}: {message}")

    return check_profile(data, where, fail)


def profile_fields() -> dict[str, Any]:
    from tapguard.foundation.profile import Profile

    hints = typing.get_type_hints(Profile)
    return {f.name: hints[f.name] for f in dataclasses.fields(Profile) if f.name != "name"}


class ProfileTable(Table):
    """A stack's profile: the fields of foundation.profile.Profile, each typed as declared there."""

    unknown_words = "unknown profile key"


def _declared(hint: Any) -> Any:
    """The schema type of one Profile field (a tuple is written as a list; an int is never negative)."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    kinds: list[Any] = []
    for option in options:
        if typing.get_origin(option) is tuple:
            kinds.append(list[str])
        elif option is int:
            kinds.append(Annotated[int, Field(ge=0)])
        else:
            kinds.append(option)
    union = kinds[0] if len(kinds) == 1 else typing.Union[tuple(kinds)]  # noqa: UP007 (built at run time)
    return Annotated[union, expecting(" or ".join(_hint_name(o) for o in options))]


@functools.cache
def profile_model() -> type[ProfileTable]:
    """The declared profile schema, built once from the Profile dataclass (one source of truth for its fields)."""
    fields: dict[str, Any] = {name: (_declared(hint), None) for name, hint in profile_fields().items()}
    return pydantic.create_model("Profile", __base__=ProfileTable, **fields)


def check_profile(data: Any, where: str, fail: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise fail(where, f"expected a mapping of profile fields, got {_toml_type(data)}")
    try:
        declared = profile_model().model_validate(data, context={"dialect": "toml"})
    except ValidationError as exc:
        name, words = first_problem(exc, "toml")
        raise fail(f"{where}.{name}" if name else where, words) from None
    given = declared.model_dump(include=set(data))
    return {name: tuple(value) if isinstance(value, list) else value for name, value in given.items()}


def _hint_name(hint: Any) -> str:
    if typing.get_origin(hint) is tuple:
        return "a list of strings"
    return {bool: "true/false", int: "an integer", str: "a string", type(None): "nothing"}.get(hint, str(hint))


def _toml_type(value: Any) -> str:
    names = {dict: "a table", list: "a list", str: "a string", bool: "a boolean", int: "an integer", float: "a float"}
    return names.get(type(value), type(value).__name__)
