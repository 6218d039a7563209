"""Workflow and action hardening: third-party actions pinned by commit SHA with their version beside it, checkouts that
keep no token, no expression interpolated into a script, zizmor clean at medium and above."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = [*sorted((ROOT / ".github/workflows").glob("*.yml")), ROOT / "action.yml"]
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^\s+# v\d+(\.\d+)*$")


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in document:  # an action's metadata
        return list(document["runs"].get("steps", []))
    return [s for job in document["jobs"].values() for s in job.get("steps", [])]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_sha_with_the_version(path: Path) -> None:
    refs = [m for m in map(USES.match, path.read_text().splitlines()) if m]
    assert refs, f"{path.name} uses no action?"
    for m in refs:
        ref = m.group("ref")
        if ref.startswith("./"):
            continue  # an action of this repository, pinned by the checkout itself
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a full commit SHA"
        assert VERSION_COMMENT.match(m.group("comment")), f"{path.name}: {ref} needs its version in a comment (# vX.Y.Z)"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path: Path) -> None:
    for step in steps(yaml.safe_load(path.read_text())):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}: checkout keeps its token"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_expression_is_interpolated_into_a_script(path: Path) -> None:
    """Matrix values, inputs and step outputs reach scripts through env: (template injection otherwise)."""
    for step in steps(yaml.safe_load(path.read_text())):
        run = step.get("run", "")
        assert "${{" not in run, f"{path.name}: step {step.get('name') or run.splitlines()[0]!r} interpolates into its script"
