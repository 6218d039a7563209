"""Benchmark: the evidence bundle of a big plan, before (an earlier commit's code) and after (this tree).

A ~200 MB plan is made by replicating the real eu-west-1 plan as module copies (bench_controls.replicate),
then `tapguard check --plan-json eu-west-1=BIG --no-checkov` runs with each code base in a child process,
the two sides alternately, --rounds times; reported per side as medians with their spread: wall time, CPU
time and peak memory of the whole process tree (bench/measure.py), bundle and controls.json sizes, each also
as a ratio to the plan's size; and the paired after/before ratios. "before" is `git archive <ref> tapguard`
unpacked in a temp dir; the ref must hold other code than this tree (default: the commit before HEAD).

    python bench/bench_bundle.py [--mb 200] [--before-ref HEAD~1] [--rounds 3] [--skip-before]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import measure  # noqa: E402
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
    shutil.rmtree(out, ignore_errors=True)
    # -c with the code base first on sys.path: `-m` would put the cwd (this tree) ahead of it
    boot = f"import sys; sys.path.insert(0, {str(code_root)!r}); from tapguard.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", boot, "check", "--plan-json", f"eu-west-1={plan}", "--no-checkov", "--out", str(out), "-q"]
    result = measure.run(cmd, cwd=ROOT, env=os.environ)
    if result.rc not in (0, 1):
        raise SystemExit(f"check failed ({result.rc}): {result.stderr.strip().splitlines()[-1:]}")
    bundle = next(out.iterdir())
    return {
        "seconds": result.seconds,
        "cpu_seconds": result.cpu_seconds,
        "peak_rss_mb": result.peak_mb,
        "bundle_mb": tree_size(bundle) / 2**20,
        "controls_json_mb": (bundle / "controls.json").stat().st_size / 2**20,
    }


def git(*args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], env=env, capture_output=True, text=True, check=True).stdout.strip()


def code_of(ref: str, into: Path) -> str:
    """`git archive REF tapguard` unpacked into `into`; the tree hash of REF's tapguard/ (to refuse comparing a tree with itself)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "tapguard"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return git("rev-parse", f"{ref}:tapguard")


def this_tree() -> str:
    """The hash tapguard/ of the working tree would have (the index and work tree as they are)."""
    with tempfile.NamedTemporaryFile() as index:
        env = {**os.environ, "GIT_INDEX_FILE": index.name}
        git("read-tree", "HEAD", env=env)
        git("add", "-A", "tapguard", env=env)
        return git("rev-parse", f"{git('write-tree', env=env)}:tapguard")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--before-ref", default="HEAD~1", help="the earlier code to compare with (a commit, tag or branch)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating before/after rounds (medians reported)")
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
        if args.skip_before:
            sides = {"after": [run_check(ROOT, plan, tmp / "after") for _ in range(args.rounds)]}
        else:
            before_root = tmp / "before"
            before_root.mkdir()
            if code_of(args.before_ref, before_root) == this_tree():
                raise SystemExit(f"--before-ref {args.before_ref}: its tapguard/ is this tree's; name an earlier commit")
            report["before_ref"] = args.before_ref
            pairs = measure.paired(
                args.rounds,
                lambda: run_check(before_root, plan, tmp / "before-out"),
                lambda: run_check(ROOT, plan, tmp / "after"),
            )
            sides = {"before": [b for b, _ in pairs], "after": [a for _, a in pairs]}
            report["after / before"] = {
                key: measure.spread([a[key] / b[key] for b, a in pairs]) for key in ("seconds", "cpu_seconds", "peak_rss_mb")
            }
        for side, runs in sides.items():
            report[side] = {key: measure.spread([r[key] for r in runs]) for key in runs[0]}
            report[side]["peak_rss_to_plan"] = round(statistics.median(r["peak_rss_mb"] for r in runs) / plan_mb, 2)
            report[side]["bundle_to_plan"] = round(statistics.median(r["bundle_mb"] for r in runs) / plan_mb, 3)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
