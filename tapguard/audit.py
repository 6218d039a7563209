"""`tapguard check`: plan or load each environment, evaluate, scan, and write the evidence bundle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from tapguard import checkov_scan, controls, project, waivers
from tapguard.check import CheckRun, EnvironmentResult, evaluate_environment, parse_plan_json_args, tool_versions
from tapguard.errors import TapguardError
from tapguard.evidence.bundle import EvidenceBundle, git_sha
from tapguard.evidence.write import write_bundle
from tapguard.plan import PlanResult


def run_check(
    root: Path,
    envs: Sequence[project.Environment],
    plans: dict[str, Path],
    waiver_file: Path | None,
    use_checkov: bool,
    extra_tools: dict[str, str] | None = None,
) -> CheckRun:
    """Evaluate every environment whose plan JSON is in `plans` (name -> path)."""
    catalogue = controls.catalogue()
    waiver_set = waivers.load(waiver_file, [*catalogue, waivers.WAIVER_CONTROL])
    by_name = {e.name: e for e in envs}
    results: list[EnvironmentResult] = []
    for name, path in plans.items():
        results.append(evaluate_environment(name, path, by_name.get(name), waiver_set))
    run = CheckRun(
        started=dt.datetime.now(dt.UTC),
        environments=results,
        catalogue=catalogue,
        waivers=waiver_set,
        tools=tool_versions(extra_tools),
        git_sha=git_sha(root),
    )
    if use_checkov:
        hcl = checkov_scan.scan_hcl(root, catalogue, waiver_set)
        run.checkov.append(hcl)
        for env in results:
            run.checkov.append(checkov_scan.scan_plan(env.name, env.plan_path, root, catalogue, waiver_set, hcl))
    run.finished = dt.datetime.now(dt.UTC)
    return run


def plans_from_args(plan_json: list[str], planned: list[PlanResult]) -> dict[str, Path]:
    out = {r.environment: r.json_path for r in planned}
    for name, path in parse_plan_json_args(plan_json).items():
        if not path.is_file():
            raise TapguardError(f"--plan-json {name}={path}: no such file")
        out[name] = path
    return out


def write(run: CheckRun, root: Path, out_dir: Path, secrets: Sequence[str]) -> EvidenceBundle:
    return write_bundle(run, root, out_dir, tuple(s for s in secrets if len(s) >= 8))
