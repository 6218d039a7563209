"""tapguard adopted by another repository: the composite action's own steps and the pre-commit hook, run on a scratch
git repository with its own layout (infra/prod calling infra/modules/bucket) and its own waiver file.

The action's `run:` steps run as the runner runs them (bash -eo pipefail, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, step env
and working-directory, `if:` conditions); its `uses:` steps are not fetched: their inputs must name files that exist
and parse (SARIF, JUnit XML, the comment). The hook runs its entry with the files its `files` pattern selects.
Slow (a fresh virtualenv, a real plan): marked `install`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shlex
import subprocess
import sys
import venv
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.pipeline.conftest import outside_path

ROOT = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TOKEN = re.compile(r"always\(\)|'[^']*'|[A-Za-z_][\w.-]*|==|!=|&&|\|\||\(|\)")

pytestmark = [pytest.mark.install, pytest.mark.terraform]

MAIN_TF = """\
terraform {
  required_version = ">= 1.11.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = "us-west-2"
}

variable "owner" {
  type = string
}

module "logs" {
  source = "../modules/bucket"
  name   = "scratch-prod-logs-${var.owner}"
}
"""

BUCKET_TF = """\
variable "name" {
  type = string
}

resource "aws_s3_bucket" "this" {
  bucket = var.name

  lifecycle {
    prevent_destroy = PREVENT
  }
}
"""


@dataclass
class Runner:
    """Just enough of the Actions runner for a composite action's steps."""

    workspace: Path
    python_bin: Path
    inputs: dict[str, str]
    github: dict[str, str]
    steps: dict[str, dict[str, str]] = field(default_factory=dict)
    used: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    failed: list[tuple[str, int, str]] = field(default_factory=list)
    summary: str = ""

    def lookup(self, path: str) -> str:
        parts = path.split(".")
        if parts[0] == "inputs":
            return self.inputs.get(parts[1], "")
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        if parts[0] == "github":
            return self.github.get(parts[1], "")
        raise AssertionError(f"the test runner does not know the context {path!r}")

    def evaluate(self, expression: str) -> Any:
        python = []
        for token in TOKEN.findall(expression):
            if token == "always()":
                python.append("True")
            elif token in ("&&", "||"):
                python.append({"&&": "and", "||": "or"}[token])
            elif token in ("==", "!=", "(", ")") or token.startswith("'"):
                python.append(token)
            else:
                python.append(repr(self.lookup(token)))
        return eval(" ".join(python), {"__builtins__": {}})

    def render(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: str(self.evaluate(m.group(1))), text)

    def run_action(self, action: dict[str, Any]) -> None:
        for inp, spec in action["inputs"].items():
            if inp not in self.inputs and "default" in spec:
                self.inputs[inp] = self.render(str(spec["default"]))
        for step in action["runs"]["steps"]:
            condition = step.get("if")
            # like the runner: without always(), a step runs only while no earlier step failed
            if condition is not None:
                go = bool(self.evaluate(condition)) and ("always()" in condition or not self.failed)
            else:
                go = not self.failed
            if not go:
                continue
            if "uses" in step:
                self.used.append((step["uses"].split("@")[0], {k: self.render(str(v)) for k, v in step.get("with", {}).items()}))
                if step["uses"].startswith("actions/setup-python@"):
                    assert self.inputs["python-version"] == "3.11"  # the fixture's interpreter stands in for it
            else:
                self._run(step)

    def _run(self, step: dict[str, Any]) -> None:
        outputs, summary = self.workspace.parent / "github_output", self.workspace.parent / "step_summary"
        outputs.write_text("")
        env = dict(os.environ)
        for key in [k for k in env if k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "TAPGUARD_ROOT"))]:
            del env[key]
        env.update(
            PATH=f"{self.python_bin}{os.pathsep}{outside_path()}",  # the runner's Python, not the test session's venv
            GITHUB_OUTPUT=str(outputs),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_WORKSPACE=str(self.workspace),
            RUNNER_TEMP=str(self.workspace.parent),
            COLUMNS="200",
        )
        env.update({k: self.render(str(v)) for k, v in step.get("env", {}).items()})
        cwd = self.workspace / self.render(step.get("working-directory", "."))
        assert step["shell"] == "bash"
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
        if "id" in step:
            self.steps[step["id"]] = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
        self.summary = summary.read_text() if summary.exists() else ""
        if done.returncode != 0:
            self.failed.append((step.get("id", step["run"].splitlines()[0]), done.returncode, done.stdout[-3000:] + done.stderr[-3000:]))


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another team's repository: its own layout, its own waiver file, no environments/ or modules/ at the top."""
    repo = tmp_path_factory.mktemp("adopter") / "repo"
    (repo / "infra/prod").mkdir(parents=True)
    (repo / "infra/modules/bucket").mkdir(parents=True)
    (repo / "compliance").mkdir()
    (repo / "infra/prod/main.tf").write_text(MAIN_TF)
    (repo / "infra/prod/terraform.tfvars").write_text('owner = "payments"\n')
    (repo / "infra/modules/bucket/main.tf").write_text(BUCKET_TF.replace("PREVENT", "true"))
    (repo / "compliance/waivers.yaml").write_text("waivers: []\n")
    (repo / "README.md").write_text("# adopter\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "scratch")
    return repo


@pytest.fixture(scope="module")
def action_run(scratch: Path, base_install: tuple[Path, Path]) -> Runner:
    tapguard, project = base_install
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    runner = Runner(
        workspace=scratch,
        python_bin=tapguard.parent,
        inputs={"stacks": "infra/prod", "checkov": "false", "waivers": "compliance/waivers.yaml"},
        # the action installs tapguard from its own checkout: a copy of the tracked files
        github={"action_path": str(project), "event_name": "pull_request", "token": "not-a-token", "workspace": str(scratch)},
    )
    runner.run_action(action)
    return runner


def test_action_runs_the_check_and_publishes_every_report(action_run: Runner, scratch: Path) -> None:
    check = action_run.steps["check"]
    assert check["verdict"] == "FAIL" and check["exit-code"] == "1", action_run.failed
    bundle = Path(check["bundle"])
    assert bundle.is_dir() and bundle.is_relative_to(scratch / "tapguard-evidence")
    assert "prod" in action_run.summary  # report.md in the step summary
    used = dict(action_run.used)
    assert Path(used["actions/upload-artifact"]["path"]) == bundle
    sarif = json.loads(Path(used["github/codeql-action/upload-sarif"]["sarif_file"]).read_text())
    located = [loc.get("physicalLocation") for run in sarif["runs"] for r in run["results"] for loc in r.get("locations", [])]
    uris = {loc["artifactLocation"]["uri"] for loc in located if loc}
    assert "infra/modules/bucket/main.tf" in uris, uris  # the module's bucket fails controls: located in the adopter's layout
    junit = ET.parse(used["mikepenz/action-junit-report"]["report_paths"]).getroot()
    assert junit.tag in ("testsuites", "testsuite") and any(True for _ in junit.iter("testcase"))
    comment = Path(used["marocchino/sticky-pull-request-comment"]["path"]).read_text()
    assert used["marocchino/sticky-pull-request-comment"]["header"] == "tapguard" and "D1" in comment
    # every report went out first; then the last step fails the job with tapguard's exit code
    assert [(name, code) for name, code, _ in action_run.failed] == [("fail-on-findings", 1)]


@pytest.mark.parametrize(
    ("stacks", "exit_code", "verdict", "failed"),
    [("infra/missing", "2", "ERROR", [("fail-on-findings", 2)]), ("infra/prod", "1", "FAIL", [])],
)
def test_without_fail_on_findings_a_finding_is_green_and_a_tool_error_red(
    action_run: Runner, scratch: Path, base_install: tuple[Path, Path], stacks: str, exit_code: str, verdict: str, failed: list[Any]
) -> None:
    # action_run ran first: its bundle lies in tapguard-evidence/ and must never pass for this run's
    tapguard, project = base_install
    runner = Runner(
        workspace=scratch,
        python_bin=tapguard.parent,
        inputs={"stacks": stacks, "checkov": "false", "waivers": "compliance/waivers.yaml", "fail-on-findings": "false"},
        github={"action_path": str(project), "event_name": "pull_request", "token": "not-a-token", "workspace": str(scratch)},
    )
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert {"bundle", "verdict", "exit-code"} <= set(action["outputs"])  # what callers read is declared
    runner.run_action(action)
    check = runner.steps["check"]
    assert (check["exit-code"], check["verdict"]) == (exit_code, verdict), runner.failed
    assert [(name, code) for name, code, _ in runner.failed] == failed
    if verdict == "ERROR":
        assert check["bundle"] == "" and "actions/upload-artifact" not in dict(runner.used)
    else:
        assert Path(check["bundle"]) != Path(action_run.steps["check"]["bundle"])


def test_action_with_checkov_installs_it_from_the_lock_and_runs_the_baseline(
    scratch: Path, base_install: tuple[Path, Path], tmp_path: Path
) -> None:
    # the action's default: its install step puts requirements/full.txt (checkov among them) into the job's Python,
    # here a fresh virtualenv with nothing in it, and the check runs checkov there (its pre-imported worker included)
    _, project = base_install
    fresh = tmp_path / "runner-python"
    venv.create(fresh, with_pip=True)
    runner = Runner(
        workspace=scratch,
        python_bin=fresh / "bin",
        inputs={"stacks": "infra/prod", "waivers": "compliance/waivers.yaml", "output-directory": "evidence-checkov"},
        github={"action_path": str(project), "event_name": "pull_request", "token": "not-a-token", "workspace": str(scratch)},
    )
    runner.run_action(yaml.safe_load((ROOT / "action.yml").read_text()))
    assert runner.inputs["checkov"] == "true"
    assert [(name, code) for name, code, _ in runner.failed] == [("fail-on-findings", 1)], runner.failed
    bundle = Path(runner.steps["check"]["bundle"])
    scans = {scan["scope"]: scan for scan in json.loads((bundle / "checkov.json").read_text())["scans"]}
    assert set(scans) == {"hcl", "plan:prod"}, scans.keys()
    for scope, scan in scans.items():
        assert scan["available"] and scan["error"] is None and scan["version"], (scope, scan["error"])
        assert scan["passed"] > 0, scope
    # the adopter's bucket (no encryption, no logging, no versioning) fails checkov's checks too: a real scan of its HCL
    failed = [f for f in scans["hcl"]["failed"] if f["status"] == "failed"]
    assert any(str(f["resource"]).endswith("aws_s3_bucket.this") for f in failed), scans["hcl"]["failed"]


def hook_command(hook_args: list[str], changed: list[str]) -> list[str]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = (h for h in hooks if h["id"] == "tapguard")
    assert hook["language"] == "python"
    selected = [f for f in changed if re.search(hook["files"], f)]
    entry = shlex.split(hook["entry"])
    assert entry[0] == "python"  # in pre-commit's own virtualenv; here the test's interpreter with tapguard
    return [sys.executable, *entry[1:], *hook_args, *selected] if selected else []


def run_hook(repo: Path, hook_args: list[str], changed: list[str]) -> subprocess.CompletedProcess[str] | None:
    command = hook_command(hook_args, changed)
    if not command:
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPGUARD_ROOT")}
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_hook_checks_the_stack_whose_module_changed_at_hcl_level(scratch: Path) -> None:
    assert run_hook(scratch, ["--stack", "infra/prod"], ["README.md"]) is None  # its files pattern skips non-HCL
    done = run_hook(scratch, ["--stack", "infra/prod", "--waivers", "compliance/waivers.yaml"], ["infra/modules/bucket/main.tf"])
    assert done is not None and done.returncode == 1, done and done.stderr
    assert "prod: FAIL D1" in done.stdout and "main.tf:5 aws_s3_bucket.this" in done.stdout
    # the same controls a plan runs, on the HCL: what only a plan knows is counted apart, never a pass
    assert re.search(r"tapguard HCL-level check of prod: FAIL \(1 failing, \d+ need a plan\)$", done.stdout.strip()), done.stdout


def test_hook_runs_every_control_when_given_the_plan(scratch: Path, action_run: Runner, tmp_path: Path) -> None:
    # the bundle keeps plans gzipped; the hook reads plan JSON as terraform writes it
    plan = tmp_path / "prod.plan.json"
    plan.write_bytes(gzip.decompress((Path(action_run.steps["check"]["bundle"]) / "plans" / "prod.plan.json.gz").read_bytes()))
    done = run_hook(scratch, ["--stack", "infra/prod", "--plan-json", f"prod={plan}"], ["infra/prod/main.tf"])
    assert done is not None and done.returncode == 1
    failing = set(re.findall(r"^prod: FAIL (\w+)", done.stdout, re.MULTILINE))
    assert "D1" in failing and len(failing) > 1, done.stdout  # plan-level controls too, not only the HCL one
    assert "tapguard plan-level check of prod: FAIL" in done.stdout


def test_hook_fails_nothing_once_the_stack_is_fixed(scratch: Path, tmp_path: Path) -> None:
    fixed = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(scratch), str(fixed)], check=True, capture_output=True)
    (fixed / "infra/modules/bucket/main.tf").write_text(BUCKET_TF.replace("PREVENT", "false"))
    done = run_hook(fixed, [], ["infra/modules/bucket/main.tf", "infra/prod/main.tf"])
    assert done is not None and done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"tapguard HCL-level check of prod: NEEDS PLAN \(0 failing, \d+ need a plan\)", last), done.stdout
    assert "prod: NEEDS PLAN (unknown until a plan, never a pass)" in done.stdout
