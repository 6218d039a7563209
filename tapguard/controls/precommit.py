"""What the pre-commit hook checks: every control on the changed stacks' HCL, every control on a plan JSON when given.

The command is `tapguard hook` (tapguard/cli/hook.py), which pre-commit runs with the changed files.

A stack is a Terraform root module; it is checked when a changed file lies in it or in a local module it calls, so a
commit that changes only a module checks every stack that calls it. Without --stack the candidates are the project's
environments (or, outside a tapguard project, every root module under the working directory) and the directories of
the changed files that configure a provider.

HCL level: every file parses (tapguard's strict reader, file:line on error), tfvars hold only literals, and the same
controls a plan meets run on a plan-like model of the stack built from its HCL (planning/hclplan.py). Each finding is
then one of three: `fail` when the value it judges is a literal in the HCL (directly or through variables, tfvars and
module arguments), `needs plan` when it depends on anything only a plan knows, `pass` otherwise. A needs-plan finding
is never shown as a pass nor counted as a failure. With --plan-json every control runs on that plan, waivers applied.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.controls import engine, waivers
from tapguard.controls.assessment import evaluate_environment, parse_plan_json_args, stack_profile
from tapguard.foundation.errors import TapguardError
from tapguard.planning import hcl, hclplan, model, project
from tapguard.planning.runner import module_dirs

# controls whose check reads the HCL files themselves: their verdicts stand as they are
HCL_CONTROLS = ("D1",)
FAIL, NEEDS_PLAN, PASS = "fail", "needs plan", "pass"
_FIRST_STEP = re.compile(r"^[A-Za-z_][\w-]*")
_SCAN_SKIP = frozenset({".git", ".terraform", ".tapguard", ".nox", ".venv", "node_modules", "examples"})
MAX_SCANNED_DIRS = 5000


def _is_root_module(directory: Path) -> bool:
    return any(True for tf in sorted(directory.glob("*.tf")) for _ in hcl.load_cached(tf).children("provider"))


def _scan_root_modules(base: Path) -> list[Path]:
    """Root modules under `base` (bounded; skips VCS, caches and module examples)."""
    found: list[Path] = []
    for seen, (current, dirs, files) in enumerate(os.walk(base)):
        dirs[:] = sorted(d for d in dirs if d not in _SCAN_SKIP and not d.startswith("."))
        if seen >= MAX_SCANNED_DIRS:
            break
        here = Path(current)
        if any(f.endswith(".tf") for f in files) and _is_root_module(here):
            found.append(here.resolve())
    return found


def candidate_stacks(files: Sequence[Path]) -> list[Path]:
    """The stacks a commit may touch when none is named: the project's environments, else the root modules here,
    and the changed files' own directories that configure a provider."""
    try:
        root = project.find_root()
        known = [e.path for e in project.environments(root)]
    except TapguardError:
        known = _scan_root_modules(Path.cwd())
    own = {f.parent for f in files if f.suffix in (".tf", ".tfvars") and f.parent.is_dir()}
    return sorted(set(known) | {d for d in own if _is_root_module(d)})


def stacks_to_check(stacks: Sequence[Path], files: Sequence[Path]) -> list[Path]:
    changed = {f.resolve() for f in files}
    if not stacks:
        stacks = candidate_stacks(sorted(changed))
    if not changed:
        return list(stacks)
    chosen = []
    for stack in stacks:
        dirs = module_dirs(stack)
        if any(d == f.parent or d in f.parents for f in changed for d in dirs):
            chosen.append(stack)
    return chosen


@dataclass
class StackResult:
    stack: Path
    level: str  # "plan" when a plan JSON was given for the stack, else "HCL"
    failures: list[engine.Finding]
    needs_plan: list[engine.Finding] = field(default_factory=list)
    not_followed: list[str] = field(default_factory=list)  # module calls only a plan can show

    @property
    def verdict(self) -> str:
        if self.failures:
            return "FAIL"
        return "NEEDS PLAN" if self.needs_plan or self.not_followed else "PASS"


def classify(finding: engine.Finding, plan: model.Plan) -> str:
    """fail / needs plan / pass for a finding over an HCL-built plan."""
    if finding.status in (engine.PASS, engine.NOT_APPLICABLE):
        return PASS
    if finding.status == engine.UNKNOWN:
        return NEEDS_PLAN
    if finding.control in HCL_CONTROLS:
        return FAIL
    resource = plan.by_address.get(finding.address)
    if resource is None or _has_gap(finding.actual, top=True):
        return NEEDS_PLAN
    if literal(resource, finding.attribute) or _literal_policy_document(resource, finding.attribute):
        return FAIL
    return NEEDS_PLAN


def _literal_policy_document(resource: model.Resource, attribute: str) -> bool:
    """A policy built by one aws_iam_policy_document whose effects, actions and principals are all written out:
    what it grants is literal even though its JSON (naming ARNs) waits for the plan."""
    sources = resource.referenced(attribute, "aws_iam_policy_document") if resource.plan else []
    if len(sources) != 1 or "dynamic" in sources[0].config:
        return False
    statements = sources[0].config.get("statement")
    if not isinstance(statements, list):
        return False
    for statement in statements:
        for key in ("effect", "actions", "not_actions"):
            if key in statement and "constant_value" not in statement[key]:
                return False
        for principal in statement.get("principals") or []:
            if any("constant_value" not in principal.get(k, {}) for k in ("type", "identifiers")):
                return False
    return True


def _has_gap(actual: object, top: bool = False) -> bool:
    """The judged value is partly missing (a null or unknown inside it): the verdict leans on what only a plan shows."""
    if actual == "(known after apply)" or (actual is None and not top):
        return True
    if isinstance(actual, dict):
        return any(_has_gap(v) for v in actual.values())
    if isinstance(actual, list):
        return any(_has_gap(v) for v in actual)
    return False


def literal(resource: model.Resource, attribute: str) -> bool:
    """The attribute a finding names is written in the HCL and known: no part of it waits for a plan."""
    path = attribute.split("[", 1)[0].rstrip(".")
    first = _FIRST_STEP.match(path)
    if first is None or first.group() not in resource.after:
        return False
    node_known: Any = resource.after
    node_unknown: Any = resource.after_unknown
    for part in path.split("."):
        if node_unknown is True:
            return False
        if isinstance(node_known, list) and part.isdigit() and int(part) < len(node_known):
            node_known = node_known[int(part)]
            node_unknown = node_unknown[int(part)] if isinstance(node_unknown, list) and int(part) < len(node_unknown) else {}
        elif isinstance(node_known, dict) and part in node_known:
            node_known = node_known[part]
            node_unknown = node_unknown.get(part, {}) if isinstance(node_unknown, dict) else {}
        else:
            # deeper than the HCL goes (a path into a literal JSON string): the literal above it decides
            break
    return node_unknown is not True and not _holds_unknown(node_unknown)


def _holds_unknown(node: object) -> bool:
    if node is True:
        return True
    if isinstance(node, dict):
        return any(_holds_unknown(v) for v in node.values())
    if isinstance(node, list):
        return any(_holds_unknown(v) for v in node)
    return False


def hcl_findings(stack: Path, project_root: Path, only: Iterable[str] | None = None) -> tuple[model.Plan, list[engine.Finding]]:
    """Every (selected) control over the plan-like model of a stack's HCL."""
    env = project.load_environment(stack)  # strict tfvars, provider region
    dirs = module_dirs(stack)
    plan = hclplan.build(stack, project_root)
    profile = stack_profile(env.name, plan, env)
    return plan, engine.evaluate(env.name, plan, profile, hcl_dirs=dirs, only=only)


def check_stack(stack: Path, plan_json: Path | None, waiver_set: waivers.WaiverSet, project_root: Path) -> StackResult:
    if plan_json is not None:
        env = project.load_environment(stack)
        findings = evaluate_environment(env.name, plan_json, env, waiver_set).findings
        open_ = [f for f in findings if f.status in (engine.FAIL, engine.UNKNOWN) and not f.waiver]
        return StackResult(stack, "plan", open_)
    plan, findings = hcl_findings(stack, project_root)
    result = StackResult(stack, "HCL", [], not_followed=hclplan.unresolved_modules(plan))
    for f in waiver_set.apply(findings):
        if f.waiver:
            continue
        kind = classify(f, plan)
        if kind == FAIL:
            result.failures.append(f)
        elif kind == NEEDS_PLAN:
            result.needs_plan.append(f)
    return result


def _project_root() -> Path:
    try:
        return project.find_root()
    except TapguardError:
        return Path.cwd().resolve()  # pre-commit runs hooks from the repository's top level


def run(stacks: Sequence[Path], plan_json: Sequence[str], waiver_file: Path | None, files: Sequence[Path]) -> list[StackResult]:
    """Check the stacks the changed `files` touch (all `stacks` when no file is given); `plan_json` as `STACK=PATH`."""
    plans = parse_plan_json_args(list(plan_json))
    for stack in stacks:
        if not stack.is_dir():
            raise TapguardError(f"--stack {stack}: not a directory")
    waiver_set = waivers.load(waiver_file, engine.catalogue())
    given = [s.resolve() for s in stacks]
    chosen = stacks_to_check(given, files)
    unknown = set(plans) - {s.name for s in chosen} - {s.name for s in given}
    if unknown:
        raise TapguardError(f"--plan-json names {', '.join(sorted(unknown))}, which is not a stack given with --stack")
    root = _project_root()
    return [check_stack(stack, plans.get(stack.name), waiver_set, root) for stack in chosen]
