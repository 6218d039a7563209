"""The pre-commit hook on a one-module change: `tapguard hook modules/redis/main.tf` (both stacks that call it,
every control on their HCL) against `tapguard -V` (the interpreter and the CLI's start), paired rounds, warm.

    python bench/bench_hook.py [--rounds N]

Goal: <= 2 s warm for the hook (median of the rounds).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import paired, run, spread

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    hook = [sys.executable, "-m", "tapguard", "hook", "modules/redis/main.tf"]
    start = [sys.executable, "-m", "tapguard", "-V"]
    warm = run(hook, cwd=ROOT)  # fills the OS cache and compiles the bytecode
    if warm.rc not in (0, 1):
        print(f"hook failed (exit {warm.rc}): {warm.stderr.strip()[-300:]}", file=sys.stderr)
        return 2
    rounds = paired(args.rounds, lambda: run(hook, cwd=ROOT), lambda: run(start, cwd=ROOT))
    hook_runs = [h for h, _ in rounds]
    report = {
        "hook_seconds": spread([r.seconds for r in hook_runs]),
        "hook_cpu_seconds": spread([r.cpu_seconds for r in hook_runs]),
        "hook_peak_mb": spread([r.peak_mb for r in hook_runs]),
        "cli_start_seconds": spread([s.seconds for _, s in rounds]),
        "stacks_checked": warm.stdout.count("-level check of"),
        "goal_seconds": GOAL_SECONDS,
    }
    print(json.dumps(report, indent=2))
    return 0 if report["hook_seconds"]["median"] <= GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
