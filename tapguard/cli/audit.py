"""`tapguard audit`, the README's main job: plan every stack, check every control, run lab drills, one evidence bundle."""

from __future__ import annotations

import argparse
from typing import Any

from rich.text import Text

from tapguard.cli import check
from tapguard.cli.common import console
from tapguard.cli.drill import print_verdicts
from tapguard.controls.assessment import drill_passed
from tapguard.drill import interrupts
from tapguard.drill.runner import DrillInterrupted, drill_lock, run_locked
from tapguard.drill.settings import DrillSettings
from tapguard.evidence import signing, text


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="the main job: plan every stack, check every control, run lab drills, one evidence bundle")
    check.add_arguments(p)  # every flag of check, with check's defaults: the audit is a check with drills
    drills = p.add_argument_group("drills")
    drills.add_argument("--no-drill", action="store_true", help="skip the lab drills")
    drills.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list:  # the catalogue, nothing else: no lab, no drill
        return check.run(args)
    check.preflight(args)  # a bad --check, --config-file, --var-file or baseline fails now, not after the drills
    if args.sign_key:
        signing.private_key(args.sign_key)  # a bad key fails now, not after the drills
    journals: list[dict[str, Any]] = []
    if not args.no_drill and drills_interrupted(args, journals):
        return 130
    code = check.run(args, journals)
    drills_ok = all(drill_passed(j) for j in journals)
    return code or (0 if drills_ok else 1)


def drills_interrupted(args: argparse.Namespace, journals: list[dict[str, Any]]) -> bool:
    """The lab drills, appended to `journals`. Ctrl-C or SIGTERM stops everything: the drill in progress restores its
    target, no other drill starts, no check runs; the partial journals go into a drill bundle, and True is returned."""
    # the lab and its drills need the database clients of tapguard[drill]
    from tapguard.drill.targets.lab import LabPostgres, LabRedis
    from tapguard.evidence.drills import write_drill_bundle
    from tapguard.lab.lab import project_lab
    from tapguard.planning import project

    lab = project_lab()
    started = lab.load() is None
    interrupted = False
    try:
        with interrupts.sigterm_as_interrupt():
            with console.status("starting the failover lab"):
                state = lab.up()
            targets = (LabPostgres(lab.postgres(state)), LabRedis(lab.redis(state)))
            with drill_lock(*targets):
                for target in targets:
                    with console.status(f"drill: {target.component} {target.fault.name} under 100,000 writes/min"):
                        try:
                            journals.append(run_locked(target, DrillSettings()))
                        except DrillInterrupted as stopped:
                            journals.append(stopped.journal)
                            interrupted = True
                            break
    finally:
        if started and not args.keep_lab:
            lab.down()
    print_verdicts(journals)
    if interrupted:
        root = project.find_root()
        bundle = write_drill_bundle(journals, root, args.out or root / "evidence")
        console.print(Text.assemble("audit interrupted: the partial drill journal is in ", text.console(str(bundle.path))))
    return interrupted
