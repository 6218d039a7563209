"""Benchmark: the evidence bundle of a big plan, before (main's code) and after (this tree), measured in one run.

A ~200 MB plan is made by replicating the real eu-west-1 plan as module copies (bench_controls.replicate),
then `tapguard check --plan-json eu-west-1=BIG --no-checkov` runs once with each code base in a child
process; reported: wall time, peak RSS (getrusage of the child), bundle and controls.json sizes, each
also as a ratio to the plan's size. "before" is `git archive <ref> tapguard` unpacked in a temp dir.

    python bench/bench_bundle.py [--mb 200] [--before-ref main] [--skip-before]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_controls import replicate  # noqa: E402

from tapguard.planning import localaws, project, toolchain  # noqa: E402
from tapguard.planning.runner import PlanRunner  # noqa: E402


def real_plan() -> dict[str, Any]:
    env = project.select(ROOT, ["eu-west-1"])[0]
    state = project.state_dir(ROOT)
    tools = toolchain.discover(state)
    runner = PlanRunner(tools, state, {}, "local")
    if not runner.cached(env):
        with localaws.running([env]) as endpoint:
            runner.aws_env, runner.secrets = endpoint.env(), list(endpoint.secret_strings())
            return dict(json.loads(runner.plan(env).json_path.read_text()))
    return dict(json.loads(runner.plan(env).json_path.read_text()))


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_check(code_root: Path, plan: Path, out: Path) -> dict[str, Any]:
    env = dict(os.environ)
    # -c with the code base first on sys.path: `-m` would put the cwd (this tree) ahead of it
    boot = f"import sys; sys.path.insert(0, {str(code_root)!r}); from tapguard.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", boot, "check", "--plan-json", f"eu-west-1={plan}", "--no-checkov", "--out", str(out)]
    # GNU time reports this child's own peak; getrusage(RUSAGE_CHILDREN) is the max over every child so far
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    peak_file = out.parent / f"{out.name}.maxrss"
    if gnu_time:
        cmd = [gnu_time, "-f", "%M", "-o", str(peak_file), *cmd]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_kb = int(peak_file.read_text().split()[-1]) if gnu_time else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    bundle = next(out.iterdir())
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024),
        "bundle_mb": round(tree_size(bundle) / 2**20, 1),
        "controls_json_mb": round((bundle / "controls.json").stat().st_size / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--before-ref", default="main")
    parser.add_argument("--skip-before", action="store_true")
    args = parser.parse_args()
    real = real_plan()
    per_copy = len(json.dumps(real)) / 2**20
    copies = max(1, math.ceil(args.mb / per_copy))
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        plan = tmp / "big.plan.json"
        plan.write_text(json.dumps(replicate(real, copies)))
        plan_mb = plan.stat().st_size / 2**20
        report["plan"] = {"mb": round(plan_mb, 1), "resources": len(real["resource_changes"]) * copies, "copies": copies}
        report["after"] = run_check(ROOT, plan, tmp / "after")
        if not args.skip_before:
            before_root = tmp / "before"
            before_root.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before_ref, "tapguard"], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(before_root)], input=archive.stdout, check=True)
            report["before"] = run_check(before_root, plan, tmp / "before-out")
    for side in ("before", "after"):
        if side in report:
            r = report[side]
            r["bundle_to_plan"] = round(r["bundle_mb"] / plan_mb, 3)
            r["controls_json_to_plan"] = round(r["controls_json_mb"] / plan_mb, 3)
            r["peak_rss_to_plan"] = round(r["peak_rss_mb"] / plan_mb, 2)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
