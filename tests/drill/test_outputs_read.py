"""Every Terraform output the drills read exists in the environments' outputs.tf, so a renamed
output fails here instead of in a drill against a real account."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tapguard.drill.targets.build import OUTPUTS_READ, SECRET_KEYS
from tapguard.planning import hcl
from tests.conftest import ROOT

SECRET_ARN_KEYS = tuple(sorted(SECRET_KEYS.values()))  # keys of the secret_arns output the drills read
DRILLED = ("us-west-2", "eu-west-1")


def declared_outputs(env: Path) -> dict[str, Any]:
    """Output name -> its value expression, from every *.tf of a root module."""
    found: dict[str, Any] = {}
    for tf in sorted(env.glob("*.tf")):
        for block in hcl.load(tf).children("output"):
            found[block.labels[0]] = block.attributes.get("value")
    return found


@pytest.mark.parametrize("env", DRILLED)
def test_every_output_the_drills_read_is_declared(env: str) -> None:
    declared = declared_outputs(ROOT / "environments" / env)
    missing = [name for name in OUTPUTS_READ if name not in declared]
    assert not missing, f"environments/{env}/outputs.tf: drills read {missing}, not declared"
    keys = object_keys(declared["secret_arns"])
    assert keys is not None, f"environments/{env}: secret_arns must be an object"
    assert sorted(set(SECRET_ARN_KEYS) - keys) == [], f"environments/{env}: secret_arns lacks {SECRET_ARN_KEYS}"


def object_keys(value: Any) -> set[str] | None:
    """The keys of an object value: a literal map, or an object constructor whose values are references."""
    if isinstance(value, dict):
        return set(value)
    if isinstance(value, hcl.Expression) and value.text.lstrip().startswith("{"):
        return set(re.findall(r"^\s*([A-Za-z_][\w-]*)\s*=", value.text, re.MULTILINE))
    return None


def test_a_missing_output_is_found(tmp_path: Path) -> None:
    (tmp_path / "outputs.tf").write_text(
        'output "region" {\n  value = "us-west-2"\n}\n\noutput "secret_arns" {\n  value = { aurora_master = "x" }\n}\n'
    )
    declared = declared_outputs(tmp_path)
    assert declared == {"region": "us-west-2", "secret_arns": {"aurora_master": "x"}}
    assert [n for n in OUTPUTS_READ if n not in declared] == [n for n in OUTPUTS_READ if n not in ("region", "secret_arns")]
    assert "aurora_cluster_id" in OUTPUTS_READ and "redis_replication_group_id" in OUTPUTS_READ
