"""Run checkov as a baseline over the HCL and each plan JSON, and map its ids to ours.

checkov on a plan JSON cannot see values that are unknown until apply (every key ARN
created in the same plan); such a failure that the HCL scan passes or skips is marked
`unverifiable_at_plan`, not hidden. The HCL scan is the gate: zero failed checks except
suppressions written in the code with a reason.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tapguard.controls.checkov_worker import CheckovWorker, WorkerGone
from tapguard.controls.engine import Control
from tapguard.controls.waivers import WaiverSet
from tapguard.planning import admitted
from tapguard.planning.admitted import AdmittedPlan
from tapguard.planning.model import strip_indexes

CACHE_FORMAT = "1"
_SCANNED_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".hcl")
# test fixtures and module test roots (tests/terraform) are not stacks; mutants/ is mutmut's copy of the project
_NOT_SCANNED = {
    *(".git", ".venv", ".tapguard", ".nox", ".terraform", "node_modules", "evidence"),
    *("tests/fixtures", "tests/terraform", "mutants"),
}


@dataclass
class CheckovResult:
    scope: str  # "hcl" or "plan:<env>"
    available: bool
    version: str | None = None
    passed: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    # (check id, configuration address) of every check the scan passed: reconciliation needs the pass, not
    # merely the absence of a failure (a plan made elsewhere has no resource in this repo's HCL at all)
    passed_keys: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "available": self.available,
            "version": self.version,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "error": self.error,
            "counts": {
                "passed": self.passed,
                "failed": sum(1 for f in self.failed if f["status"] == "failed"),
                "waived": sum(1 for f in self.failed if f["status"] == "waived"),
                "unverifiable_at_plan": sum(1 for f in self.failed if f["status"] == "unverifiable_at_plan"),
                "skipped_in_code": len(self.skipped),
            },
        }

    def summary_line(self) -> str:
        if not self.available:
            return f"checkov {self.scope}: {self.error}"
        if self.error:
            return f"checkov {self.scope}: ERROR {self.error}"
        c = self.as_dict()["counts"]
        return (
            f"checkov {self.scope}: {c['passed']} passed, {c['failed']} failed, {c['waived']} waived, "
            f"{c['unverifiable_at_plan']} unverifiable at plan, {c['skipped_in_code']} suppressed in code"
        )

    @property
    def gate_failures(self) -> list[dict[str, Any]]:
        return [f for f in self.failed if f["status"] in ("failed", "error")]

    @property
    def errored(self) -> bool:
        """checkov ran but crashed or printed nothing usable: an error, never "0 passed, 0 failed"."""
        return self.available and self.error is not None

    def items(self) -> list[dict[str, Any]]:
        """Every failure that counts (failed or unverifiable), itemized for report.md, SARIF and JUnit."""
        return [f for f in self.failed if f["status"] in ("failed", "unverifiable_at_plan", "error")]


def binary() -> str | None:
    here = Path(sys.executable).parent / "checkov"
    return str(here) if here.exists() else shutil.which("checkov")


def version() -> str:
    """checkov's version without starting it (its import takes seconds)."""
    try:
        return metadata.version("checkov")
    except metadata.PackageNotFoundError:
        return "unknown"


def hcl_digest(root: Path) -> str:
    """Content hash of every file the HCL scan reads (Terraform sources and checkov's own config)."""
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        rel = here.relative_to(root)
        dirs[:] = sorted(d for d in dirs if d not in _NOT_SCANNED and str(rel / d) not in _NOT_SCANNED)
        for name in sorted(files):
            if name.endswith(_SCANNED_SUFFIXES) or name.startswith(".checkov"):
                path = here / name
                digest.update(str(rel / name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _cache_file(root: Path, scope: str, args: list[str], content: str) -> Path:
    key = hashlib.sha256(f"{CACHE_FORMAT}|{version()}|{scope}|{json.dumps(args)}|{content}".encode()).hexdigest()[:32]
    return root / ".tapguard" / "checkov" / f"{key}.json"


def _run(args: list[str], cwd: Path, cache: Path | None = None, enrich_after: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    """checkov's reports; cached by content when `cache` names the entry.

    `enrich_after`: once this scan has started, have the worker compute the plan scans' HCL enrichment of `cwd`
    (the HCL changed, so the plan scans that follow will need it).
    """
    if cache is not None and cache.is_file():
        try:
            cached = json.loads(cache.read_text())
            return list(cached["reports"]), None
        except (ValueError, KeyError, TypeError):
            cache.unlink(missing_ok=True)  # a damaged entry is rescanned, never trusted
    reports, error = _run_checkov(args, cwd, enrich_after)
    if cache is not None and error is None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"reports": reports}))
        tmp.replace(cache)
    return reports, error


# offline, no package scan, errors only: how every scan runs, through the worker or the CLI
SCAN_ENV = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"}
_WORKER: list[CheckovWorker] = []
_WORKER_LOCK = threading.Lock()


def _worker(env: dict[str, str]) -> CheckovWorker | None:
    """This run's pre-imported checkov (when checkov is importable here), started on the first scan."""
    with _WORKER_LOCK:
        if not _WORKER:
            if importlib.util.find_spec("checkov") is None:
                return None
            _WORKER.append(CheckovWorker(env))
            atexit.register(_WORKER[0].close)
        return _WORKER[0]


def _run_checkov(args: list[str], cwd: Path, enrich_after: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    argv = [*args, "-o", "json", "--compact", "--skip-download"]
    env = {**os.environ, **SCAN_ENV}
    worker = _worker(env)
    try:
        if worker is None:
            raise WorkerGone("checkov is not importable here", ready=False)
        started = worker.submit(argv, str(cwd))
        if enrich_after:
            worker.enrich(str(cwd))
        returncode, stdout, stderr = started.result()
    except WorkerGone as gone:
        if gone.ready:  # ended mid-run (interrupted, killed): this scan did not complete
            return [], str(gone)
        # the worker never started: checkov's CLI gives the same reports, only slower
        exe = binary()
        assert exe is not None
        proc = subprocess.run([exe, *argv], cwd=cwd, capture_output=True, text=True, env=env, check=False)
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    # exit 0: all passed, 1: some failed; anything else is checkov failing, whatever it printed
    last = (stderr.strip().splitlines() or [""])[-1][:200]
    if returncode not in (0, 1):
        return [], f"checkov exited {returncode}" + (f": {last}" if last else "")
    if not stdout.strip():
        return [], f"checkov printed nothing (exit {returncode})"
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        return [], f"checkov printed no JSON (exit {returncode})"
    reports = data if isinstance(data, list) else [data]
    found = [r for r in reports if isinstance(r, dict) and "results" in r]
    if not found and not (isinstance(data, dict) and data.get("passed") == 0 and data.get("failed") == 0):
        return [], f"checkov output has no results (exit {returncode})"
    return found, None


def _mapping(catalogue: dict[str, Control]) -> dict[str, list[Control]]:
    found: dict[str, list[Control]] = {}
    for control in catalogue.values():
        for check_id in control.scanners.get("checkov", []):
            found.setdefault(check_id, []).append(control)
    return found


def _entry(check: dict[str, Any], mapping: dict[str, list[Control]], status: str) -> dict[str, Any]:
    controls = mapping.get(check["check_id"], [])
    return {
        "check_id": check["check_id"],
        "check_name": check.get("check_name"),
        "resource": check.get("resource"),
        "file": check.get("file_path"),
        "lines": check.get("file_line_range"),
        "controls": [c.id for c in controls],
        "requirements": sorted({r for c in controls for r in c.requirements}),
        "status": status,
        "suppress_comment": (check.get("check_result") or {}).get("suppress_comment"),
        "evaluated_keys": list((check.get("check_result") or {}).get("evaluated_keys") or []),
    }


NOT_INSTALLED = "checkov is not installed (pip install 'tapguard[scan]')"
HclReports = tuple[list[dict[str, Any]], str | None]


def hcl_reports(root: Path, use_cache: bool = True) -> HclReports:
    """The raw HCL scan (no waivers applied), so it can run while the plans are being made."""
    if binary() is None:
        return [], NOT_INSTALLED
    # a rescan of the HCL means the plan scans' enrichment changed too: the worker computes it while this scan runs
    args = hcl_args(root)
    return _run(args, root, _cache_file(root, "hcl", args, hcl_digest(root)) if use_cache else None, enrich_after=True)


def start_hcl_scan(root: Path, use_cache: bool = True) -> Future[HclReports]:
    """The HCL scan in a background thread (checkov is a subprocess: the GIL is not held while it runs)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkov-hcl")
    future = pool.submit(hcl_reports, root, use_cache)
    pool.shutdown(wait=False)
    return future


def scan_hcl(root: Path, catalogue: dict[str, Control], waivers: WaiverSet, reports: HclReports | None = None) -> CheckovResult:
    if binary() is None:
        return CheckovResult("hcl", available=False, error=NOT_INSTALLED)
    found, error = reports if reports is not None else hcl_reports(root)
    result = _fold("hcl", found, error, catalogue, waivers, environment="*")
    if result.error:
        result.failed.append(_error_entry(result.scope, result.error))
    return result


HCL_ARGS = [
    "-d",
    ".",
    "--framework",
    "terraform",
    "--skip-path",
    ".venv",
    "--skip-path",
    ".tapguard",
    "--skip-path",
    ".nox",
    "--skip-path",
    "tests/fixtures",
    "--skip-path",
    "tests/terraform",
    "--skip-path",
    "mutants",
]


def hcl_args(root: Path) -> list[str]:
    """HCL_ARGS and a --skip-path for each usage-examples directory (named `examples`, terraform's standard module
    structure) that holds no stack of the project: never deployed, their module is scanned where it lives and where
    the stacks call it (scanning each example again cost a fifth of the scan: 6.2 -> 4.9 s of CPU). A stack whose root
    is under a directory named `examples` is scanned all the same: naming a folder cannot hide a deployed root."""
    from tapguard.planning import project

    stacks = [e.path.resolve() for e in project.environments(root)]
    skips: list[str] = []
    for directory, dirs, _ in os.walk(root):
        here = Path(directory)
        rel = here.relative_to(root)
        dirs[:] = sorted(d for d in dirs if d not in _NOT_SCANNED and str(rel / d) not in _NOT_SCANNED and not (here / d).is_symlink())
        for d in [d for d in dirs if d == "examples"]:
            found = (here / d).resolve()
            if not any(s == found or found in s.parents for s in stacks):
                skips += ["--skip-path", re.escape(f"{(rel / d).as_posix()}/")]
                dirs.remove(d)
    return [*HCL_ARGS, *skips]


def scan_plan(
    env: str,
    plan_json: AdmittedPlan | Path,
    root: Path,
    catalogue: dict[str, Control],
    waivers: WaiverSet,
    hcl_result: CheckovResult | None,
    use_cache: bool = True,
) -> CheckovResult:
    if binary() is None:
        return CheckovResult(f"plan:{env}", available=False, error=NOT_INSTALLED)
    plan = admitted.of(env, plan_json)
    args, key, cache = _plan_scan(plan, root, hcl_result is not None, use_cache)
    with _INFLIGHT_LOCK:
        started = _INFLIGHT.pop(key, None)
    reports, error = started.result() if started is not None else _run(args, root, cache)
    result = _fold(f"plan:{env}", reports, error, catalogue, waivers, environment=env)
    if hcl_result is not None and not result.error:
        unknown = plan.unknowns()
        for f in result.failed:
            if f["status"] != "failed":
                continue
            address = f["resource"] or ""
            passed_in_hcl = (f["check_id"], _config_address(address)) in hcl_result.passed_keys
            keys = [k for k in f.get("evaluated_keys", []) if k]
            unknown_here = bool(keys) and all(_is_unknown(unknown.get(address, {}), k) for k in keys)
            if passed_in_hcl and unknown_here:
                f["status"] = "unverifiable_at_plan"
                f["note"] = f"{', '.join(keys)} unknown until apply in plan JSON; the HCL scan of the same resource passed"
    if result.error:
        result.failed.append(_error_entry(result.scope, result.error))
    return result


def _plan_scan(plan: AdmittedPlan, root: Path, enrich: bool, use_cache: bool) -> tuple[list[str], str, Path | None]:
    """checkov's arguments for one plan, the scan's identity (its content, not its path) and its cache entry."""
    args = ["-f", str(plan.path), "--framework", "terraform_plan"]
    if enrich:  # enrich with this repo's HCL only for this repo's own environments
        args += ["--repo-root-for-plan-enrichment", "."]
    # the plan's content and the HCL it is enriched from (suppression comments) decide the result, not its path
    content = f"{plan.digest}|{hcl_digest(root) if enrich else ''}"
    key = json.dumps([args[2:], content])
    return args, key, _cache_file(root, "plan", args[2:], content) if use_cache else None


_INFLIGHT: dict[str, Future[tuple[list[dict[str, Any]], str | None]]] = {}
_INFLIGHT_LOCK = threading.Lock()
_EARLY: list[ThreadPoolExecutor] = []  # one pool, two scans at a time, made on first use


def start_plan_scan(plan_json: AdmittedPlan | Path, root: Path, enrich: bool = True, use_cache: bool = True) -> None:
    """Start checkov on one plan as soon as it is written (while other environments still plan); scan_plan
    of the same content then takes this result instead of running checkov again."""
    if binary() is None:
        return
    args, key, cache = _plan_scan(admitted.of("", plan_json), root, enrich, use_cache)
    with _INFLIGHT_LOCK:
        if key in _INFLIGHT:
            return
        if not _EARLY:
            _EARLY.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="checkov-plan-early"))
        _INFLIGHT[key] = _EARLY[0].submit(_run, args, root, cache)


def _error_entry(scope: str, error: str) -> dict[str, Any]:
    return {
        "check_id": "CHECKOV_ERROR",
        "check_name": f"checkov {scope} did not complete",
        "resource": scope,
        "file": None,
        "lines": None,
        "controls": [],
        "requirements": [],
        "status": "error",
        "message": error,
        "evaluated_keys": [],
    }


def _is_unknown(after_unknown: Any, key: str) -> bool:
    """checkov's evaluated key ("kms_key_id", "rule/[0]/x", "x/*") is unknown in after_unknown (or under it)."""
    node = after_unknown
    for part in [p for p in key.replace("[", "").replace("]", "").split("/") if p and p != "*"]:
        if node is True:
            return True
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else (node[0] if node else None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return False
    return node is True or (isinstance(node, dict | list) and "true" in json.dumps(node))


def _fold(
    scope: str, reports: list[dict[str, Any]], error: str | None, catalogue: dict[str, Control], waivers: WaiverSet, environment: str
) -> CheckovResult:
    mapping = _mapping(catalogue)
    result = CheckovResult(scope, available=True, error=error)
    for report in reports:
        summary = report.get("summary", {})
        result.version = summary.get("checkov_version", result.version)
        result.passed += int(summary.get("passed", 0))
        for check in report["results"].get("passed_checks") or []:
            result.passed_keys.add((str(check.get("check_id")), _config_address(str(check.get("resource") or ""))))
        for check in report["results"].get("failed_checks", []):
            waiver = waivers.checkov_waiver(check["check_id"], check.get("resource", ""), environment)
            entry = _entry(check, mapping, "waived" if waiver else "failed")
            if waiver:
                entry["waiver"] = waiver.as_dict()
            result.failed.append(entry)
        for check in report["results"].get("skipped_checks", []):
            result.skipped.append(_entry(check, mapping, "skipped_in_code"))
    return result


def _config_address(resource: str) -> str:
    """module.a.aws_x.y["k"] / [0] -> module.a.aws_x.y (HCL scans name resources without keys)."""
    return strip_indexes(resource)
