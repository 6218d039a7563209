"""Module examples: each README shows exactly the module block its examples/basic plans, and
planning the examples with tftest keeps no secret and no binary plan."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tapguard.planning import localaws, model, project, toolchain
from tapguard.planning.redaction import REDACTED
from tapguard.planning.runner import cache_key
from tests.conftest import ROOT
from tests.planning import examples

MODULES = sorted(p for p in (ROOT / "modules").iterdir() if p.is_dir())
_MODULE_BLOCK = re.compile(r'^module "[^"]+" \{\n.*?^\}\n', re.DOTALL | re.MULTILINE)
_README_HCL = re.compile(r"^```hcl\n(.*?)^```", re.DOTALL | re.MULTILINE)


def module_block(main_tf: str) -> str:
    blocks = _MODULE_BLOCK.findall(main_tf)
    assert len(blocks) == 1, f"expected one module block, found {len(blocks)}"
    return str(blocks[0])


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_readme_example_is_the_planned_example(module: Path) -> None:
    planned = module_block((module / "examples/basic/main.tf").read_text())
    shown = _README_HCL.findall((module / "README.md").read_text())
    assert shown == [planned], f"modules/{module.name}/README.md: the hcl block must be the module block of examples/basic/main.tf"
    assert 'source = "../.."' in " ".join(planned.split()), "the example must call the module it documents"


def test_module_block_is_found_whole() -> None:
    text = 'data "x" "y" {\n}\n\nmodule "m" {\n  source = "../.."\n  keys = {\n    a = 1\n  }\n}\n'
    assert module_block(text) == 'module "m" {\n  source = "../.."\n  keys = {\n    a = 1\n  }\n}\n'


@pytest.mark.terraform
def test_example_plans_keep_no_secret(example_plans: dict[str, Path], endpoint: localaws.LocalAWS) -> None:
    assert set(example_plans) == {e.label for e in examples.examples(ROOT)}
    seeded = endpoint.secret_strings()
    assert seeded, "the endpoint seeds the EXISTING secrets the aurora and secrets examples read"
    for label, path in example_plans.items():
        text = path.read_text()
        assert json.loads(text)["format_version"].startswith("1."), f"{label}: not a plan JSON"
        assert not [s for s in seeded if s in text], f"{label}: a seeded secret value is in the kept plan"
    # The redis example has Secrets Manager generate its AUTH token at plan time: kept only redacted.
    redis = model.load(example_plans["modules/redis/examples/basic"])
    generated = redis.by_address["module.redis.data.aws_secretsmanager_random_password.auth[0]"]
    assert generated.get("random_password") == REDACTED
    assert redis.by_address["module.redis.aws_elasticache_replication_group.this"].get("auth_token") == REDACTED


@pytest.mark.terraform
def test_planning_leaves_no_binary_plan_and_nothing_in_the_repo(example_plans: dict[str, Path], example_scratch: Path) -> None:
    assert not list(example_scratch.iterdir()), "the hermetic copies, binary plans included, are removed"
    for example in examples.examples(ROOT):
        written = (".terraform", ".terraform.lock.hcl", "terraform.tfstate", "plan.bin")
        leftovers = [p.name for p in example.path.iterdir() if p.name in written]
        assert not leftovers, f"{example.label}: terraform wrote {leftovers} into the repo"
    assert not list((ROOT / "tests").rglob(".tftest-cache")), "tftest's pickle cache (unredacted plans) must not be used"


def test_an_example_is_cached_apart_from_the_stacks_that_use_its_module(tmp_path: Path, tools: toolchain.Toolchain) -> None:
    shutil.copytree(ROOT / "modules", tmp_path / "modules", ignore=shutil.ignore_patterns(".terraform"))
    shutil.copytree(ROOT / "environments/us-west-2", tmp_path / "environments/us-west-2")
    stack = project.load_environment(tmp_path / "environments/us-west-2")
    example = project.load_environment(tmp_path / "modules/kinesis/examples/basic")
    before = (cache_key(stack, tools, "local", {}), cache_key(example, tools, "local", {}))
    main = tmp_path / "modules/kinesis/examples/basic/main.tf"
    main.write_text(main.read_text().replace('name_suffix = "dev"', 'name_suffix = "qa"'))
    after = (cache_key(stack, tools, "local", {}), cache_key(example, tools, "local", {}))
    assert after[0] == before[0], "editing an example must not re-plan the stacks"
    assert after[1] != before[1], "editing an example re-plans the example"
    module = tmp_path / "modules/kinesis/main.tf"
    module.write_text(module.read_text() + "\n# changed\n")
    assert cache_key(example, tools, "local", {}) != after[1], "editing the module re-plans its example"
