"""An evidence bundle for drills run on their own (`tapguard drill`): drills.json, drills.html, manifest.

Every writer reads a journal's verdict through controls.assessment (drill_verdict, drill_passed): only a real
boolean `passed: true` is a pass."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tapguard.controls.assessment import drill_passed, tool_versions
from tapguard.evidence.bundle import EvidenceBundle
from tapguard.evidence.html import drills_page
from tapguard.planning.project import git_sha


def write_drill_bundle(journals: list[dict[str, Any]], root: Path, base: Path) -> EvidenceBundle:
    sha = git_sha(root)
    bundle = EvidenceBundle.create(base, f"{sha}-drill")
    bundle.write_json("drills.json", {"format": "tapguard.drills/1", "drills": journals})
    bundle.write_text("drills.html", drills_page(journals, sha))
    verdict = "pass" if journals and all(drill_passed(j) for j in journals) else "fail"
    bundle.seal({"git_sha": sha, "created": dt.datetime.now(dt.UTC).isoformat(), "verdict": verdict, "tools": tool_versions()})
    return bundle
