"""The pre-commit hook: fast HCL-level checks on the stacks a commit changes, plan-level checks when a plan JSON is given.

    python -m tapguard.precommit [--stack DIR]... [--plan-json STACK=PATH]... [--waivers FILE] [FILE]...

A stack is a Terraform root module; it is checked when a changed file lies in it or in a local module it calls.
Without --stack, the directories of the changed files that configure a provider are the stacks. HCL level: every
file parses (tapguard's strict reader, file:line on error), tfvars hold only literals, and the controls that read the
HCL itself (lifecycle.prevent_destroy) run. With --plan-json every control runs on that plan, waivers applied.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tapguard.controls import engine, waivers
from tapguard.controls.assessment import evaluate_environment, parse_plan_json_args, stack_profile
from tapguard.errors import TapguardError
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tapguard-precommit", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", default=[], type=Path, help="a root module to check (repeatable)")
    parser.add_argument("--plan-json", action="append", default=[], metavar="STACK=PATH", help="check this plan (stack = directory name)")
    parser.add_argument("--waivers", type=Path, help="waiver file (default: waivers.yaml here, if present)")
    parser.add_argument("files", nargs="*", type=Path, help="the changed files (pre-commit passes them)")
    args = parser.parse_args(argv)
    try:
        plans = parse_plan_json_args(args.plan_json)
        for stack in args.stack:
            if not stack.is_dir():
                raise TapguardError(f"--stack {stack}: not a directory")
        waiver_file = args.waivers or (Path("waivers.yaml") if Path("waivers.yaml").exists() else None)
        waiver_set = waivers.load(waiver_file, engine.catalogue())
        chosen = stacks_to_check([s.resolve() for s in args.stack], args.files)
        unknown = set(plans) - {s.name for s in chosen} - {s.name for s in map(Path.resolve, args.stack)}
        if unknown:
            raise TapguardError(f"--plan-json names {', '.join(sorted(unknown))}, which is not a stack given with --stack")
        failed = 0
        for stack in chosen:
            level = "plan" if stack.name in plans else "HCL"
            findings = check_stack(stack, plans.get(stack.name), waiver_set)
            for finding in findings:
                print(f"{stack.name}: FAIL {finding.describe(engine.catalogue().get(finding.control))}")
            print(f"tapguard {level}-level check of {stack.name}: {'FAIL' if findings else 'PASS'} ({len(findings)} failing)")
            failed += bool(findings)
        return 1 if failed else 0
    except TapguardError as exc:
        print(f"tapguard: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
