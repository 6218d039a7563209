"""The project on disk: its root, its environments and what each one declares."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.foundation import config
from tapguard.foundation.errors import TapguardError
from tapguard.planning import hcl

ROOT_ENV = "TAPGUARD_ROOT"


@dataclass(frozen=True)
class Environment:
    """One root module under environments/ (or any root module directory)."""

    name: str
    path: Path
    region: str | None
    tfvars: Path | None
    variables: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    profile: dict[str, Any] | None = field(default=None, compare=False, hash=False)  # from config or <stack>/tapguard-profile.yaml

    @property
    def existing_secrets(self) -> dict[str, str]:
        """Purpose -> name of the EXISTING secrets the stack reads (never creates)."""
        value = self.variables.get("existing_secrets") or {}
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def find_root(start: Path | None = None) -> Path:
    """The nearest directory with tapguard.toml or [tool.tapguard] in pyproject.toml, else with environments/ and modules/."""
    override = os.environ.get(ROOT_ENV)
    if override:
        # any layout: stacks are then named by path (the GitHub action and the pre-commit hook set this)
        root = Path(override).resolve()
        if not root.is_dir():
            raise TapguardError(f"{ROOT_ENV}={override} is not a directory")
        return root
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:
        raise TapguardError(f"the current directory no longer exists; cd into a project or set {ROOT_ENV}") from None
    for candidate in (here, *here.parents):
        if config.declared_in(candidate) is not None:
            return candidate
        if (candidate / "environments").is_dir() and (candidate / "modules").is_dir():
            return candidate
    raise TapguardError(
        f"no tapguard project found from {here} upwards ({config.CONFIG_FILE}, [tool.tapguard] in pyproject.toml, "
        f"or a directory with environments/ and modules/); cd into one or set {ROOT_ENV}"
    )


def state_dir(root: Path) -> Path:
    path = root / ".tapguard"
    path.mkdir(exist_ok=True)
    return path


def load_environment(path: Path, name: str | None = None, profile: dict[str, Any] | None = None) -> Environment:
    path = path.resolve()
    if not path.is_dir() or not any(path.glob("*.tf")):
        raise TapguardError(f"{path} is not a Terraform root module (no *.tf files)")
    tfvars = path / "terraform.tfvars"
    variables = hcl.load_tfvars(tfvars) if tfvars.is_file() else {}
    beside = path / config.PROFILE_FILE
    if profile is None and (beside.exists() or beside.is_symlink()):
        profile = config.read_profile(beside, "profile")
    return Environment(
        name=name or path.name,
        path=path,
        region=hcl.provider_region(path),
        tfvars=tfvars if tfvars.is_file() else None,
        variables=variables,
        profile=profile,
    )


def environments(root: Path) -> list[Environment]:
    """The configured environments, else every root module under environments/."""
    specs = config.load(root).environments
    if specs is not None:
        return [load_environment(s.path, s.name, s.profile) for s in specs]
    base = root / "environments"
    if not base.is_dir():
        return []
    return [load_environment(p) for p in sorted(base.iterdir()) if p.is_dir() and any(p.glob("*.tf"))]


def select(root: Path, names: list[str]) -> list[Environment]:
    """Environments by name (configured, or environments/<name>) or by path; all of them when names is empty."""
    if not names:
        found = environments(root)
        if not found:
            raise TapguardError(
                f"{root} declares no environment and {root / 'environments'} holds no Terraform root module "
                "(or name the root module paths to check)"
            )
        return found
    chosen = []
    specs = config.load(root).environments
    for name in names:
        by_name = root / "environments" / name
        spec = next((s for s in specs if s.name == name), None) if specs is not None else None
        if spec is not None:
            chosen.append(load_environment(spec.path, spec.name, spec.profile))
        elif specs is None and by_name.is_dir():
            chosen.append(load_environment(by_name))
        elif Path(name).is_dir():
            chosen.append(load_environment(Path(name)))
        else:
            known = ", ".join(s.name for s in specs) if specs is not None else ", ".join(e.name for e in environments(root))
            raise TapguardError(f"unknown environment {name!r} (known: {known or 'none'}; or give a root module path)")
    return chosen


def git_sha(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True, check=False)
    except OSError:
        return "nogit"
    sha = out.stdout.strip()
    if not sha:
        return "nogit"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, check=False)
    return f"{sha}-dirty" if dirty.stdout.strip() else sha
