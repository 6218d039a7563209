"""`tapguard e2e`: for each stack, deploy to the embedded endpoint, check what was deployed,
drill it, destroy it and prove nothing is left; one report and its evidence files.

Evidence (under the output directory, one folder per environment):
  deploy.json      apply/destroy times, resources deployed, what the endpoint cannot deploy and why
  findings.json    the controls on the deployed state, beside the same controls on the plan
  drift.json       where the deployed state and the plan disagree
  runtime.json     runtime findings (evidence "runtime") from the endpoint's APIs
  drill.json       the AWS drill path's journal (exercised / AWS-only parts named)
  destroy.json     the state after destroy and every service's list of what carries the stack's tag
and e2e-report.json / e2e-report.md for all environments.
"""

from __future__ import annotations

import json
import shlex
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard import controls
from tapguard.controls import accounts, assessment
from tapguard.e2e import drill, leftovers, runtime, state
from tapguard.e2e import endpoint as deploy_endpoint
from tapguard.e2e.deploy import OFFLINE, Workspace, deployable_targets
from tapguard.evidence.bundle import EvidenceBundle
from tapguard.foundation import config
from tapguard.foundation.errors import TapguardError
from tapguard.planning import localaws, model, project, redaction, toolchain
from tapguard.planning.project import git_sha
from tapguard.planning.runner import module_dirs

STACK_TAG = "Stack"
# (resource type, attribute) the endpoint reads back differently from what was asked, whatever the
# stack says: a control failing there is reported under "endpoint_gaps" with the reason, not as a
# pass and not as the stack's failure. Each was seen in a deployment (drift.json shows the values).
ENDPOINT_GAPS = {
    ("aws_elasticache_replication_group", "at_rest_encryption_enabled"): "moto 5.2 reads AtRestEncryptionEnabled back as false",
    ("aws_elasticache_replication_group", "transit_encryption_mode"): "moto 5.2 reads TransitEncryptionMode back empty",
    ("aws_elasticache_replication_group", "num_cache_clusters"): "moto 5.2 creates one cache cluster whatever NumCacheClusters asks",
}


@dataclass
class Budget:
    apply_s: float = 900.0
    destroy_s: float = 600.0
    drill: bool = True
    # Module addresses to deploy (with what they depend on) instead of the whole stack: the bounded
    # variant of the test command. Everything else is listed as not deployed, with this as the reason.
    subset: tuple[str, ...] = ()
    # every stack lives in the one endpoint at once either way; True: each stage one stack after the other
    sequence: bool = False


@dataclass
class EnvironmentReport:
    name: str
    offline: dict[str, str] = field(default_factory=dict)
    planned: int = 0
    deployed: int = 0
    apply_s: float | None = None
    destroy_s: float | None = None
    controls: dict[str, Any] = field(default_factory=dict)
    drift: dict[str, Any] = field(default_factory=dict)
    runtime: dict[str, int] = field(default_factory=dict)
    drill: dict[str, Any] = field(default_factory=dict)
    destroy_proof: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    subset: list[str] = field(default_factory=list)
    extended: dict[str, str] = field(default_factory=dict)  # address -> the endpoint addition it needed

    @property
    def passed(self) -> bool:
        return (
            not self.errors
            and bool(self.destroy_proof.get("clean"))
            and not self.controls.get("state_fail")
            and not self.runtime.get("fail")
            and self.drill.get("status") in (None, "completed")
        )

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items()}
        data["passed"] = self.passed
        return data


def _write(bundle: EvidenceBundle, name: str, data: Any) -> None:
    """Into the evidence bundle, which refuses any file that would hold a seeded secret value."""
    bundle.write_text(name, json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")


def _by_control(findings: list[controls.Finding]) -> dict[str, str]:
    """One status per control: fail wins over unknown over pass."""
    order = {controls.FAIL: 3, controls.UNKNOWN: 2, controls.PASS: 1, controls.NOT_APPLICABLE: 0}
    out: dict[str, str] = {}
    for f in findings:
        if order.get(f.status, 0) >= order.get(out.get(f.control, ""), -1):
            out[f.control] = f.status
    return out


class Stack:
    """One environment through the stages of a run: deploy (init, plan, apply), inspect, destroy, prove."""

    def __init__(
        self,
        env: project.Environment,
        tools: toolchain.Toolchain,
        endpoint: localaws.LocalAWS,
        work: Path,
        bundle: EvidenceBundle,
        budget: Budget,
    ) -> None:
        self.env, self.endpoint, self.bundle, self.budget = env, endpoint, bundle, budget
        self.report = EnvironmentReport(env.name)
        extra = (
            {"drill_allowed": "true"}
            if "drill_allowed" in env.variables or (env.path / "variables.tf").read_text().count('"drill_allowed"')
            else {}
        )
        self.ws = Workspace(env, work / env.name, tools, endpoint.env(), endpoint.secret_strings(), extra)
        self.region = env.region or "us-east-1"
        self.plan: dict[str, Any] = {}
        self.applied: dict[str, Any] = {}
        self.destroyed: dict[str, Any] = {}
        self.targets: list[str] = []
        self.initialised = False
        self.deployed_ok = False
        # side ("plan", "state") -> (model, findings), once inspected
        self.judged: dict[str, tuple[model.Plan, list[controls.Finding]]] = {}
        self.types: dict[str, str] = {}

    def client(self, service: str) -> Any:
        return self.endpoint.client(service, "us-east-1" if service == "iam" else self.region)

    def _error(self, exc: Exception) -> None:
        if isinstance(exc, TapguardError):
            self.report.errors.append(str(exc))
        else:  # an endpoint or SDK error: reported, and destroy still runs
            self.report.errors.append(" ".join(f"{type(exc).__name__}: {exc}".split())[:400])

    def deploy(self) -> None:
        """init, plan and apply; a failed apply leaves its partial resources to destroy()."""
        report, budget = self.report, self.budget
        try:
            self.ws.init()
            self.initialised = True
            self.plan = self.ws.plan_json()
            targets, report.offline = deployable_targets(self.plan)
            if budget.subset:
                targets = [t for t in (targets or _all_targets(self.plan)) if t.startswith(tuple(f"{m}." for m in budget.subset))]
                report.subset = list(budget.subset)
            report.planned = sum(1 for rc in self.plan.get("resource_changes", []) if rc.get("mode") == "managed")
            self.targets = targets
            run = self.ws.apply(targets, budget.apply_s)
            report.apply_s = round(run.seconds, 1)
            self.applied = run.as_dict()
            self.deployed_ok = True
        except Exception as exc:
            self._error(exc)

    def inspect(self) -> None:
        """The controls on what exists, the runtime evidence and the AWS drill path (only after a whole apply)."""
        if not self.deployed_ok:
            return
        try:
            self._inspect()
        except Exception as exc:
            self._error(exc)

    def _inspect(self) -> None:
        env, plan, report, bundle, budget = self.env, self.plan, self.report, self.bundle, self.budget
        deployed = self.ws.state_json()
        outputs = self.ws.outputs()
        report.deployed = sum(1 for r in state.state_resources(deployed) if r.get("mode") == "managed")
        report.extended = {
            r["address"]: deploy_endpoint.EXTENDED[r["type"]]
            for r in state.state_resources(deployed)
            if r.get("mode") == "managed" and r["type"] in deploy_endpoint.EXTENDED
        }
        # ---------------------------------------------------------------- the controls on what exists
        hcl_dirs = module_dirs(env.path)
        planned = model.from_dict(redaction.redact_plan_json(plan)[0], env.name)
        deployed_model = state.load(deployed, plan, f"{env.name} (deployed)")
        self.judged = {
            "plan": (planned, controls.evaluate(env.name, planned, hcl_dirs=hcl_dirs)),
            "state": (deployed_model, controls.evaluate(env.name, deployed_model, hcl_dirs=hcl_dirs)),
        }
        self.types = {r["address"]: r["type"] for r in state.state_resources(deployed)}
        self.judge()
        why_not = {
            **report.offline,
            **({} if not budget.subset else {t: "outside the bounded subset" for t in _all_targets(plan) if t not in self.targets}),
        }
        found_drift = state.drift(plan, deployed, why_not)
        report.drift = {
            "not_deployed": found_drift.not_deployed,
            "not_planned": found_drift.not_planned,
            "changed": len(found_drift.changed),
        }
        _write(bundle, f"e2e/{env.name}/drift.json", found_drift.as_dict())
        # ---------------------------------------------------------------- runtime evidence
        checks = runtime.Checker(env.name, deployed, self.client).run()
        report.runtime = dict(Counter(f.status for f in checks))
        _write(bundle, f"e2e/{env.name}/runtime.json", [f.as_dict() for f in checks])
        # ---------------------------------------------------------------- the AWS drill path
        if budget.drill and outputs.get("aurora_cluster_id"):
            import boto3

            session = boto3.Session(
                region_name=self.region, aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing"
            )
            journal = {
                "aurora": drill.aurora_failover(env.name, _EndpointSession(session, self.endpoint.endpoint), outputs),
                "redis": drill.redis_preconditions(env.name, _EndpointSession(session, self.endpoint.endpoint), outputs),
            }
            report.drill = {
                "status": journal["aurora"].get("status"),
                "writer": journal["aurora"].get("writer"),
                "redis": journal["redis"].get("status"),
            }
            _write(bundle, f"e2e/{env.name}/drill.json", journal)

    def judge(self) -> None:
        """report.controls and findings.json from the findings on the plan and on the deployed state (again once the
        account trail's owner has answered this stack's L1/L2, see _answer_account_trail)."""
        planned_findings, state_findings = self.judged["plan"][1], self.judged["state"][1]
        plan_status, state_status = _by_control(planned_findings), _by_control(state_findings)
        types, report, bundle, env = self.types, self.report, self.bundle, self.env
        addresses = set(types)
        gaps = [f for f in state_findings if f.status == controls.FAIL and (types.get(f.address), f.attribute) in ENDPOINT_GAPS]
        report.controls = {
            "endpoint_gaps": [
                {
                    "control": f.control,
                    "address": f.address,
                    "attribute": f.attribute,
                    "why": ENDPOINT_GAPS[(types[f.address], f.attribute)],
                }
                for f in gaps
            ],
            "plan": dict(Counter(plan_status.values())),
            "state": dict(Counter(state_status.values())),
            # a control failing on a deployed resource (or on the account trail another stack of the run owns); with a
            # subset, controls whose resources were not deployed fail for want of them and are counted under "state", not here
            "state_fail": sorted(
                {
                    f.control
                    for f in state_findings
                    if f.status == controls.FAIL and (f.address in addresses or f.address == accounts.ACCOUNT_TRAIL) and f not in gaps
                }
            ),
            "differ": {c: {"plan": plan_status.get(c), "state": s} for c, s in sorted(state_status.items()) if plan_status.get(c) != s},
        }
        _write(
            bundle, f"e2e/{env.name}/findings.json", {"controls": report.controls, "state_findings": [f.as_dict() for f in state_findings]}
        )

    def destroy(self) -> None:
        """terraform destroy of whatever the state holds, a whole or a partial apply alike."""
        if not self.initialised:
            return
        try:
            run = self.ws.destroy(self.budget.destroy_s)
            self.report.destroy_s = round(run.seconds, 1)
            self.destroyed = run.as_dict()
        except TapguardError as exc:
            self.report.errors.append(str(exc))

    def prove(self) -> None:
        """After every stack of the run is destroyed: nothing in state, nothing tagged with this stack anywhere."""
        report = self.report
        in_state = self.ws.state_addresses() if self.initialised else []
        proof = leftovers.prove_empty(self.client, (STACK_TAG, self.env.name), in_state)
        report.destroy_proof = {
            "clean": proof.clean,
            "state": proof.state_addresses,
            "leftovers": proof.leftovers,
            "not_listed": proof.not_listed,
        }
        if proof.state_addresses:
            # the work directory is kept (see run()); this is the command that removes what is left
            report.errors.append(f"{len(proof.state_addresses)} resources left in state; remove them with: {self.destroy_command()}")
        if proof.leftovers:
            commands = "; ".join(
                f"{x['kind']} {x['id']}: {leftovers.remove_command(x, 'us-east-1' if x['service'] == 'iam' else self.region)}"
                for x in proof.leftovers
            )
            report.errors.append(f"{len(proof.leftovers)} resources left outside terraform's state (destroy cannot reach them): {commands}")
        _write(self.bundle, f"e2e/{self.env.name}/destroy.json", proof.as_dict())
        _write(
            self.bundle,
            f"e2e/{self.env.name}/deploy.json",
            {
                "apply": self.applied,
                "destroy": self.destroyed,
                "offline": report.offline,
                "extended": report.extended,
                "planned": report.planned,
                "deployed": report.deployed,
                "log_summary": _log_summary(self.ws.log),
            },
        )

    def destroy_command(self) -> str:
        variables = " ".join(shlex.quote(v) for v in self.ws._vars())
        return f"terraform -chdir={shlex.quote(str(self.ws.workdir))} destroy -auto-approve {variables}".rstrip()


def _log_summary(log: Path) -> list[str]:
    """The lines of the terraform log that say how it went (commands, errors, totals); the log is already scrubbed."""
    keep = ("$ terraform", "Error:", "Apply complete!", "Destroy complete!", "Warning:")
    lines = [ln.strip(" │") for ln in log.read_text(errors="replace").splitlines()]
    return [ln.split(" -target=")[0][:300] for ln in lines if ln.startswith(keep)][:200]


def _all_targets(plan: dict[str, Any]) -> list[str]:
    return sorted({model.strip_indexes(rc["address"]) for rc in plan.get("resource_changes", []) if rc.get("mode", "managed") == "managed"})


class _EndpointSession:
    """A boto3 session whose clients all talk to the embedded endpoint."""

    def __init__(self, session: Any, endpoint: str) -> None:
        self.session = session
        self.endpoint = endpoint
        self.region_name = session.region_name

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)


def _each(stage: Callable[[Stack], None], stacks: list[Stack], sequence: bool) -> None:
    """One stage over every stack: one after the other, or all at once (each stage waits for all stacks)."""
    if sequence or len(stacks) < 2:
        for s in stacks:
            stage(s)
        return
    with ThreadPoolExecutor(max_workers=len(stacks), thread_name_prefix="e2e-stack") as pool:
        list(pool.map(stage, stacks))


def _answer_account_trail(root: Path, stacks: list[Stack]) -> None:
    """L1/L2 of a stack whose account trail another stack owns (its profile's `trail_owner`) stay unknown in that
    stack's own findings: answered here from the owner's plan and deployed state when the owner is in this run, as
    `tapguard check` answers them (controls/accounts.py); without the owner they stay unknown."""
    inspected = [s for s in stacks if s.judged]
    groups = config.load(root).shared_accounts
    own = [e.name for e in project.environments(root)]
    for side in ("plan", "state"):
        models = {s.env.name: s.judged[side][0] for s in inspected}
        findings = {s.env.name: s.judged[side][1] for s in inspected}
        owners = {s.env.name: assessment.stack_profile(s.env.name, models[s.env.name], s.env).trail_owner for s in inspected}
        answers = accounts.trails_across(findings, models, owners, groups, own)
        for s in inspected:
            if answers.get(s.env.name):
                s.judged[side] = (models[s.env.name], accounts.answered(findings[s.env.name], answers[s.env.name]))
    for s in inspected:
        s.judge()


def run(root: Path, names: list[str], out: Path, budget: Budget) -> dict[str, Any]:
    """Every stack (or those named) deployed into ONE endpoint, i.e. one account, side by side; then checked,
    destroyed and proven gone. Each stage runs over all stacks at once, or in sequence (`budget.sequence`)."""
    envs = project.select(root, names) if names else project.environments(root)
    tools = toolchain.discover(project.state_dir(root))
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tapguard-e2e-"))
    stages: dict[str, float] = {}
    with deploy_endpoint.DeployEndpoint.serving(envs) as endpoint:
        bundle = EvidenceBundle.create(out, git_sha(root), secrets=tuple(endpoint.secret_strings()))
        stacks = [Stack(env, tools, endpoint, work, bundle, budget) for env in envs]
        for name, stage in (("deploy", Stack.deploy), ("inspect", Stack.inspect), ("destroy", Stack.destroy), ("prove", Stack.prove)):
            mark = time.monotonic()
            # inspecting and proving read the one endpoint: one stack at a time keeps their evidence apart
            _each(stage, stacks, budget.sequence or name in ("inspect", "prove"))
            if name == "inspect":
                _answer_account_trail(root, stacks)
            stages[name] = round(time.monotonic() - mark, 1)
    reports = [s.report for s in stacks]
    passed = bool(reports) and all(r.passed for r in reports)
    if passed:
        shutil.rmtree(work, ignore_errors=True)
    summary = {
        "seconds": round(time.monotonic() - started, 1),
        "stages": stages,
        "mode": "sequence" if budget.sequence else "concurrent",
        "passed": passed,
        "offline": OFFLINE,
        "extended": deploy_endpoint.EXTENDED,
        "environments": [r.as_dict() for r in reports],
        "bundle": str(bundle.path),
        "workdir": None if passed else str(work),  # kept when something is left: the destroy command runs there
    }
    _write(bundle, "e2e/e2e-report.json", summary)
    bundle.write_text("e2e/e2e-report.md", markdown(summary))
    bundle.seal({"kind": "e2e", "passed": summary["passed"], "environments": [r.name for r in reports]})
    return summary


def markdown(summary: dict[str, Any]) -> str:
    lines = ["# End to end on the embedded endpoint", "", f"{'PASSED' if summary['passed'] else 'FAILED'} in {summary['seconds']} s", ""]
    lines += [
        "| stack | planned | deployed | apply s | destroy s | controls on state (fail) | drift | runtime | drill | left after destroy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in summary["environments"]:
        proof = e["destroy_proof"]
        left = (
            "nothing"
            if proof.get("clean")
            else f"{len(proof.get('state', []))} in state, {len(proof.get('leftovers', []))} tagged, "
            f"{len(proof.get('not_listed', {}))} services unlisted"
        )
        lines.append(
            f"| {e['name']} | {e['planned']} | {e['deployed']} | {e['apply_s']} | {e['destroy_s']} | "
            f"{', '.join(e['controls'].get('state_fail', [])) or 'none'} | {len(e['drift'].get('not_deployed', {}))} not deployed, "
            f"{e['drift'].get('changed', 0)} values differ | {e['runtime']} | {e['drill'].get('status', '-')} | {left} |"
        )
    lines += ["", "## Not deployable offline (listed, never skipped silently)", ""]
    offline = [f"- {e['name']}: `{address}`: {why}" for e in summary["environments"] for address, why in e["offline"].items()]
    lines += offline or ["- none"]
    lines += ["", "## Controls the endpoint cannot show on the deployed state (reported, not passed)", ""]
    gap_lines = [
        f"- {e['name']}: {g['control']} `{g['address']}` {g['attribute']}: {g['why']}"
        for e in summary["environments"]
        for g in e["controls"].get("endpoint_gaps", [])
    ]
    lines += gap_lines or ["- none"]
    lines += ["", "## Deployed through tapguard's additions to the endpoint (calls moto lacks)", ""]
    for e in summary["environments"]:
        for address, why in e.get("extended", {}).items():
            lines.append(f"- {e['name']}: `{address}`: {why}")
    for e in summary["environments"]:
        for err in e["errors"]:
            lines.append(f"- ERROR {e['name']}: {err}")
    return "\n".join(lines) + "\n"
