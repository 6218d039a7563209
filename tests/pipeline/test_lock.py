"""The hash locks under requirements/ match pyproject.toml: every dependency of each set's extras is pinned at a
version its specifier allows, every pin carries hashes, and the sets agree with each other (one resolution)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)(?P<rest>[^\n]*)")


def nox_locks() -> dict[str, tuple[str, ...]]:
    """LOCKS from noxfile.py, read without importing nox."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "LOCKS" for t in node.targets):
            return dict(ast.literal_eval(node.value))
    raise AssertionError("noxfile.py defines no LOCKS")


def pins(path: Path) -> dict[str, str]:
    text = path.read_text()
    found: dict[str, str] = {}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    for block in blocks:
        m = PIN.match(block)
        if not m:
            continue
        assert "--hash=sha256:" in block, f"{path.name}: {m.group('name')} has no hash"
        found[canonicalize_name(m.group("name"))] = m.group("version")
    return found


def required(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"]) + [r for extra in extras for r in project["optional-dependencies"][extra]]
    return [Requirement(r) for r in names]


def test_every_extra_is_in_some_lock() -> None:
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    locked = {e for combo in nox_locks().values() for e in combo}
    assert extras == locked, f"extras without a lock: {extras - locked}; locks of unknown extras: {locked - extras}"


@pytest.mark.parametrize("name", sorted(nox_locks()))
def test_lock_satisfies_pyproject(name: str) -> None:
    locked = pins(ROOT / "requirements" / f"{name}.txt")
    for requirement in required(nox_locks()[name]):
        key = canonicalize_name(requirement.name)
        assert key in locked, f"requirements/{name}.txt lacks {requirement.name} (run nox -s lock)"
        assert requirement.specifier.contains(locked[key], prereleases=True), (
            f"requirements/{name}.txt pins {requirement.name}=={locked[key]}, pyproject asks {requirement.specifier} (run nox -s lock)"
        )
    assert "tapguard" not in locked


def test_locks_come_from_one_resolution() -> None:
    seen: dict[str, tuple[str, str]] = {}
    for name in nox_locks():
        for package, version in pins(ROOT / "requirements" / f"{name}.txt").items():
            first = seen.setdefault(package, (name, version))
            assert first[1] == version, f"{package}: {first[1]} in {first[0]}.txt but {version} in {name}.txt"


def test_checkov_and_the_hcl2_libraries_only_where_the_scan_extra_is() -> None:
    for name, extras in nox_locks().items():
        locked = pins(ROOT / "requirements" / f"{name}.txt")
        assert ("checkov" in locked) == ("scan" in extras), name
        assert "python-hcl2" not in locked, f"{name}: tapguard reads HCL itself; nothing should pull python-hcl2"


def test_tools_lock() -> None:
    wanted = [Requirement(line) for line in (ROOT / "requirements/tools.in").read_text().splitlines() if line and not line.startswith("#")]
    locked = pins(ROOT / "requirements/tools.txt")
    for requirement in wanted:
        assert requirement.specifier.contains(locked[canonicalize_name(requirement.name)]), requirement
