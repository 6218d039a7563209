"""What the pre-commit hook checks: fast HCL-level checks on the stacks a commit changes, every control when a plan JSON is given.

The command is `tapguard hook` (tapguard/cli/hook.py), which pre-commit runs with the changed files.

A stack is a Terraform root module; it is checked when a changed file lies in it or in a local module it calls.
Without --stack, the directories of the changed files that configure a provider are the stacks. HCL level: every
file parses (tapguard's strict reader, file:line on error), tfvars hold only literals, and the controls that read the
HCL itself (lifecycle.prevent_destroy) run. With --plan-json every control runs on that plan, waivers applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tapguard.controls import engine, waivers
from tapguard.controls.assessment import evaluate_environment, parse_plan_json_args, stack_profile
from tapguard.foundation.errors import TapguardError
from tapguard.planning import hcl, model, project
from tapguard.planning.runner import module_dirs

# controls whose check reads the HCL, not the plan: they need no terraform plan
HCL_CONTROLS = ("D1",)
NO_PLAN = {"format_version": "1.2", "resource_changes": [], "planned_values": {}}


def _is_root_module(directory: Path) -> bool:
    return any(True for tf in directory.glob("*.tf") for _ in hcl.load(tf).children("provider"))


def stacks_to_check(stacks: Sequence[Path], files: Sequence[Path]) -> list[Path]:
    changed = {f.resolve() for f in files}
    if not stacks:
        candidates = {f.parent for f in changed if f.suffix in (".tf", ".tfvars") and f.parent.is_dir()}
        stacks = sorted(d for d in candidates if _is_root_module(d))
    if not changed:
        return list(stacks)
    chosen = []
    for stack in stacks:
        dirs = module_dirs(stack)
        if any(d == f.parent or d in f.parents for f in changed for d in dirs):
            chosen.append(stack)
    return chosen


def check_stack(stack: Path, plan_json: Path | None, waiver_set: waivers.WaiverSet) -> list[engine.Finding]:
    env = project.load_environment(stack)  # strict tfvars, provider region
    dirs = module_dirs(stack)
    for directory in dirs:
        for tf in sorted(directory.glob("*.tf")):
            hcl.load(tf)
    if plan_json is not None:
        findings = evaluate_environment(env.name, plan_json, env, waiver_set).findings
    else:
        plan = model.from_dict(NO_PLAN, name=f"{env.name} (no plan)")
        profile = stack_profile(env.name, plan, env)
        findings = waiver_set.apply(engine.evaluate(env.name, plan, profile, hcl_dirs=dirs, only=HCL_CONTROLS))
    return [f for f in findings if f.status in (engine.FAIL, engine.UNKNOWN) and not f.waiver]


@dataclass(frozen=True)
class StackResult:
    stack: Path
    level: str  # "plan" when a plan JSON was given for the stack, else "HCL"
    failures: list[engine.Finding]


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
    return [
        StackResult(stack, "plan" if stack.name in plans else "HCL", check_stack(stack, plans.get(stack.name), waiver_set))
        for stack in chosen
    ]
