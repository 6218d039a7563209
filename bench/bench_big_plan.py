"""Benchmark: `tapguard check --plan-json` on a plan of N tiny resources (default 1,000,000, ~100 MB of JSON).

Measures wall time and peak resident memory of the whole process tree (tapguard and anything it starts), sampled
from /proc. The bound (issue 19): a 1,000,000-resource plan either evaluates within 3 min and 3 GB or is refused up
front, naming the limit (tapguard.planning.intake.MAX_RESOURCES). --limit N raises that limit in the measured child
to see what evaluating such a plan would cost.

    python bench/bench_big_plan.py [--resources 1000000] [--limit N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import measure  # noqa: E402

BUDGET_SECONDS = 180.0
BUDGET_BYTES = 3 * 1024**3

# the measured child: tapguard's CLI in a fresh interpreter, the resource limit optionally raised
CHILD = """
import sys
from tapguard.planning import intake
if sys.argv[1] != "-":
    intake.MAX_RESOURCES = int(sys.argv[1])
from tapguard.cli import main
sys.exit(main(sys.argv[2:]))
"""


def write_plan(path: Path, resources: int) -> int:
    """A plan of `resources` null_resource instances (terraform's own tiny resource), streamed to disk."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"format_version":"1.2","terraform_version":"1.11.4","planned_values":{},"configuration":{},"resource_changes":[')
        for i in range(resources):
            sep = "," if i else ""
            out.write(
                f'{sep}{{"address":"null_resource.r[{i}]","type":"null_resource","index":{i},"change":{{"actions":["create"],"after":{{}}}}}}'
            )
        out.write("]}")
    return path.stat().st_size


def measured(cmd: list[str], cwd: Path) -> dict[str, object]:
    result = measure.run(cmd, cwd)
    return {
        "seconds": round(result.seconds, 1),
        "cpu_seconds": round(result.cpu_seconds, 1),
        "peak_rss_mb": round(result.peak_mb),
        "rc": result.rc,
        "stderr_tail": result.stderr[-600:],
        "stdout_bytes": len(result.stdout),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=None, help="raise intake.MAX_RESOURCES to this in the measured child")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="tapguard-bench-big-"))
    plan = scratch / "big.plan.json"
    size = write_plan(plan, args.resources)
    cmd = [sys.executable, "-c", CHILD, str(args.limit) if args.limit else "-"]
    cmd += ["check", "--plan-json", f"big={plan}", "--no-checkov", "--out", str(scratch / "ev"), "-o", "json"]
    cmd += ["--output-file-path", str(scratch / "out")]
    result = measured(cmd, ROOT)
    refused = result["rc"] == 2 and "tapguard evaluates" in str(result["stderr_tail"])
    within = float(str(result["seconds"])) <= BUDGET_SECONDS and int(str(result["peak_rss_mb"])) * 1024**2 <= BUDGET_BYTES
    report = {"resources": args.resources, "plan_mb": round(size / 1024**2), "limit": args.limit or "default", **result}
    report["verdict"] = "refused up front, limit named" if refused else ("within 3 min / 3 GB" if within else "OVER BUDGET")
    print(json.dumps(report, indent=1))
    if not args.keep:
        subprocess.run(["rm", "-rf", str(scratch)], check=False)
    return 0 if refused or within else 1


if __name__ == "__main__":
    sys.exit(main())
