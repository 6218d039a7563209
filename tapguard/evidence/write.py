"""Write a whole bundle for a run: every format, then the manifest that seals it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tapguard.controls.assessment import Assessment
from tapguard.evidence import controls_json, html, junit, markdown, sarif, signing
from tapguard.evidence.bundle import EvidenceBundle
from tapguard.evidence.paths import check_segment

COMPACT_ABOVE = 20_000  # findings: past this, controls.json is written without indentation (it is read by programs then)


def write_bundle(
    run: Assessment, root: Path, base: Path, secrets: Sequence[str] = (), sign_key: Ed25519PrivateKey | None = None
) -> EvidenceBundle:
    """Every format for one assessment, then the manifest (signed with `sign_key` if given); `secrets` are values no file may contain."""
    for env in run.environments:
        check_segment(env.name)  # names become file names: nothing is written if one is unsafe
    bundle = EvidenceBundle.create(base, run.git_sha, run.started, secrets=tuple(s for s in secrets if len(s) >= 8))
    findings = sum(len(e.findings) for e in run.environments)
    bundle.write_json("controls.json", controls_json.render(run), compact=findings > COMPACT_ABOVE)
    bundle.write_text("report.md", markdown.render(run, run.drills))
    bundle.write_text("report.html", html.render(run, run.drills))
    bundle.write_text("junit.xml", junit.render(run, root))
    bundle.write_json("results.sarif", sarif.render(run, root))
    bundle.write_json("checkov.json", {"format": "tapguard.checkov/1", "scans": [s.as_dict() for s in run.checkov]})
    if run.drills:
        bundle.write_json("drills.json", {"format": "tapguard.drills/1", "drills": run.drills})
    for env in run.environments:
        bundle.copy_in_gzip(f"plans/{env.name}.plan.json", env.plan_path)  # gzip: a plan is mostly repeated keys
    bundle.seal(manifest_meta(run))
    if sign_key is not None:
        signing.sign(bundle.path, sign_key)
    return bundle


def manifest_meta(run: Assessment) -> dict[str, Any]:
    return {
        "git_sha": run.git_sha,
        "created": run.started.isoformat(),
        "verdict": "fail" if run.failed else "pass",
        "tools": run.tools,
        "plans": {e.name: {"sha256": e.plan_sha256, "terraform_version": e.terraform_version} for e in run.environments},
    }


def load_drills(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    return list(data.get("drills", []))
