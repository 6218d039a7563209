"""`tapguard audit`, the README's main job: plan every stack, check every control, run lab drills, one evidence bundle."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tapguard.cli import check
from tapguard.cli.common import console
from tapguard.cli.drill import print_verdicts
from tapguard.drill.runner import drill_lock, run_drill
from tapguard.drill.settings import DrillSettings
from tapguard.evidence import signing


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="the main job: plan every stack, check every control, run lab drills, one evidence bundle")
    p.add_argument("--out", type=Path, help="directory that receives the bundle (default: evidence/)")
    p.add_argument("--waivers", type=Path, help="waiver file (default: waivers.yaml at the project root, if present)")
    p.add_argument("--no-drill", action="store_true", help="skip the lab drills")
    p.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    check.add_sign_key_flag(p)
    p.set_defaults(func=run, local=True, aws=False, no_cache=False, no_checkov=False, plan_json=[], environments=[], drills=None)
    # check's output and gate flags keep their defaults: the audit writes every format into its bundle anyway
    p.set_defaults(output=None, output_file_path=None, soft_fail=False, soft_fail_on=[], hard_fail_on=[], quiet=False)


def run(args: argparse.Namespace) -> int:
    if args.sign_key:
        signing.private_key(args.sign_key)  # a bad key fails now, not after the drills
    journals: list[dict[str, Any]] = []
    if not args.no_drill:
        # the lab and its drills need the database clients of tapguard[drill]
        from tapguard.drill.targets.lab import LabPostgres, LabRedis
        from tapguard.lab.lab import project_lab

        lab = project_lab()
        started = lab.load() is None
        try:
            with console.status("starting the failover lab"):
                state = lab.up()
            with drill_lock():
                for target in (LabPostgres(lab.postgres(state)), LabRedis(lab.redis(state))):
                    with console.status(f"drill: {target.component} kill -9 under 100,000 writes/min"):
                        journals.append(run_drill(target, DrillSettings(fault="kill")))
        finally:
            if started and not args.keep_lab:
                lab.down()
        print_verdicts(journals)
    code = check.run(args, journals)
    drills_ok = all(j.get("verdict", {}).get("passed") for j in journals)
    return code or (0 if drills_ok else 1)
