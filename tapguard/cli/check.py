"""`tapguard check`: plan (or read plans made elsewhere), assess every PCI DSS control, scan with checkov, write the bundle."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from tapguard.cli import listing, outputs
from tapguard.cli.common import add_aws_flags, console, display, plan_environments, step
from tapguard.controls import assessment, baseline, checkov, engine
from tapguard.drill import schema as drill_schema
from tapguard.evidence import signing
from tapguard.evidence import text as evidence_text
from tapguard.evidence.paths import check_segment
from tapguard.evidence.write import write_bundle
from tapguard.foundation import config, inputs
from tapguard.foundation.digest import sha256
from tapguard.foundation.errors import TapguardError
from tapguard.planning import project
from tapguard.planning.admitted import AdmittedPlan
from tapguard.planning.runner import PlanResult


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="plan, evaluate every PCI DSS control, scan with checkov, write the evidence bundle")
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Every flag of check; `tapguard audit` takes them all too (and adds its own)."""
    p.add_argument("environments", nargs="*", metavar="ENV", help="environment names or root module paths (default: all)")
    p.add_argument("--plan-json", action="append", default=[], metavar="ENV=PATH", help="use a plan JSON produced elsewhere (repeatable)")
    p.add_argument("--waivers", type=Path, help="waiver file (default: `waivers` in the config, else waivers.yaml at the project root)")
    p.add_argument("--out", type=Path, help="directory that receives the bundle (default: `evidence` in the config, else evidence/)")
    p.add_argument("--no-checkov", action="store_true", help="skip the checkov baseline")
    p.add_argument("--drills", type=Path, help="drills.json of a drill run to include in the bundle")
    p.add_argument(
        "--sign-key", metavar="FILE|env:NAME", help="sign the bundle's manifest with this Ed25519 private key (a file, or env:NAME)"
    )
    p.add_argument(
        "--config-file", type=Path, metavar="PATH", help="read this tapguard.toml (or pyproject.toml) instead of the project root's"
    )
    p.add_argument(
        "--var-file", action="append", default=[], type=Path, metavar="FILE", help="passed to terraform plan as -var-file (repeatable)"
    )
    select = p.add_argument_group("which controls")
    select.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ID|CKV_ID|SEVERITY",
        help="judge only these controls: ids, checkov ids (the control listing them), or a severity and higher; comma-separated",
    )
    select.add_argument(
        "--skip-check",
        action="append",
        default=[],
        metavar="ID|CKV_ID|SEVERITY",
        help="skip these controls (reported as skipped, never as a pass): ids, checkov ids, or a severity and lower",
    )
    select.add_argument("--list", action="store_true", help="list the controls, PCI DSS requirements, severities and classes, then exit")
    select.add_argument("--json", action="store_true", help="with --list: as JSON (format tapguard.list/1)")
    debt = p.add_argument_group("baseline (existing failures that do not gate)")
    once = debt.add_mutually_exclusive_group()
    once.add_argument(
        "--create-baseline", type=Path, metavar="FILE", help="write every current failure to FILE (exit 0 unless others fail)"
    )
    once.add_argument(
        "--baseline", type=Path, metavar="FILE", help="only failures not in FILE change the exit code; fixed and stale entries are reported"
    )
    add_aws_flags(p)
    outputs.add_output_flags(p)


def read_drills(path: Path) -> list[dict[str, Any]]:
    """A drills.json written by `tapguard drill` (format tapguard.drills/1): one line for anything else."""
    import json

    label = f"--drills {path}"
    text = inputs.read_text(path, label, 64 * 1024 * 1024)
    try:
        data = json.loads(text, parse_constant=_refuse)
    except ValueError as exc:
        raise TapguardError(f"{label}: not JSON ({str(exc).splitlines()[0][:80]})") from None
    except RecursionError:
        raise TapguardError(f"{label}: nested too deeply; not a drills.json") from None
    if not isinstance(data, dict) or not isinstance(data.get("drills"), list):
        raise TapguardError(f"{label}: expected an object with a 'drills' list (the drills.json of a drill bundle)")
    if not all(isinstance(d, dict) for d in data["drills"]):
        raise TapguardError(f"{label}: every entry of 'drills' must be an object (a drill journal)")
    return drill_schema.validate(data, label)


def _refuse(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def _given_path(value: Path | None, flag: str) -> Path | None:
    """A path a flag names, as text first: a NUL or an empty name is one line, not a traceback from the OS."""
    if value is None:
        return None
    if "\x00" in str(value) or not str(value).strip():
        raise TapguardError(f"{flag}: not a usable path")
    return value


def var_files(values: list[Path]) -> tuple[Path, ...]:
    """--var-file: existing regular files (terraform reads them), absolute, each once."""
    out: list[Path] = []
    for value in values:
        _given_path(value, "--var-file")
        inputs.regular_file(value, f"--var-file {value}", 16 * 1024 * 1024, "a .tfvars file")
        out.append(value.resolve())
    return tuple(dict.fromkeys(out))


def preflight(args: argparse.Namespace) -> tuple[dict[str, str], baseline.BaselineFile | None, Path | None]:
    """The selection, config file, var files and baseline flags, checked before anything runs (audit calls it before its
    drills): (skipped controls, the baseline given, the baseline file to create)."""
    if args.json and not args.list:
        raise TapguardError("--json goes with --list (the report formats are -o json, sarif, ...)")
    config.use_file(_given_path(args.config_file, "--config-file"))
    skipped = assessment.skipped_controls(args.check, args.skip_check, engine.catalogue())
    args.var_files = var_files(args.var_file)
    baseline_path = _given_path(args.baseline, "--baseline")
    create_path = _given_path(args.create_baseline, "--create-baseline")
    known = baseline.load(baseline_path) if baseline_path else None
    if create_path is not None:
        baseline.writable(create_path)
    return skipped, known, create_path


def run(args: argparse.Namespace, drills: list[dict[str, Any]] | None = None) -> int:
    """The check; `drills` are journals of drills this process ran (tapguard audit)."""
    if args.list:
        return listing.run(args.json)
    skipped, known, create_path = preflight(args)
    root = project.find_root()
    cfg = config.load(root)
    given = assessment.parse_plan_json_args(args.plan_json)
    for name in given:
        check_segment(name)  # it becomes a file name in the bundle: checked before anything is planned or written
    sign_key = signing.private_key(args.sign_key) if args.sign_key else None
    formats = outputs.selected(args, cfg)
    output_dir = getattr(args, "output_file_path", None) or cfg.output_file_path
    if output_dir is not None:
        inputs.output_directory(output_dir, "--output-file-path")
    out_dir = inputs.output_directory(args.out or cfg.evidence_dir, "--out")
    waiver_file = args.waivers or cfg.waiver_file
    if args.waivers or cfg.waivers:
        inputs.regular_file(waiver_file, f"--waivers {waiver_file}" if args.waivers else f"waivers {waiver_file} (config)")
    drills_file = args.drills or cfg.drills
    loaded_drills = read_drills(drills_file) if drills_file else None
    # fail fast on bad gate flags, before minutes of planning
    catalogue = set(engine.catalogue()) | set(outputs.PSEUDO_CONTROLS)
    outputs.Selector.parse("--soft-fail-on", getattr(args, "soft_fail_on", []), catalogue)
    outputs.Selector.parse("--hard-fail-on", getattr(args, "hard_fail_on", []), catalogue)

    # one object per plan from here to the bundle (planning/admitted.py): admitted, hashed and parsed once; a bad
    # --plan-json fails here, before minutes of planning and before any scan starts
    plans = assessment.plans_from_args(given, [])
    names = list(args.environments) or ([] if given else [e.name for e in project.environments(root)])
    wanted = [n for n in names if n not in given]
    to_plan = project.select(root, wanted) if wanted else []
    use_checkov = not args.no_checkov
    # the HCL scan needs no plan: it runs while terraform plans (cached by content like the plans)
    own = {e.name for e in project.environments(root)} | {e.name for e in to_plan}
    scan_hcl = use_checkov and checkov.binary() is not None and any(n in own for n in [*given, *(e.name for e in to_plan)])
    hcl_scan = checkov.start_hcl_scan(root, use_cache=not args.no_cache) if scan_hcl else None

    def scan_early(result: PlanResult) -> None:  # checkov on each plan while the others still plan
        plans[result.environment] = plan = AdmittedPlan.planned(result)
        checkov.start_plan_scan(plan, root, enrich=True, use_cache=not args.no_cache)

    planned, secrets = plan_environments(args, to_plan, scan_early if hcl_scan is not None else None)
    plans = {**{r.environment: plans.get(r.environment) or AdmittedPlan.planned(r) for r in planned}, **plans}
    envs = project.environments(root) + to_plan
    with step("evaluating controls" + ("" if args.no_checkov else " and running checkov")):
        result = assessment.assess(
            root, envs, plans, waiver_file, use_checkov=use_checkov, hcl_scan=hcl_scan, checkov_cache=not args.no_cache, skipped=skipped
        )
    if loaded_drills is not None:
        result.drills = loaded_drills
    if drills:
        result.drills = drills
    bundle = write_bundle(result, root, out_dir, secrets, sign_key=sign_key)
    notes: list[str] = []
    if create_path is not None:
        made, count = baseline.write(create_path, result)
        notes.append(f"baseline: wrote {count} failure(s) to {display(made, root)}; with --baseline only new failures gate")
        known = baseline.load(made)
    accepted = frozenset(known.fingerprints()) if known is not None else frozenset()
    code, note = outputs.gate(args, result, accepted)
    if known is not None and create_path is None:
        comparison = baseline.compare(known, result)
        notes += comparison.lines()
        notes += [f"new failure: {baseline.describe(fp)}" for fp in comparison.new]
    verdict = "FAIL" if result.failed else "PASS"
    footer: list[str | Text] = [  # the path is data (`--out` may hold `[/]` or `:emoji:`): a Text, never markup
        Text.assemble(
            "evidence: ",
            evidence_text.console(display(bundle.path, root)),
            f" (manifest sha256 {sha256(bundle.path / 'manifest.json')[:16]}…)",
        ),
        f"[bold {'red' if verdict == 'FAIL' else 'green'}]verdict: {verdict}[/]",
    ]
    for said in [*notes, note] if note else notes:  # data (addresses from the plan): Text, never markup
        footer.append(evidence_text.console(said, style="yellow"))
    quiet = bool(getattr(args, "quiet", False))

    def cli_text() -> str:
        buffer = io.StringIO()
        outputs.cli_report(result, quiet, footer, Console(file=buffer, width=100_000, no_color=True, soft_wrap=False), accepted)
        return buffer.getvalue()

    if "cli" in formats and output_dir is None:
        outputs.cli_report(result, quiet, footer, outputs.report_console(), accepted)
        formats.remove("cli")
    else:
        for line in footer:  # stdout carries only the machine formats; the verdict goes to stderr
            console.print(line, soft_wrap=True, emoji=False)
    written = outputs.emit(formats, output_dir, result, root, cli_text)
    for path in written:
        console.print(Text.assemble("wrote ", evidence_text.console(display(path, root))), soft_wrap=True)
    return code
