"""`tapguard e2e` with every stack in one endpoint (one account): the stages, and success only when nothing is left."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tapguard.e2e import run
from tapguard.planning import project

ROOT = Path(__file__).resolve().parents[2]


class _Bundle:
    path = Path("/nonexistent-bundle")

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def write_text(self, name: str, text: str) -> None:
        self.files[name] = text

    def seal(self, meta: dict[str, Any]) -> None:
        self.files["sealed"] = repr(meta)


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """run.run with every stage recorded and no terraform: `left` names stacks whose destroy leaves something."""
    seen: dict[str, Any] = {"events": [], "left": set(), "bundle": _Bundle(), "lock": threading.Lock()}

    class FakeStack:
        def __init__(self, env: project.Environment, *args: Any) -> None:
            self.env = env
            self.report = run.EnvironmentReport(env.name)
            self.judged: dict[str, Any] = {}  # no controls judged: the account trail is left unanswered

        def _log(self, stage: str) -> None:
            with seen["lock"]:
                seen["events"].append((stage, self.env.name))

        def deploy(self) -> None:
            self._log("deploy")

        def inspect(self) -> None:
            self._log("inspect")

        def destroy(self) -> None:
            self._log("destroy")

        def prove(self) -> None:
            self._log("prove")
            dirty = self.env.name in seen["left"]
            self.report.destroy_proof = {"clean": not dirty, "state": ["module.api.aws_iam_role.cloudwatch"] if dirty else []}

    @contextlib.contextmanager
    def serving(envs: Any) -> Iterator[Any]:
        yield type("Endpoint", (), {"secret_strings": lambda self: []})()

    monkeypatch.setattr(run, "Stack", FakeStack)
    monkeypatch.setattr(run.deploy_endpoint.DeployEndpoint, "serving", staticmethod(serving))
    monkeypatch.setattr(run.toolchain, "discover", lambda *a: None)
    monkeypatch.setattr(run.EvidenceBundle, "create", staticmethod(lambda *a, **k: seen["bundle"]))
    return seen


def test_no_argument_deploys_every_stack_side_by_side_before_any_is_destroyed(staged: dict[str, Any], tmp_path: Path) -> None:
    summary = run.run(ROOT, [], tmp_path, run.Budget())
    names = [e.name for e in project.environments(ROOT)]
    assert [e["name"] for e in summary["environments"]] == names and len(names) >= 2
    stages = [stage for stage, _ in staged["events"]]
    # every stack is deployed (and so coexists in the one account) before any is inspected or destroyed
    assert stages == sorted(stages, key=["deploy", "inspect", "destroy", "prove"].index)
    assert summary["passed"] and summary["mode"] == "concurrent" and summary["workdir"] is None


def test_in_sequence_each_stage_takes_one_stack_after_the_other(staged: dict[str, Any], tmp_path: Path) -> None:
    summary = run.run(ROOT, [], tmp_path, run.Budget(sequence=True))
    names = [e.name for e in project.environments(ROOT)]
    assert staged["events"][: len(names)] == [("deploy", n) for n in names]
    assert summary["mode"] == "sequence"


@pytest.mark.parametrize("left_in", ["eu-west-1", "ci-identity", "us-west-2"])
def test_a_run_that_leaves_anything_never_reports_success(staged: dict[str, Any], tmp_path: Path, left_in: str) -> None:
    staged["left"] = {left_in}
    summary = run.run(ROOT, [], tmp_path, run.Budget())
    assert summary["passed"] is False
    assert summary["workdir"] and Path(summary["workdir"]).is_dir()  # kept: the destroy command runs there
    for env in summary["environments"]:
        assert env["passed"] is (env["name"] != left_in)
        assert env["destroy_proof"]["clean"] is env["passed"]
    assert "nothing" not in next(line.split("|")[-2].strip() for line in run.markdown(summary).splitlines() if left_in in line)
    Path(summary["workdir"]).rmdir()


def test_success_implies_nothing_left_in_every_stack() -> None:
    report = run.EnvironmentReport("eu-west-1")
    report.destroy_proof = {"clean": True}
    assert report.passed
    for dirty in ({"clean": False}, {}):
        report.destroy_proof = dirty
        assert not report.passed


def test_what_a_failed_apply_leaves_is_named_with_the_command_that_removes_it(tmp_path: Path) -> None:
    stack = object.__new__(run.Stack)
    stack.env = next(e for e in project.environments(ROOT) if e.name == "eu-west-1")
    stack.report = run.EnvironmentReport("eu-west-1")
    stack.bundle = _Bundle()  # type: ignore[assignment]
    stack.initialised = True
    stack.applied = stack.destroyed = {}
    log = tmp_path / "eu-west-1.log"
    log.write_text("")
    stack.ws = type(
        "Ws",
        (),
        {
            "workdir": tmp_path / "src dir",
            "log": log,
            "state_addresses": lambda self: ["module.api.aws_iam_role.cloudwatch"],
            "_vars": lambda self: ["-var-file=terraform.tfvars"],
        },
    )()  # type: ignore[assignment]
    stack.client = lambda service: (_ for _ in ()).throw(RuntimeError("endpoint gone"))  # type: ignore[method-assign]
    stack.prove()
    assert not stack.report.passed and stack.report.destroy_proof["state"] == ["module.api.aws_iam_role.cloudwatch"]
    [error] = stack.report.errors
    assert f"terraform -chdir='{tmp_path / 'src dir'}' destroy -auto-approve -var-file=terraform.tfvars" in error


def test_the_command_line_chooses_side_by_side_or_in_sequence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tapguard.cli import main

    seen: list[run.Budget] = []

    def fake_run(root: Path, names: list[str], out: Path, budget: run.Budget) -> dict[str, Any]:
        seen.append(budget)
        return {"environments": [], "bundle": str(tmp_path), "passed": True}

    monkeypatch.setattr(run, "run", fake_run)
    assert main(["e2e", "--no-drill"]) == 0 and main(["e2e", "--sequence"]) == 0
    assert [(b.sequence, b.drill) for b in seen] == [(False, False), (True, True)]


def _inspected(name: str, data: dict[str, Any]) -> run.Stack:
    """A stack as the inspect stage leaves it, its plan standing in for the deployed state too."""
    from tapguard import controls
    from tapguard.planning import model

    stack = object.__new__(run.Stack)
    stack.env = next(e for e in project.environments(ROOT) if e.name == name)
    stack.report = run.EnvironmentReport(name)
    stack.bundle = _Bundle()  # type: ignore[assignment]
    plan = model.from_dict(data, name)
    findings = controls.evaluate(name, plan)
    stack.judged = {"plan": (plan, findings), "state": (plan, list(findings))}
    stack.types = {r.address: r.type for r in plan.resources}
    stack.judge()
    return stack


def _trail_status(stack: run.Stack, side: str) -> set[tuple[str, str]]:
    from tapguard.controls import accounts

    return {(f.control, f.status) for f in stack.judged[side][1] if f.address == accounts.ACCOUNT_TRAIL}


def test_the_account_trail_is_answered_across_the_runs_stacks(plan_data: dict[str, dict[str, Any]]) -> None:
    # eu-west-1 owns no trail (us-west-2 does): its L1/L2 are unknown alone, answered from us-west-2 in the same run
    alone = _inspected("eu-west-1", plan_data["eu-west-1"])
    run._answer_account_trail(ROOT, [alone])
    assert _trail_status(alone, "state") == {("L1", "unknown"), ("L2", "unknown")}
    eu, us = _inspected("eu-west-1", plan_data["eu-west-1"]), _inspected("us-west-2", plan_data["us-west-2"])
    run._answer_account_trail(ROOT, [us, eu])
    for side in ("plan", "state"):
        assert _trail_status(eu, side) == {("L1", "pass"), ("L2", "pass")}
    assert "L1" not in eu.report.controls["state_fail"] and "L1" not in eu.report.controls["differ"]
    assert '"(account trail)"' in eu.bundle.files["e2e/eu-west-1/findings.json"]  # type: ignore[attr-defined]


def test_an_owner_whose_deployed_trail_records_one_region_fails_the_other_stack(plan_data: dict[str, dict[str, Any]]) -> None:
    import copy

    single = copy.deepcopy(plan_data["us-west-2"])
    trails = [rc for rc in single["resource_changes"] if rc["type"] == "aws_cloudtrail"]
    assert trails
    for rc in trails:
        rc["change"]["after"]["is_multi_region_trail"] = False
    eu, us = _inspected("eu-west-1", plan_data["eu-west-1"]), _inspected("us-west-2", single)
    run._answer_account_trail(ROOT, [us, eu])
    assert ("L1", "fail") in _trail_status(eu, "state")
    assert "L1" in eu.report.controls["state_fail"]  # the e2e run fails on it, though the address is no resource


def test_a_resource_left_outside_the_state_is_named_with_the_command_that_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a sequence run: the provider retried a CreateRole the endpoint had already done; the role never reached the
    # state, so terraform destroy left it; the run fails, names it and says how to remove it
    from tapguard.e2e import leftovers

    stack = object.__new__(run.Stack)
    stack.env = next(e for e in project.environments(ROOT) if e.name == "us-west-2")
    stack.region = "us-west-2"
    stack.report = run.EnvironmentReport("us-west-2")
    stack.bundle = _Bundle()  # type: ignore[assignment]
    stack.initialised = False
    stack.applied = stack.destroyed = {}
    stack.ws = type("Ws", (), {"log": tmp_path / "us-west-2.log"})()  # type: ignore[assignment]
    (tmp_path / "us-west-2.log").write_text("")
    left = [
        {"service": "iam", "kind": "iam role", "id": "role-redisrotation-us-west-2-dev"},
        {"service": "logs", "kind": "log group", "id": "/aws/lambda/x; rm -rf ~"},
    ]
    monkeypatch.setattr(leftovers, "prove_empty", lambda client, tag, state: leftovers.Proof(tag, list(state), {}, left))
    stack.prove()
    assert not stack.report.passed
    [error] = stack.report.errors
    assert error.startswith("2 resources left outside terraform's state")
    role = "aws iam delete-role --role-name role-redisrotation-us-west-2-dev (after its inline and attached policies)"
    assert f"{role} --region us-east-1" in error
    assert "aws logs delete-log-group --log-group-name '/aws/lambda/x; rm -rf ~' --region us-west-2" in error  # data, quoted


def test_every_kind_the_leftover_proof_lists_has_its_remove_command() -> None:
    import inspect

    from tapguard.e2e import leftovers

    listed = set(re.findall(r'yield "([a-z0-9 ]+)"', inspect.getsource(leftovers)))
    assert listed and listed <= set(leftovers.REMOVE), listed - set(leftovers.REMOVE)


def test_errors_and_leftover_ids_print_as_text_never_as_markup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tapguard.cli import main

    hostile = "role [bold]x[/] :warning: [link=https://evil.example]y[/link]"

    def fake_run(root: Path, names: list[str], out: Path, budget: run.Budget) -> dict[str, Any]:
        env = {"name": "us-west-2", "passed": False, "deployed": 0, "planned": 1, "apply_s": None, "destroy_s": 1.0}
        env |= {"destroy_proof": {"clean": False}, "offline": {hostile: "why [/]"}, "errors": [f"1 resources left: {hostile}"]}
        return {"environments": [env], "bundle": str(tmp_path / "[red]b"), "passed": False}

    monkeypatch.setattr(run, "run", fake_run)
    assert main(["e2e"]) == 1
    captured = capsys.readouterr()
    out = " ".join((captured.out + captured.err).split())
    assert f"1 resources left: {hostile}" in out and f"not deployable offline: {hostile}: why [/]" in out
    assert "[red]b" in out
