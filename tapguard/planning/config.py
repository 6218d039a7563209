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
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard import inputs
from tapguard.errors import TapguardError

CONFIG_FILE = "tapguard.toml"
PYPROJECT = "pyproject.toml"
PROFILE_FILE = "tapguard-profile.yaml"  # a stack's profile, next to the stack
OUTPUT_FORMATS = ("cli", "json", "sarif", "junit", "md", "html")
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
    environments: tuple[EnvironmentSpec, ...] | None = None  # None: every root module under environments/
    waivers: Path | None = None
    evidence: Path | None = None
    output: tuple[str, ...] = ("cli",)
    output_file_path: Path | None = None
    drills: Path | None = None
    drill_outputs: dict[str, str] = field(default_factory=dict)

    @property
    def waiver_file(self) -> Path:
        return self.waivers or self.root / "waivers.yaml"

    @property
    def evidence_dir(self) -> Path:
        return self.evidence or self.root / "evidence"


def declared_in(directory: Path) -> Path | None:
    """The config file that makes `directory` a project root, if any."""
    own = directory / CONFIG_FILE
    if own.is_file():
        return own
    pyproject = directory / PYPROJECT
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8", errors="replace"))
        except tomllib.TOMLDecodeError:
            return None  # somebody else's broken pyproject is not our project marker
        if isinstance(data.get("tool"), dict) and "tapguard" in data["tool"]:
            return pyproject
    return None


def load(root: Path) -> Config:
    source = declared_in(root)
    if source is None:
        return Config(root=root)
    text = inputs.read_text(source, str(source), 1024 * 1024)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TapguardError(f"{source}: not valid TOML ({exc})") from None
    if source.name == PYPROJECT:
        body, prefix = data["tool"]["tapguard"], "tool.tapguard"
    else:
        body = data.get("tool", {}).get("tapguard", data) if set(data) == {"tool"} else data
        prefix = "tool.tapguard" if body is not data else ""
    return parse(body, root, source, prefix)


def parse(body: Any, root: Path, source: Path, prefix: str = "") -> Config:
    def key(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def fail(name: str, message: str) -> TapguardError:
        return TapguardError(f"{source}: {key(name)}: {message}")

    if not isinstance(body, dict):
        raise TapguardError(f"{source}: [{prefix or 'tapguard'}] must be a table")
    known = {"environments", "waivers", "evidence", "output", "output_file_path", "drills", "drill_outputs"}
    for name in body:
        if name not in known:
            raise fail(name, f"unknown key (known: {', '.join(sorted(known))})")

    def path_of(name: str) -> Path | None:
        value = body.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(name, f"expected a path string, got {_toml_type(value)}")
        return (root / value).resolve()

    output = body.get("output", ["cli"])
    if isinstance(output, str):
        output = [output]
    if not isinstance(output, list) or not output or not all(isinstance(o, str) for o in output):
        raise fail("output", f"expected a list of formats ({', '.join(OUTPUT_FORMATS)})")
    for fmt in output:
        if fmt not in OUTPUT_FORMATS:
            raise fail("output", f"unknown format {fmt!r} (choose from {', '.join(OUTPUT_FORMATS)})")
    drill_outputs = body.get("drill_outputs", {})
    if not isinstance(drill_outputs, dict):
        raise fail("drill_outputs", "expected a table of tapguard output name = the stack's output name")
    for name, value in drill_outputs.items():
        if name not in DRILL_OUTPUTS:
            raise fail(f"drill_outputs.{name}", f"unknown drill output (known: {', '.join(DRILL_OUTPUTS)})")
        if not isinstance(value, str) or not value:
            raise fail(f"drill_outputs.{name}", f"expected the stack's output name, got {_toml_type(value)}")
    return Config(
        root=root,
        source=source,
        environments=_environments(body.get("environments"), root, fail),
        waivers=path_of("waivers"),
        evidence=path_of("evidence"),
        output=tuple(dict.fromkeys(output)),
        output_file_path=path_of("output_file_path"),
        drills=path_of("drills"),
        drill_outputs=dict(drill_outputs),
    )


def _environments(value: Any, root: Path, fail: Any) -> tuple[EnvironmentSpec, ...] | None:
    if value is None:
        return None
    specs: list[EnvironmentSpec] = []
    if isinstance(value, list):
        for i, entry in enumerate(value):
            if not isinstance(entry, str) or not entry:
                raise fail(f"environments[{i}]", f"expected a path or glob, got {_toml_type(entry)}")
            matched = sorted(p for p in root.glob(entry) if p.is_dir()) if any(c in entry for c in "*?[") else [root / entry]
            if not matched:
                raise fail(f"environments[{i}]", f"{entry!r} matches no directory under {root}")
            specs.extend(EnvironmentSpec(p.resolve().name, _stack_dir(p, f"environments[{i}]", fail)) for p in matched)
    elif isinstance(value, dict):
        for name, given in value.items():
            where = f"environments.{name}"
            entry = {"path": given} if isinstance(given, str) else given
            if not set(name) <= _NAME_CHARS or name in (".", ".."):
                raise fail(where, "an environment name may hold letters, digits, '.', '_' and '-' only")
            if not isinstance(entry, dict):
                raise fail(where, f"expected a table with path (and profile), got {_toml_type(entry)}")
            for k in entry:
                if k not in ("path", "profile"):
                    raise fail(f"{where}.{k}", "unknown key (known: path, profile)")
            if not isinstance(entry.get("path"), str) or not entry["path"]:
                raise fail(f"{where}.path", "required: the stack's directory, relative to the project root")
            path = _stack_dir(root / entry["path"], f"{where}.path", fail)
            specs.append(EnvironmentSpec(name, path, _profile(entry.get("profile"), root, f"{where}.profile", fail)))
    else:
        raise fail("environments", f"expected a list of paths or a table of environments, got {_toml_type(value)}")
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
    from tapguard.controls.waivers import safe_yaml

    data = safe_yaml(inputs.read_text(path, str(path), 1024 * 1024), str(path))

    def fail(name: str, message: str) -> TapguardError:
        return TapguardError(f"{path}: {name.removeprefix(where + '.') if name != where else 'profile'}: {message}")

    return check_profile(data, where, fail)


def profile_fields() -> dict[str, Any]:
    from tapguard.controls.engine import Profile

    hints = typing.get_type_hints(Profile)
    return {f.name: hints[f.name] for f in dataclasses.fields(Profile) if f.name != "name"}


def check_profile(data: Any, where: str, fail: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise fail(where, f"expected a mapping of profile fields, got {_toml_type(data)}")
    fields = profile_fields()
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name not in fields:
            raise fail(f"{where}.{name}", f"unknown profile key (known: {', '.join(fields)})")
        out[name] = _coerce(value, fields[name], f"{where}.{name}", fail)
    return out


def _coerce(value: Any, hint: Any, where: str, fail: Any) -> Any:
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and type(None) in options:
        return None
    for option in options:
        origin = typing.get_origin(option)
        if option is bool and isinstance(value, bool):
            return value
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise fail(where, f"expected a non-negative integer, got {value}")
            return value
        if option is str and isinstance(value, str):
            return value
        if origin is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
    wanted = " or ".join(_hint_name(o) for o in options)
    raise fail(where, f"expected {wanted}, got {_toml_type(value)} {value!r:.40}")


def _hint_name(hint: Any) -> str:
    if typing.get_origin(hint) is tuple:
        return "a list of strings"
    return {bool: "true/false", int: "an integer", str: "a string", type(None): "nothing"}.get(hint, str(hint))


def _toml_type(value: Any) -> str:
    names = {dict: "a table", list: "a list", str: "a string", bool: "a boolean", int: "an integer", float: "a float"}
    return names.get(type(value), type(value).__name__)
