"""The plan runner with real terraform: a small fixture module, both environments, cache, errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tapguard.foundation.errors import TapguardError
from tapguard.planning import model, project, toolchain
from tapguard.planning.redaction import REDACTED
from tapguard.planning.runner import PlanRunner, cache_key, module_dirs
from tests.conftest import FIXTURES

pytestmark = pytest.mark.terraform


def test_small_module_plans_for_real_then_hits_the_cache(tmp_path: Path, tools: toolchain.Toolchain, endpoint: Any) -> None:
    env = project.load_environment(FIXTURES / "small")
    runner = PlanRunner(tools, tmp_path, endpoint.env(), "local")
    cold = runner.plan(env)
    warm = runner.plan(env)
    assert not cold.cached and warm.cached and warm.json_path == cold.json_path
    assert cold.summary["add"] == 5  # 2 keys, 2 log groups, 1 parameter
    plan = model.load(cold.json_path)
    assert plan.region == "eu-central-1"
    groups = plan.of_type("aws_cloudwatch_log_group")
    assert [g.address for g in groups] == ["module.logs.aws_cloudwatch_log_group.this[0]", "module.logs.aws_cloudwatch_log_group.this[1]"]
    assert groups[1].references("kms_key_id").resources == ('aws_kms_key.this["logs"]',)
    parameter = plan.by_address["aws_ssm_parameter.password"]
    assert parameter.get("value") == REDACTED
    assert "fixture-Passw0rd-do-not-leak-4711" not in cold.json_path.read_text()
    assert not list(Path(tmp_path).rglob("plan.bin")), "the binary plan must not outlive the run"


def test_cache_key_changes_with_the_hcl(tmp_path: Path, tools: toolchain.Toolchain) -> None:
    copy = tmp_path / "small"
    shutil.copytree(FIXTURES / "small", copy)
    env = project.load_environment(copy)
    before = cache_key(env, tools, "local", {})
    (copy / "modules/logs/main.tf").write_text((copy / "modules/logs/main.tf").read_text().replace("365", "400"))
    assert cache_key(env, tools, "local", {}) != before
    assert cache_key(env, tools, "aws", {}) != cache_key(env, tools, "local", {})


def test_invalid_hcl_is_one_line_with_a_log(tmp_path: Path, tools: toolchain.Toolchain, endpoint: Any) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "main.tf").write_text('resource "aws_kms_key" "k" {\n  enable_key_rotation = maybe\n}\n')
    runner = PlanRunner(tools, tmp_path / "state", endpoint.env(), "local")
    with pytest.raises(TapguardError) as caught:
        runner.plan(project.load_environment(broken))
    message = str(caught.value)
    assert "broken: terraform" in message and "failed" in message and "full log:" in message
    assert "\n" not in message


def test_missing_local_module_is_named(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('module "x" {\n  source = "../nowhere"\n}\n')
    with pytest.raises(TapguardError, match=r"module source \.\./nowhere does not exist"):
        module_dirs(root)


def test_existing_secrets_are_read_not_created_in_us_west_2(env_plans: dict[str, Path]) -> None:
    plan = model.load(env_plans["us-west-2"])
    assert not plan.of_type("aws_secretsmanager_secret")
    assert {r.get("name") for r in plan.of_type("aws_secretsmanager_secret", mode="data")} == {
        "payments/aurora-master",
        "payments/redis-auth",
    }
    aurora = plan.of_type("aws_rds_cluster")[0]
    assert aurora.get("master_password") is None and aurora.get("manage_master_user_password") in (None, False)


def test_every_module_is_used_by_an_environment(root: Path) -> None:
    used = {d for env in project.environments(root) for d in module_dirs(env.path)}
    modules = {d.resolve() for d in (root / "modules").iterdir() if d.is_dir()}
    assert modules <= used, sorted(str(m) for m in modules - used)


@pytest.mark.parametrize("env", ["us-west-2", "eu-west-1"])
def test_fmt_and_validate_clean(env: str, root: Path, tools: toolchain.Toolchain, tmp_path: Path) -> None:
    from tapguard.planning.runner import hermetic_copy

    run_env = {**__import__("os").environ, **tools.env()}
    fmt = subprocess.run(
        [str(tools.binary.path), "fmt", "-check", "-recursive", "-no-color", str(root / "modules"), str(root / "environments")],
        capture_output=True,
        text=True,
        env=run_env,
        check=False,
    )
    assert fmt.returncode == 0, fmt.stdout
    work = hermetic_copy(project.load_environment(root / "environments" / env), tmp_path)
    subprocess.run(
        [str(tools.binary.path), "init", "-backend=false", "-input=false", "-no-color"],
        cwd=work,
        env=run_env,
        check=True,
        capture_output=True,
    )
    validate = subprocess.run(
        [str(tools.binary.path), "validate", "-no-color"], cwd=work, env=run_env, capture_output=True, text=True, check=False
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_module_readmes_document_every_input_and_output(root: Path) -> None:
    proc = subprocess.run([sys.executable, str(root / "tools/module_docs.py"), "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    for module in (root / "modules").iterdir():
        readme = (module / "README.md").read_text()
        assert "```hcl" in readme and "source" in readme, f"{module.name}: README needs a runnable example"
