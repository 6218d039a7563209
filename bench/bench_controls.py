"""Benchmark: tapguard's control evaluation against checkov on the same synthetic plan, measured in one run.

The synthetic plan replicates the real eu-west-1 plan as N module copies (module.copy_<i>),
configuration included, so every reference still resolves: >= 5,000 resources. Reported as
ratios; absolute seconds depend on the machine. Also: evaluation of one real plan as a
fraction of planning it (cold, no cache).

    nox -s bench            # or: python bench/bench_controls.py [--resources 5000] [--skip-plan]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import measure  # noqa: E402

EVALUATE = Path(__file__).with_name("evaluate_plan.py")  # the measured side: tapguard alone, none of this harness

from tapguard import controls  # noqa: E402
from tapguard.planning import model  # noqa: E402


def _moved(module: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A planned_values module with every address under `prefix`."""
    out = copy.deepcopy(module)
    out["address"] = f"{prefix}.{module['address']}" if module.get("address") else prefix
    for res in out.get("resources", []):
        res["address"] = f"{prefix}.{res['address']}"
    out["child_modules"] = [_moved(child, prefix) for child in module.get("child_modules", [])]
    return out


def replicate(plan: dict[str, Any], copies: int) -> dict[str, Any]:
    out = copy.deepcopy(plan)
    root_config = plan["configuration"]["root_module"]
    out["configuration"]["root_module"] = {"module_calls": {}}
    out["resource_changes"] = []
    out["planned_values"] = {
        "root_module": {"child_modules": [_moved(plan["planned_values"]["root_module"], f"module.copy_{i}") for i in range(copies)]}
    }
    for i in range(copies):
        name = f"copy_{i}"
        out["configuration"]["root_module"]["module_calls"][name] = {"source": "./copy", "module": copy.deepcopy(root_config)}
        for change in plan["resource_changes"]:
            moved = copy.deepcopy(change)
            moved["address"] = f"module.{name}.{change['address']}"
            moved["module_address"] = f"module.{name}" + (f".{change['module_address']}" if change.get("module_address") else "")
            out["resource_changes"].append(moved)
    out["prior_state"] = {}
    return out


# arguments each class fixture module takes, as HCL
MODULE_ARGS = {
    "data_store": {"kms_arn": "aws_kms_key.good_data.arn"},
    "data_in_transit": {
        "kms_arn": "aws_kms_key.good_data.arn",
        "vpc_id": "aws_vpc.good_fixture.id",
        "subnet_ids": "[for s in aws_subnet.good_private : s.id]",
    },
    "exposure": {
        "kms_arn": "aws_kms_key.good_data.arn",
        "vpc_id": "aws_vpc.good_fixture.id",
        "subnet_ids": "[for s in aws_subnet.good_private : s.id]",
    },
    "identity": {"kms_arn": "aws_kms_key.good_data.arn"},
    "keys": {},
    "logging_sink": {"kms_arn": "aws_kms_key.good_data.arn", "vpc_id": "aws_vpc.good_fixture.id"},
}


def many_types_root(directory: Path, copies: int) -> Path:
    """HCL generated here: `copies` instances of each class fixture module (tests/fixtures/classes/*), so the plan
    holds ~45 resource types of every class, not copies of one stack."""
    fixtures = ROOT / "tests" / "fixtures" / "classes"
    directory.mkdir(parents=True, exist_ok=True)
    blocks = [(fixtures / "main.tf").read_text().split('module "data_store"')[0]]
    for i in range(copies):
        for module, extra in MODULE_ARGS.items():
            source = os.path.relpath(fixtures / module, directory)  # terraform takes local sources as ./ or ../ paths
            args = {"source": json.dumps(source), "suffix": json.dumps(f"b{i}"), **extra}
            body = "\n".join(f"  {k} = {v}" for k, v in args.items())
            blocks.append(f'module "{module}_{i}" {{\n{body}\n}}\n')
    (directory / "main.tf").write_text("\n".join(blocks))
    return directory


def timed(fn: Any, repeat: int = 1) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--skip-plan", action="store_true", help="do not measure a cold terraform plan")
    parser.add_argument("--type-copies", type=int, default=3, help="copies of each class module in the generated many-types plan")
    parser.add_argument("--rounds", type=int, default=3, help="paired tapguard/checkov rounds per plan (medians reported)")
    args = parser.parse_args()

    from tapguard.controls.checkov import binary as checkov_binary
    from tapguard.planning import localaws, project, toolchain
    from tapguard.planning.runner import PlanRunner

    root = ROOT
    state = project.state_dir(root)
    tools = toolchain.discover(state)
    env = project.select(root, ["eu-west-1"])[0]
    with localaws.running([env]) as endpoint, tempfile.TemporaryDirectory() as tmp:
        runner = PlanRunner(tools, Path(tmp), endpoint.env(), "local", use_cache=False)
        plan_seconds, result = timed(lambda: runner.plan(env))
        real = json.loads(result.json_path.read_text())
        if args.skip_plan:
            plan_seconds = float("nan")
        real_eval, findings = timed(lambda: controls.evaluate("eu-west-1", model.from_dict(real), hcl_dirs=[env.path]), repeat=5)

        copies = math.ceil(args.resources / len(real["resource_changes"]))
        synthetic = replicate(real, copies)
        path = Path(tmp) / "synthetic.plan.json"
        path.write_text(json.dumps(synthetic))
        resources = len(synthetic["resource_changes"])

        def ours() -> list[controls.Finding]:
            return controls.evaluate("eu-west-1", model.load(path), hcl_dirs=[env.path])

        ours_seconds, synthetic_findings = timed(ours, repeat=3)
        exe = checkov_binary()
        if exe is None:
            print("checkov is not installed: pip install 'tapguard[scan]'", file=sys.stderr)
            return 2
        # a real plan of many resource types, planned by terraform from HCL generated here, grown to the same size
        generated = many_types_root(Path(tmp) / "many-types", args.type_copies)
        typed = runner.plan(project.load_environment(generated, "many-types"))
        typed_real = json.loads(typed.json_path.read_text())
        typed_plan = replicate(typed_real, math.ceil(args.resources / len(typed_real["resource_changes"])))
        typed_path = Path(tmp) / "many-types.plan.json"
        typed_path.write_text(json.dumps(typed_plan))
        mixed: dict[str, Any] = {}
        checkov_cmd = [exe, "--framework", "terraform_plan", "-o", "json", "--quiet", "--compact", "--skip-download", "-f"]
        for name, plan_path in (("stack_copies", path), ("many_types", typed_path)):
            pairs = measure.paired(
                args.rounds,
                # the measured side imports tapguard and nothing of this harness (bench/evaluate_plan.py)
                lambda plan_path=plan_path: measure.run([sys.executable, str(EVALUATE), str(plan_path)]),
                lambda plan_path=plan_path: measure.run([*checkov_cmd, str(plan_path)]),
            )
            failed = [r for ours_run, theirs in pairs for r in (ours_run,) if r.rc != 0] + [t for _, t in pairs if t.rc not in (0, 1)]
            if failed:
                print(f"{name}: a run failed: {failed[0].stderr[-300:]}", file=sys.stderr)
                return 2
            data = json.loads(plan_path.read_text())
            mixed[name] = {
                "resources": len(data["resource_changes"]),
                "types": len({rc["type"] for rc in data["resource_changes"]}),
                "rounds": args.rounds,
                "tapguard_cpu_s": measure.spread([o.cpu_seconds for o, _ in pairs]),
                "checkov_cpu_s": measure.spread([t.cpu_seconds for _, t in pairs]),
                "tapguard_peak_mb": measure.spread([o.peak_mb for o, _ in pairs]),
                "checkov_peak_mb": measure.spread([t.peak_mb for _, t in pairs]),
                # paired ratios: each round's checkov over the same round's tapguard
                "cpu_ratio": measure.spread([t.cpu_seconds / o.cpu_seconds for o, t in pairs]),
                "wall_ratio": measure.spread([t.seconds / o.seconds for o, t in pairs]),
                "memory_ratio": measure.spread([t.peak_mb / o.peak_mb for o, t in pairs]),
            }
        checkov_seconds, proc = timed(
            lambda: subprocess.run(
                [exe, "-f", str(path), "--framework", "terraform_plan", "-o", "json", "--quiet", "--compact", "--skip-download"],
                capture_output=True,
                text=True,
                check=False,
            )
        )
        checkov_report = json.loads(proc.stdout) if proc.stdout.strip().startswith(("{", "[")) else {}
        checkov_summary = (checkov_report[0] if isinstance(checkov_report, list) else checkov_report).get("summary", {})

    report = {
        "synthetic_resources": resources,
        "tapguard_eval_s": round(ours_seconds, 3),
        "tapguard_findings": len(synthetic_findings),
        "checkov_s": round(checkov_seconds, 3),
        "checkov_checks": {k: checkov_summary.get(k) for k in ("passed", "failed")},
        "ratio_checkov_over_tapguard": round(checkov_seconds / ours_seconds, 1),
        "real_plan_resources": len(real["resource_changes"]),
        "real_plan_cold_s": round(plan_seconds, 2),
        "real_eval_s": round(real_eval, 3),
        "eval_fraction_of_planning": None if math.isnan(plan_seconds) else round(real_eval / plan_seconds, 4),
        "real_findings": len(findings),
        "process_runs": mixed,
    }
    print(json.dumps(report, indent=2))
    print(
        f"\n{resources:,} resources: tapguard {ours_seconds:.2f} s vs checkov {checkov_seconds:.2f} s "
        f"-> checkov takes {report['ratio_checkov_over_tapguard']}x as long; evaluating the real eu-west-1 plan "
        f"({report['real_plan_resources']} resources) is {real_eval:.2f} s, "
        f"{(report['eval_fraction_of_planning'] or 0) * 100:.1f} % of planning it cold ({plan_seconds:.1f} s)"
    )
    for name, m in mixed.items():
        cpu, memory = m["cpu_ratio"], m["memory_ratio"]
        print(
            f"{name}: {m['resources']:,} resources of {m['types']} types, {m['rounds']} paired rounds: checkov takes "
            f"{cpu['median']}x tapguard's CPU time (min {cpu['min']}, max {cpu['max']}; target >= 50) and "
            f"{memory['median']}x its peak memory, children included (min {memory['min']}, max {memory['max']}; target >= 8)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
