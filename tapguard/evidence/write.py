"""Write a whole bundle for a run: every format, then the manifest that seals it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tapguard.controls.assessment import Assessment
from tapguard.evidence import formats, signing
from tapguard.evidence.bundle import EvidenceBundle
from tapguard.evidence.paths import check_segment


def write_bundle(
    run: Assessment, root: Path, base: Path, secrets: Sequence[str] = (), sign_key: Ed25519PrivateKey | None = None
) -> EvidenceBundle:
    """Every format for one assessment, then the manifest (signed with `sign_key` if given); `secrets` are values no file may contain."""
    for env in run.environments:
        check_segment(env.name)  # names become file names: nothing is written if one is unsafe
    bundle = EvidenceBundle.create(base, run.git_sha, run.started, secrets=tuple(s for s in secrets if len(s) >= 8))
    for fmt in formats.BUNDLED:  # the same bytes `-o NAME` prints
        bundle.write_text(fmt.file_name, fmt.render(run, root))
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
