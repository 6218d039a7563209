"""classes.yaml against the truth: the hashicorp/aws 5.100.0 schema from a real `terraform providers schema -json`,
and checkov's own registry for every `checkov:` source."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import classes
from tapguard.planning import toolchain

REQUIRED = """terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}
"""


@pytest.fixture(scope="module")
def aws_schema(tmp_path_factory: pytest.TempPathFactory, tools: toolchain.Toolchain) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("schema")
    (root / "main.tf").write_text(REQUIRED)
    env = {**tools.env(), "PATH": str(Path(tools.binary.path).parent) + ":/usr/bin:/bin", "HOME": str(root)}
    subprocess.run([str(tools.binary.path), "init", "-input=false", "-backend=false"], cwd=root, env=env, check=True, capture_output=True)
    out = subprocess.run([str(tools.binary.path), "providers", "schema", "-json"], cwd=root, env=env, check=True, capture_output=True)
    providers = json.loads(out.stdout)["provider_schemas"]
    (aws,) = [v for k, v in providers.items() if k.endswith("/hashicorp/aws")]
    schemas: dict[str, Any] = aws["resource_schemas"]
    return schemas


@pytest.mark.terraform
def test_every_type_and_attribute_path_exists_in_the_provider_schema(aws_schema: dict[str, Any]) -> None:
    assert len(aws_schema) > 1000  # the whole provider, not a stub
    assert classes.schema_problems(classes.load(), aws_schema) == []


@pytest.mark.terraform
def test_the_schema_check_fails_on_a_renamed_attribute(aws_schema: dict[str, Any]) -> None:
    # v4 name of the replication group's description: the check must notice it is gone in 5.x
    data = classes.parse(
        {
            "classes": {"data_store": {}},
            "facets": {"at_rest": {"control": "E8", "statement": "s", "requirements": ["3.5.1"]}},
            "provider": {"version": "5.100.0"},
            "types": {"aws_elasticache_replication_group": {"classes": ["data_store"], "sources": ["checkov:CKV_AWS_29"],
                      "at_rest": {"flag": {"path": "replication_group_description", "set": True}, "cmk": ["kms_key_id"]}}},
        }
    )  # fmt: skip
    assert classes.schema_problems(data, aws_schema) == [
        "aws_elasticache_replication_group: replication_group_description: no attribute or block 'replication_group_description'"
    ]


def _checkov_types_by_id() -> dict[str, set[str]]:
    """check id -> resource types it reads: the registry's supported types, plus every aws_ type a graph check's
    definition names (graph checks list their primary type only; the rest are connected resources)."""
    checkov = pytest.importorskip("checkov")
    from checkov.terraform.checks.resource.registry import resource_registry

    found: dict[str, set[str]] = {}
    for rtype, checks in resource_registry.checks.items():
        for check in checks:
            found.setdefault(check.id, set()).add(rtype)
    base = Path(checkov.__file__).parent / "terraform" / "checks"
    for path in base.rglob("*"):
        if path.suffix not in (".py", ".yaml", ".json") or "aws" not in path.parts:
            continue
        text = path.read_text(errors="replace")
        for cid in set(re.findall(r"\bCKV2?_AWS_\d+\b", text)):
            found.setdefault(cid, set()).update(re.findall(r"\baws_[a-z0-9_]+", text))
    return found


def test_every_checkov_source_is_a_checkov_check_of_that_type() -> None:
    by_id = _checkov_types_by_id()
    wrong = []
    for t in classes.load().types.values():
        for source in t.sources:
            if source.startswith("checkov:"):
                cid = source.removeprefix("checkov:")
                if t.type not in by_id.get(cid, set()):
                    wrong.append(f"{t.type}: {cid}")
    assert wrong == []
