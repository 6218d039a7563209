"""Rules before any drill touches AWS: explicit confirmation, an allow tag or allow-list entry, one failover."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tapguard.foundation.errors import TapguardError

ALLOW_TAG = ("tapguard:drill", "allowed")


def read_allow_list(path: Path | None) -> set[str]:
    if path is None:
        return set()
    if not path.is_file():
        raise TapguardError(f"--allow-list {path}: no such file")
    return {line.split("#", 1)[0].strip() for line in path.read_text().splitlines() if line.split("#", 1)[0].strip()}


def tags_of(client: Any, arn: str) -> dict[str, str]:
    found = client.list_tags_for_resource(ResourceName=arn)
    return {t["Key"]: t["Value"] for t in found.get("TagList", [])}


def confirmed(env: str | None, confirm: str | None, component: str, resource_id: str | None) -> None:
    """The checks that need no AWS call; made before any (terraform state, describe, tags) is."""
    expected = env or resource_id
    if not expected:
        raise TapguardError("name what to fail over: --env ENV, or --cluster-id / --replication-group-id")
    if not confirm:
        raise TapguardError(f"a drill against AWS fails over production-grade resources: add --confirm {expected} to proceed")
    if confirm != expected:
        raise TapguardError(f"--confirm {confirm} does not match {expected}; nothing was done")
    if component not in ("aurora", "redis"):
        raise TapguardError("one failover per run on AWS: choose --component aurora or --component redis")


def check(
    env: str | None, confirm: str | None, component: str, resource_id: str, resource_arn: str, tags: dict[str, str], allow_list: set[str]
) -> None:
    confirmed(env, confirm, component, resource_id)
    allowed = tags.get(ALLOW_TAG[0]) == ALLOW_TAG[1] or resource_id in allow_list or resource_arn in allow_list
    if not allowed:
        raise TapguardError(
            f"{resource_id} is not allowed for drills: tag it {ALLOW_TAG[0]}={ALLOW_TAG[1]} "
            "(terraform var drill_allowed = true) or list it in --allow-list FILE"
        )
