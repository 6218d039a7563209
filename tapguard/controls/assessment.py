"""An assessment: evaluate every control over each environment's plan, apply waivers, reconcile checkov.

The one place `tapguard check`, `tapguard audit` and the PCI pytest suite get their results from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.controls import checkov, classes, engine, facets, waivers
from tapguard.controls.engine import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Control, Finding
from tapguard.foundation import config
from tapguard.foundation.errors import TapguardError
from tapguard.foundation.profile import Profile
from tapguard.planning import admitted, model
from tapguard.planning.admitted import AdmittedPlan
from tapguard.planning.project import Environment, git_sha
from tapguard.planning.runner import PlanResult, module_dirs


@dataclass(frozen=True)
class Coverage:
    """Closed world: live managed resources of a classed type / all live managed resources, and the types no class knows."""

    assessed: int
    total: int
    unassessed_types: tuple[str, ...]

    def line(self) -> str:
        tail = f"; unassessed types: {', '.join(self.unassessed_types)}" if self.unassessed_types else ""
        return f"{self.assessed}/{self.total} resources assessed{tail}"

    def as_dict(self) -> dict[str, Any]:
        return {"assessed": self.assessed, "total": self.total, "unassessed_types": list(self.unassessed_types)}


@dataclass
class EnvironmentResult:
    name: str
    plan_path: Path
    plan_sha256: str
    terraform_version: str
    region: str | None
    summary: dict[str, int]
    findings: list[Finding]
    hcl_dirs: list[Path]
    module_sources: dict[str, Path]  # module address prefix ("module.kms") -> source dir
    coverage: Coverage | None = None
    source: AdmittedPlan | None = field(default=None, repr=False, compare=False)  # the plan's one object (planning/admitted.py)
    _index: tuple[int, int, dict[str, list[Finding]]] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def plan(self) -> AdmittedPlan:
        """The admitted plan this result was judged from (made from plan_path for results built by hand)."""
        if self.source is None:
            self.source = admitted.of(self.name, self.plan_path)
        return self.source

    def findings_of(self, control_id: str) -> list[Finding]:
        """This control's findings (every report asks for each control: indexed once while the list is unchanged)."""
        if self._index is None or self._index[:2] != (id(self.findings), len(self.findings)):
            by_control: dict[str, list[Finding]] = {}
            for finding in self.findings:
                by_control.setdefault(finding.control, []).append(finding)
            self._index = (id(self.findings), len(self.findings), by_control)
        return self._index[2].get(control_id, [])

    def status_of(self, control_id: str) -> str:
        """fail if any unwaived fail/unknown, else pass (or not_applicable when nothing applied)."""
        mine = self.findings_of(control_id)
        if any(f.status in (FAIL, UNKNOWN) and not f.waiver for f in mine):
            return FAIL
        if any(f.status in (FAIL, UNKNOWN) and f.waiver for f in mine):
            return "waived"
        if mine and all(f.status == NOT_APPLICABLE for f in mine):
            return NOT_APPLICABLE
        return PASS


def drill_verdict(journal: dict[str, Any]) -> dict[str, Any]:
    """A drill's verdict object, or an empty one when the journal holds something else."""
    verdict = journal.get("verdict")
    return verdict if isinstance(verdict, dict) else {}


def drill_measure(verdict: dict[str, Any], key: str, unit: str = "") -> str:
    """A number of a drill's verdict as people read it: `12.3 s`, or `unknown (why)` when it could not be measured."""
    value = verdict.get(key)
    if value is None or isinstance(value, bool):
        why = (verdict.get("unknown") or {}).get(key) if isinstance(verdict.get("unknown"), dict) else None
        return f"unknown ({why})" if why else "unknown"
    return f"{value}{' ' + unit if unit else ''}"


def drill_passed(journal: dict[str, Any]) -> bool:
    """A drill counts as passed only when its verdict says `passed: true` (the boolean; "false", 1 or nothing never pass)."""
    return drill_verdict(journal).get("passed") is True


@dataclass
class Assessment:
    started: dt.datetime
    environments: list[EnvironmentResult]
    catalogue: dict[str, Control]
    waivers: waivers.WaiverSet
    checkov: list[checkov.CheckovResult] = field(default_factory=list)
    drills: list[dict[str, Any]] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)
    git_sha: str = "unknown"
    finished: dt.datetime | None = None

    skipped: dict[str, str] = field(default_factory=dict)  # control id -> why it was not judged (--check, --skip-check)

    @property
    def failed(self) -> bool:
        # one rule for checkov: any failure it lists (mapped: through its control's findings; unmapped, HCL or
        # an error: here) fails the verdict unless waived or suppressed with a reason; never a ❌ under a ✅
        return (
            any(e.status_of(c) == FAIL for e in self.environments for c in self.catalogue)
            or bool(self.waivers.problems)
            or any(scan.errored for scan in self.checkov)
            or bool(self.checkov_gate)
            or bool(self.failed_drills)
        )

    @property
    def checkov_gate(self) -> list[tuple[str, dict[str, Any]]]:
        """(scope, item) of each checkov failure that fails the run by itself: every failure or error of the HCL
        scan, and a plan scan's errors and failures mapped to no control (a mapped one fails through its control's
        findings). A failure mapped only to controls skipped by --check/--skip-check is skipped with them."""
        out = []
        for scan in self.checkov:
            for item in scan.gate_failures:
                mapped = [c for c in item.get("controls") or [] if c in self.catalogue]
                if mapped and all(c in self.skipped for c in mapped):
                    continue
                if scan.scope.startswith("plan:") and mapped and item["status"] == "failed":
                    continue
                out.append((scan.scope, item))
        return out

    @property
    def failed_drills(self) -> list[dict[str, Any]]:
        """Drill journals whose verdict is not `passed: true` (a boolean): each one fails the run."""
        return [journal for journal in self.drills if not drill_passed(journal)]

    @property
    def scope_all_waivers(self) -> list[dict[str, Any]]:
        """Waivers with `scope: all` (every resource of a control), most findings hidden first; `hides` counts them."""
        return self.waivers.scope_all()

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for e in self.environments:
            tally = {PASS: 0, FAIL: 0, "waived": 0, NOT_APPLICABLE: 0}
            for c in self.catalogue:
                tally[e.status_of(c)] += 1
            out[e.name] = tally
        return out


def module_sources(env_dir: Path | None, plan: model.Plan) -> dict[str, Path]:
    """Module address -> directory of its source, from the plan's configuration."""
    found: dict[str, Path] = {}
    if env_dir is None:
        return found

    def walk(node: dict[str, Any], prefix: str, base: Path) -> None:
        for name, call in (node.get("module_calls") or {}).items():
            source = str(call.get("source", ""))
            if not source.startswith("."):
                continue
            directory = (base / source).resolve()
            address = f"{prefix}.module.{name}" if prefix else f"module.{name}"
            found[address] = directory
            walk(call.get("module") or {}, address, directory)

    walk(plan.data.get("configuration", {}).get("root_module", {}), "", env_dir.resolve())
    return found


def stack_profile(name: str, plan: model.Plan, env: Environment | None) -> Profile:
    """The profile a plan is judged by. A plan made elsewhere (no root module here) gets the generic one; a stack of
    this project without a profile of its own requires nothing either, but every control runs over its plan and HCL."""
    profile = engine.profile_for(name, plan, env.profile if env is not None else None)
    if env is not None and profile.generic:
        return dataclasses.replace(profile, generic=False, skip=())
    return profile


def evaluate_environment(
    name: str, given: AdmittedPlan | Path, env: Environment | None, waiver_set: waivers.WaiverSet
) -> EnvironmentResult:
    source = admitted.of(name, given)
    plan = source.model()
    hcl_dirs = module_dirs(env.path) if env is not None else []
    profile = stack_profile(name, plan, env)
    findings = waiver_set.apply(engine.evaluate(name, plan, profile, hcl_dirs=hcl_dirs))
    # waiver problems are reported once for the run, not per environment
    findings = [f for f in findings if f not in waiver_set.problems]
    return EnvironmentResult(
        name=name,
        plan_path=source.path,
        plan_sha256=source.digest,
        terraform_version=plan.terraform_version,
        region=plan.region,
        summary=plan.summary(),
        findings=findings,
        hcl_dirs=hcl_dirs,
        module_sources=module_sources(env.path if env else None, plan),
        coverage=_coverage(plan),
        source=source,
    )


def _coverage(plan: model.Plan) -> Coverage:
    assessed, total, unknown = facets.coverage(plan, classes.load())
    return Coverage(assessed=assessed, total=total, unassessed_types=tuple(unknown))


SEVERITIES = ("low", "medium", "high", "critical")
SKIP_CHECK = "--skip-check"
NOT_SELECTED = "not selected by --check"


def _resolve(flag: str, values: Sequence[str], catalogue: dict[str, Control], at_least: bool) -> set[str]:
    """Control ids named by control ids, checkov ids (the control whose catalogue entry lists it) or a severity
    (that severity and higher for --check, and lower for --skip-check, as checkov reads them)."""
    by_scanner: dict[str, set[str]] = {}
    for control in catalogue.values():
        for ids in control.scanners.values():
            for scanner_id in ids:
                by_scanner.setdefault(scanner_id.upper(), set()).add(control.id)
    by_id = {c.upper(): c for c in catalogue}
    chosen: set[str] = set()
    for raw in values:
        for item in (v.strip() for v in raw.split(",")):
            label = item if item.isprintable() and len(item) <= 40 else repr(item[:40])
            if not item:
                raise TapguardError(f"{flag}: empty entry in a comma-separated list")
            key = item.upper()
            if key.lower() in SEVERITIES:
                rank = SEVERITIES.index(key.lower())
                chosen |= {
                    c.id
                    for c in catalogue.values()
                    if c.severity in SEVERITIES
                    and (SEVERITIES.index(c.severity) >= rank if at_least else SEVERITIES.index(c.severity) <= rank)
                }
            elif key in by_id:
                chosen.add(by_id[key])
            elif key in by_scanner:
                chosen |= by_scanner[key]
            else:
                raise TapguardError(
                    f"{flag} {label}: not a control id, a checkov id of the catalogue or a severity ({', '.join(SEVERITIES)}); "
                    "see `tapguard check --list`"
                )
    return chosen


def skipped_controls(check: Sequence[str], skip: Sequence[str], catalogue: dict[str, Control]) -> dict[str, str]:
    """Control id -> why it is not judged: outside --check's selection, or named by --skip-check (which wins)."""
    out: dict[str, str] = {}
    if check:
        wanted = _resolve("--check", check, catalogue, at_least=True)
        out.update({cid: NOT_SELECTED for cid in catalogue if cid not in wanted})
    if skip:
        out.update({cid: SKIP_CHECK for cid in _resolve("--skip-check", skip, catalogue, at_least=False)})
    return out


def apply_skips(env: EnvironmentResult, skipped: dict[str, str]) -> None:
    """A skipped control keeps no verdict of its own: one not-applicable finding that says why (never a pass)."""
    if not skipped:
        return
    kept = [f for f in env.findings if f.control not in skipped]
    marks = [Finding(cid, env.name, "*", "", NOT_APPLICABLE, None, None, f"skipped: {reason}") for cid, reason in sorted(skipped.items())]
    env.findings = kept + marks


def checkov_findings(run: Assessment) -> None:
    """checkov's plan-scope failures mapped to a control become that control's findings in that environment:
    the control fails (or shows waived, with the waiver) as checkov says; unverifiable-at-plan stays checkov's note."""
    by_env = {e.name: e for e in run.environments}
    for scan in run.checkov:
        env = by_env.get(scan.scope.removeprefix("plan:")) if scan.scope.startswith("plan:") else None
        if env is None:
            continue
        for item in scan.failed:
            if item["status"] not in ("failed", "waived"):
                continue
            for cid in item.get("controls") or []:
                if cid not in run.catalogue or cid in run.skipped:
                    continue
                env.findings.append(
                    Finding(
                        cid,
                        env.name,
                        str(item.get("resource") or ""),
                        ", ".join(k for k in item.get("evaluated_keys") or [] if k),
                        FAIL,
                        f"checkov {item['check_id']} failed",
                        f"checkov {item['check_id']} passes",
                        f"checkov {item['check_id']} fails: {item.get('check_name') or ''}".rstrip(": "),
                        item.get("waiver"),
                    )
                )


def parse_plan_json_args(values: list[str]) -> dict[str, Path]:
    """ENV=PATH pairs from --plan-json."""
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise TapguardError(f"--plan-json takes ENV=PATH, got {value!r}")
        if name in out:
            raise TapguardError(f"--plan-json names environment {name!r} twice")
        out[name] = Path(path)
    return out


def tool_versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    import platform

    import tapguard

    versions = {"tapguard": tapguard.__version__, "python": platform.python_version()}
    for dist in ("checkov", "moto", "boto3", "pytest", "rich"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:  # not installed: say so rather than guess
            versions[dist] = "not installed"
    versions.update(extra or {})
    return versions


def assess(
    root: Path,
    envs: Sequence[Environment],
    plans: Mapping[str, AdmittedPlan | Path],
    waiver_file: Path | None,
    use_checkov: bool,
    extra_tools: dict[str, str] | None = None,
    hcl_scan: Future[checkov.HclReports] | None = None,
    checkov_cache: bool = True,
    skipped: dict[str, str] | None = None,
) -> Assessment:
    """Evaluate every environment whose plan is in `plans` (name -> admitted plan, or a path); `skipped`: see
    skipped_controls. Each plan is parsed once for everything here, and released before the caller writes the bundle."""
    catalogue = engine.catalogue()
    # the project's config may forbid waivers that cover every resource of a control (`scope: all`)
    waiver_set = waivers.load(waiver_file, [*catalogue, waivers.WAIVER_CONTROL], forbid_scope_all=config.load(root).forbid_scope_all)
    by_name = {e.name: e for e in envs}
    results: list[EnvironmentResult] = []
    for name, path in plans.items():
        results.append(evaluate_environment(name, path, by_name.get(name), waiver_set))
    # AC1 across plans: the environments of one account compared with each other (controls/accounts.py)
    from tapguard.controls import accounts

    models = {r.name: r.plan.model() for r in results}
    groups = config.load(root).shared_accounts
    shared = accounts.across(models, groups, by_name)
    # L1/L2 of a stack whose account trail another stack owns: answered from the owner's plan when it is in this run
    owners = {r.name: stack_profile(r.name, models[r.name], by_name.get(r.name)).trail_owner for r in results}
    trails = accounts.trails_across({r.name: r.findings for r in results}, models, owners, groups, by_name)
    for result in results:
        answers = [f for f in waiver_set.apply(trails.get(result.name, [])) if f not in waiver_set.problems]
        result.findings = accounts.answered(result.findings, answers)
        result.findings.extend(f for f in waiver_set.apply(shared.get(result.name, [])) if f not in waiver_set.problems)
    run = Assessment(
        started=dt.datetime.now(dt.UTC),
        environments=results,
        catalogue=catalogue,
        waivers=waiver_set,
        tools=tool_versions(extra_tools),
        git_sha=git_sha(root),
        skipped=dict(skipped or {}),
    )
    if use_checkov:
        # the working directory's HCL is scanned only for its own stacks: plans made elsewhere are scanned alone
        hcl = None
        if any(r.name in by_name for r in results):
            reports = hcl_scan.result() if hcl_scan is not None else checkov.hcl_reports(root, checkov_cache)
            hcl = checkov.scan_hcl(root, catalogue, waiver_set, reports)
            run.checkov.append(hcl)
        # one checkov process per plan, two at a time (each is a subprocess, threads only wait for them);
        # a plan made elsewhere is not reconciled against this repo's HCL
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="checkov-plan") as pool:
            scans = pool.map(
                lambda env: checkov.scan_plan(
                    env.name, env.plan, root, catalogue, waiver_set, hcl if env.name in by_name else None, checkov_cache
                ),
                results,
            )
            run.checkov.extend(scans)
        checkov_findings(run)
    for env in results:
        apply_skips(env, run.skipped)
        env.plan.release()
    run.finished = dt.datetime.now(dt.UTC)
    return run


def plans_from_args(plan_json: list[str] | dict[str, Path], planned: list[PlanResult]) -> dict[str, AdmittedPlan]:
    """Environment -> the plan to evaluate: the planned ones (redacted by the runner), and a redacted copy of each
    --plan-json file (intake: decoded, validated and redacted before it is written; later steps read only the copy).
    `plan_json`: the flag's ENV=PATH values, or what parse_plan_json_args made of them."""
    given = plan_json if isinstance(plan_json, dict) else parse_plan_json_args(plan_json)
    out = {r.environment: AdmittedPlan.planned(r) for r in planned}
    for name, path in given.items():
        out[name] = AdmittedPlan.given(name, path)
    return out
