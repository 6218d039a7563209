"""Benchmark: the CLI's central loop, `tapguard check` of both stacks, against a bare `tapguard plan` of both.

Measured in one run, in a throw-away copy of the project (its own .tapguard/ caches):
  1. warm-up plan (fills the provider plugin cache, so no step below pays for it), then caches cleared;
  then, --rounds times (a shared 2-core VM swings a plan of both stacks by 20 %; each round pairs its own
  plan and check, taken back to back, and the ratios are those rounds' medians):
  2. cold `tapguard plan`   (no plan cache);
  3. cold `tapguard check`  (no plan cache, no checkov cache: HCL scan overlapped with planning);
  4. warm `tapguard check`  (nothing changed: plans and checkov results from the content-keyed caches).
Reported: cold check / cold plan (target <= 1.2) and the warm check's seconds (target <= 2), per round and median.

    nox -s bench -- loop        # or: python bench/bench_check_loop.py [--envs us-west-2 eu-west-1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import measure  # noqa: E402

COPIED = ("environments", "modules")


def tapguard(copy: Path, *args: str) -> measure.Run:
    # PYTHONDONTWRITEBYTECODE (set on some CI images) would make every run compile tapguard anew (0.2 s): an
    # installed tapguard has its bytecode compiled by pip, so the benchmark lets Python keep it
    env = {k: v for k, v in os.environ.items() if k not in ("TAPGUARD_ROOT", "PYTHONDONTWRITEBYTECODE")}
    result = measure.run([sys.executable, "-m", "tapguard", *args], cwd=copy, env=env)
    if result.rc not in (0, 1):  # 1 = a control failed: still a complete run
        sys.exit(f"tapguard {' '.join(args)} exited {result.rc}: {result.stderr.strip()[-500:]}")
    return result


def clear(copy: Path, *caches: str) -> None:
    for name in caches:
        shutil.rmtree(copy / ".tapguard" / name, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", nargs="+", default=["us-west-2", "eu-west-1"])
    parser.add_argument("--rounds", type=int, default=3, help="paired cold plan / cold check rounds (median reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tapguard-bench-") as tmp:
        copy = Path(tmp)
        for name in COPIED:
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl.bak"))
        out = str(copy / "evidence")
        tapguard(copy, "plan", *args.envs, "--local")
        rounds = []
        for _ in range(args.rounds):
            clear(copy, "plans", "checkov")
            plan_cold = tapguard(copy, "plan", *args.envs, "--local")
            clear(copy, "plans", "checkov")
            check_cold = tapguard(copy, "check", *args.envs, "--local", "--out", out, "-q")
            check_warm = tapguard(copy, "check", *args.envs, "--local", "--out", out, "-q")
            plan_warm = tapguard(copy, "plan", *args.envs, "--local")
            rounds.append(
                {
                    "plan_cold": round(plan_cold.seconds, 2),
                    "plan_warm": round(plan_warm.seconds, 2),
                    "check_cold": round(check_cold.seconds, 2),
                    "check_warm": round(check_warm.seconds, 2),
                    "check_cold / plan_cold": round(check_cold.seconds / plan_cold.seconds, 3),
                    # the whole tree: terraform, its provider, moto and checkov's worker and scan children
                    "plan_cold_peak_mb": round(plan_cold.peak_mb),
                    "check_cold_peak_mb": round(check_cold.peak_mb),
                    "check_cold_cpu_s": round(check_cold.cpu_seconds, 1),
                }
            )
    result = {
        "environments": args.envs,
        "rounds": rounds,
        "median": {key: statistics.median(r[key] for r in rounds) for key in rounds[0]},
        "spread": {key: measure.spread([r[key] for r in rounds]) for key in rounds[0]},
        "targets": {"check_cold / plan_cold": "<= 1.2", "check_warm": "<= 2 s"},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
