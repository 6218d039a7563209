"""The action's inputs on another team's repository (the scratch repo of test_adoption): each is passed to tapguard as
data through the step's environment, soft/hard-fail-on decide the job's colour, and an exit other than 0 or 1 is red
whatever fail-on-findings says. Slow (a fresh virtualenv, a real plan): marked `install`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.pipeline import test_adoption
from tests.pipeline.conftest import outside_path
from tests.pipeline.test_adoption import ROOT, Runner

pytestmark = [pytest.mark.install, pytest.mark.terraform]
scratch = test_adoption.scratch  # the adopter's repository (a module-scoped fixture of its own here)


@pytest.fixture(scope="module")
def action_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's checkout: tracked files and new ones not yet committed (what the next commit holds), never ignored ones."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    destination = tmp_path_factory.mktemp("action") / "checkout"
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def run_action(scratch: Path, base_install: tuple[Path, Path], action_path: Path, **inputs: str) -> Runner:
    tapguard, _ = base_install
    runner = Runner(
        workspace=scratch,
        python_bin=tapguard.parent,
        inputs={"stacks": "infra/prod", "checkov": "false", "waivers": "compliance/waivers.yaml", **inputs},
        github={"action_path": str(action_path), "event_name": "pull_request", "token": "not-a-token", "workspace": str(scratch)},
    )
    runner.run_action(yaml.safe_load((ROOT / "action.yml").read_text()))
    return runner


def failed_steps(runner: Runner) -> list[tuple[str, int]]:
    return [(name, code) for name, code, _ in runner.failed]


@pytest.fixture(scope="module")
def first(scratch: Path, base_install: tuple[Path, Path], action_path: Path) -> Runner:
    return run_action(scratch, base_install, action_path)


def severities(runner: Runner) -> set[str]:
    data = json.loads((Path(runner.steps["check"]["bundle"]) / "controls.json").read_text())
    failing = {cid for cid, envs in data["results"].items() if any(r["status"] == "fail" for r in envs.values())}
    return {data["controls"][cid]["severity"] for cid in failing}


def test_every_input_and_output_is_declared_and_passed_through_the_environment() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    new = {"soft-fail-on", "hard-fail-on", "check", "skip-check", "config-file", "plan-json", "sign-key", "baseline", "version"}
    assert new <= set(action["inputs"])
    assert {"bundle", "verdict", "exit-code", "tapguard-version"} <= set(action["outputs"])
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("id")  # inputs reach scripts as environment variables only


def test_hard_fail_on_a_failing_severity_fails_and_soft_fail_on_never_does(
    first: Runner,
    scratch: Path,
    base_install: tuple[Path, Path],
    action_path: Path,
) -> None:
    assert failed_steps(first) == [("fail-on-findings", 1)]
    assert first.steps["install"]["tapguard-version"]
    worst = max(severities(first), key=["low", "medium", "high", "critical"].index)
    hard = run_action(scratch, base_install, action_path, **{"hard-fail-on": worst})
    assert hard.steps["check"]["exit-code"] == "1" and failed_steps(hard) == [("fail-on-findings", 1)]
    soft = run_action(scratch, base_install, action_path, **{"soft-fail-on": "critical"})  # every severity is at most critical
    assert (soft.steps["check"]["exit-code"], soft.steps["check"]["verdict"]) == ("0", "PASS") and failed_steps(soft) == []
    # a soft failure is still reported: the evidence says FAIL, only the job stays green
    assert json.loads((Path(soft.steps["check"]["bundle"]) / "controls.json").read_text())["verdict"] == "fail"


def test_check_skip_check_and_a_hostile_value(
    scratch: Path,
    base_install: tuple[Path, Path],
    action_path: Path,
    first: Runner,
) -> None:
    failing = {
        cid
        for cid, envs in json.loads((Path(first.steps["check"]["bundle"]) / "controls.json").read_text())["results"].items()
        if any(r["status"] == "fail" for r in envs.values())
    }
    skipped = run_action(scratch, base_install, action_path, **{"skip-check": "\n".join(sorted(failing)), "fail-on-findings": "true"})
    assert skipped.steps["check"]["exit-code"] == "0", skipped.failed
    only = run_action(scratch, base_install, action_path, check=sorted(failing)[0])
    assert only.steps["check"]["exit-code"] == "1"
    # shell syntax in an input is data: one argument to tapguard, which refuses it; never run, and red even without fail-on-findings
    evil = run_action(scratch, base_install, action_path, check='D1 "$(touch pwned)";touch pwned2', **{"fail-on-findings": "false"})
    assert evil.steps["check"]["exit-code"] == "2" and failed_steps(evil) == [("fail-on-findings", 2)]
    assert not (scratch / "pwned").exists() and not (scratch / "pwned2").exists()


def test_config_file_baseline_plan_json_and_sign_key(
    scratch: Path,
    base_install: tuple[Path, Path],
    action_path: Path,
    first: Runner,
    tmp_path: Path,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    tapguard, _ = base_install
    conf = tmp_path / "ci.toml"
    conf.write_text("outptu = 1\n")
    bad = run_action(scratch, base_install, action_path, **{"config-file": str(conf), "fail-on-findings": "false"})
    assert bad.steps["check"]["exit-code"] == "2" and failed_steps(bad) == [("fail-on-findings", 2)]
    # a baseline made from the failing stack: the same failures no longer fail the job
    baseline = tmp_path / "baseline.json"
    made = subprocess.run(
        [str(tapguard), "check", "infra/prod", "--no-checkov", "--out", str(tmp_path / "ev"), "--create-baseline", str(baseline), "-q"],
        cwd=scratch,
        env={**os.environ, "PATH": f"{tapguard.parent}{os.pathsep}{outside_path()}", "TAPGUARD_ROOT": str(scratch)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert made.returncode == 0 and json.loads(baseline.read_text())["entries"], made.stderr[-2000:]
    known = run_action(scratch, base_install, action_path, baseline=str(baseline))
    assert known.steps["check"]["exit-code"] == "0" and failed_steps(known) == [], known.failed
    # the plan of the first run, given as plan-json; signed with a key passed as a secret input
    import gzip

    plan = tmp_path / "prod.plan.json"
    plan.write_bytes(gzip.decompress((Path(first.steps["check"]["bundle"]) / "plans" / "prod.plan.json.gz").read_bytes()))
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    signed = run_action(scratch, base_install, action_path, stacks="", **{"plan-json": f"prod={plan}", "sign-key": pem})
    assert signed.steps["check"]["exit-code"] == "1", signed.failed
    bundle = Path(signed.steps["check"]["bundle"])
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert set(manifest["plans"]) == {"prod"}
    assert (bundle / "manifest.dsse.json").is_file(), sorted(p.name for p in bundle.iterdir())
    secret_line = pem.splitlines()[1]
    assert all(secret_line not in p.read_text(errors="replace") for p in bundle.rglob("*") if p.is_file() and p.suffix != ".gz")


def test_a_bad_version_is_refused_before_anything_is_installed(
    scratch: Path,
    base_install: tuple[Path, Path],
    action_path: Path,
) -> None:
    runner = run_action(scratch, base_install, action_path, version="1.0; touch pwned", **{"fail-on-findings": "false"})
    assert failed_steps(runner)[0] == ("install", 2)
    assert "check" not in runner.steps and not (scratch / "pwned").exists()
    assert ("fail-on-findings", 2) in failed_steps(runner)  # no exit code at all is red too
