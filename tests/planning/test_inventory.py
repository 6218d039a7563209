"""Plan assertions as data: every environment and every module example has an inventory.yaml,
and its real plan matches it (resource counts by type, key values by address, outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tapguard.planning import model
from tests.conftest import ROOT
from tests.planning import inventory

pytestmark = pytest.mark.terraform

ENVIRONMENTS = sorted(p for p in (ROOT / "environments").iterdir() if p.is_dir() and any(p.glob("*.tf")))
EXAMPLES = sorted(p for p in (ROOT / "modules").glob("*/examples/*") if p.is_dir())


def _check(path: Path, plan_json: Path) -> None:
    found = inventory.differences(inventory.load(path), model.load(plan_json), str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda p: p.name)
def test_environment_plan_matches_its_inventory(env: Path, env_plans: dict[str, Path]) -> None:
    _check(env / "inventory.yaml", env_plans[env.name])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parent.parent.name}-{p.name}")
def test_module_example_plan_matches_its_inventory(example: Path, example_plans: dict[str, Path]) -> None:
    _check(example / "inventory.yaml", example_plans[str(example.relative_to(ROOT))])


def test_every_environment_and_module_example_has_an_inventory() -> None:
    assert ENVIRONMENTS and EXAMPLES
    missing = [str(p.relative_to(ROOT)) for p in [*ENVIRONMENTS, *EXAMPLES] if not (p / "inventory.yaml").is_file()]
    assert not missing, f"no inventory.yaml in {missing}"
    for module in sorted(p for p in (ROOT / "modules").iterdir() if p.is_dir()):
        assert (module / "examples/basic/main.tf").is_file(), f"{module.name}: needs examples/basic (its README example, planned)"


def test_a_difference_names_the_file_the_address_and_both_values(tmp_path: Path, env_plans: dict[str, Path]) -> None:
    data = yaml.safe_load((ROOT / "environments/us-west-2/inventory.yaml").read_text())
    data["counts"]["aws_kms_key"] += 1
    del data["counts"]["aws_nat_gateway"]
    data["values"]["module.aurora.aws_rds_cluster.this"]["engine_version"] = "16.4"
    data["values"]["module.redis.aws_elasticache_replication_group.this"]["preferred_cache_cluster_azs"][2] = "us-west-2d"
    data["values"]["module.aurora.aws_rds_cluster.this.typo"] = {"engine": "aurora-postgresql"}
    data["outputs"]["region"] = "us-east-1"
    data["outputs"]["aurora_cluster_id"] = "aurora-transactions-dev"
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    found = inventory.differences(inventory.load(path), model.load(env_plans["us-west-2"]), "us-west-2/inventory.yaml")
    assert found == [
        "us-west-2/inventory.yaml: counts aws_kms_key: expected 7, planned 6",
        "us-west-2/inventory.yaml: counts aws_nat_gateway: expected 0, planned 3",
        'us-west-2/inventory.yaml: module.aurora.aws_rds_cluster.this engine_version: expected "16.4", planned "15.10"',
        "us-west-2/inventory.yaml: module.redis.aws_elasticache_replication_group.this preferred_cache_cluster_azs.2: "
        'expected "us-west-2d", planned "us-west-2c"',
        "us-west-2/inventory.yaml: module.aurora.aws_rds_cluster.this.typo: not in the plan",
        'us-west-2/inventory.yaml: output region: expected "us-east-1", planned "us-west-2"',
        'us-west-2/inventory.yaml: output aurora_cluster_id: expected "aurora-transactions-dev", planned (known after apply)',
    ]


def test_an_inventory_without_counts_or_with_an_unknown_section_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text("values: {}\n")
    with pytest.raises(AssertionError, match="counts: is required"):
        inventory.load(path)
    path.write_text("counts: {aws_vpc: 1}\nvalue: {}\n")
    with pytest.raises(AssertionError, match=r"unknown sections \['value'\]"):
        inventory.load(path)
