"""The evidence bundle: every file, verifiable, free of secrets, and located where its consumers look."""

from __future__ import annotations

import gzip
import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tapguard import controls
from tapguard.controls import assessment
from tapguard.evidence.bundle import EvidenceBundle
from tapguard.evidence.markdown import LIMIT
from tapguard.evidence.verify import verify
from tapguard.evidence.write import write_bundle
from tapguard.foundation.errors import TapguardError
from tapguard.planning import project
from tests.conftest import set_after

FILES = {
    "controls.json",
    "report.md",
    "report.html",
    "junit.xml",
    "results.sarif",
    "gl-sast-report.json",
    "findings.csv",
    "checkov.json",
    "manifest.json",
    "manifest.dsse.json",
    "plans/ci-identity.plan.json.gz",
    "plans/eu-west-1.plan.json.gz",
    "plans/us-west-2.plan.json.gz",
}
KEY = Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory, env_plans: dict[str, Path], endpoint: Any, root: Path) -> tuple[Any, Path]:
    run = assessment.assess(root, project.environments(root), env_plans, None, use_checkov=True)
    bundle = write_bundle(run, root, tmp_path_factory.mktemp("evidence"), endpoint.secret_strings(), sign_key=KEY)
    return run, bundle.path


def test_bundle_has_every_file_and_verifies(checked: tuple[Any, Path]) -> None:
    run, path = checked
    assert {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()} == FILES
    assert verify(path, KEY.public_key()).signature == "valid"
    manifest = json.loads((path / "manifest.json").read_text())
    assert set(manifest["plans"]) == {"ci-identity", "eu-west-1", "us-west-2"} and manifest["git_sha"] == run.git_sha
    # the manifest records the checkov that ran, or says plainly that none was installed (an install without [scan])
    assert (manifest["tools"]["checkov"] != "not installed") == (importlib.util.find_spec("checkov") is not None)


@pytest.mark.parametrize("tamper", ["change", "add", "remove"])
def test_verify_detects_tampering(checked: tuple[Any, Path], tmp_path: Path, tamper: str) -> None:
    import shutil

    copy = tmp_path / "bundle"
    shutil.copytree(checked[1], copy)
    if tamper == "change":
        # one byte of the report changed, whatever its verdict (a replace of "PASS" changed nothing in a failing run)
        text = (copy / "report.md").read_text()
        (copy / "report.md").write_text(text[:-2] + chr(ord(text[-2]) ^ 1) + text[-1:])
    elif tamper == "add":
        (copy / "extra.txt").write_text("x")
    else:
        (copy / "junit.xml").unlink()
    result = verify(copy)
    assert not result.ok
    assert {"change": result.changed, "add": result.added, "remove": result.removed}[tamper]


def test_no_seeded_secret_anywhere_in_the_bundle(checked: tuple[Any, Path], endpoint: Any) -> None:
    secrets = [s for s in endpoint.secret_strings() if len(s) >= 8]
    assert secrets
    for file in checked[1].rglob("*"):
        if file.is_file():
            text = gzip.decompress(file.read_bytes()).decode() if file.suffix == ".gz" else file.read_text()
            assert not [s for s in secrets if s in text], f"{file.name} leaks a seeded secret"


def test_bundle_writer_refuses_a_secret(tmp_path: Path) -> None:
    bundle = EvidenceBundle.create(tmp_path, "abc", secrets=("sup3r-s3cret-value",))
    with pytest.raises(TapguardError, match="would contain a secret value"):
        bundle.write_text("report.md", "token: sup3r-s3cret-value")
    assert not (bundle.path / "report.md").exists()


def test_reports_fit_and_parse(checked: tuple[Any, Path]) -> None:
    _, path = checked
    md = (path / "report.md").read_text()
    assert len(md) < LIMIT and "PASS" in md
    html = (path / "report.html").read_text()
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    suites = ET.parse(path / "junit.xml").getroot()
    names = [s.get("name") for s in suites]
    # a suite per environment, then checkov's failures itemized (the plan scans' non-gating ones) when there are any
    assert names[:3] == ["pci-dss::ci-identity", "pci-dss::eu-west-1", "pci-dss::us-west-2"] and names[3:] in ([], ["checkov"])
    assert all(s.get("tests") == str(len(controls.catalogue())) for s in suites[:3])
    assert all(case.get("name", "").startswith("CKV") for s in suites[3:] for case in s)
    sarif = json.loads((path / "results.sarif").read_text())
    ids = [r["automationDetails"]["id"] for r in sarif["runs"]]
    # one run per tool, the environments in its category (GitHub takes at most 20 runs)
    envs = "ci-identity+eu-west-1+us-west-2"
    assert ids[:1] == [f"tapguard/{envs}/"] and ids[1:] in ([], [f"tapguard-checkov/{envs}/"])
    data = json.loads((path / "controls.json").read_text())
    assert data["requirements"]["3.5.1"]["E1"]["environments"]["us-west-2"]["status"] == "pass"


def test_checkov_hcl_gate_is_clean(checked: tuple[Any, Path]) -> None:
    run, _ = checked
    hcl = next(s for s in run.checkov if s.scope == "hcl")
    if importlib.util.find_spec("checkov") is None:  # the base install: the scan says why it did not run, and gates nothing
        assert not hcl.available and not hcl.gate_failures and "tapguard[scan]" in hcl.summary_line()
        return
    assert hcl.available and not hcl.gate_failures, [f["check_id"] + " " + str(f["resource"]) for f in hcl.gate_failures]
    assert hcl.skipped and all(s["suppress_comment"] for s in hcl.skipped), "every suppression carries its reason"


def test_a_failure_is_located_in_sarif_at_the_tf_line(fresh: Any, tmp_path: Path, root: Path) -> None:
    data = fresh("eu-west-1")
    set_after(data, "module.aurora.aws_rds_cluster.this", "storage_encrypted", False)
    plan = tmp_path / "eu.json"
    plan.write_text(json.dumps(data))
    run = assessment.assess(root, project.environments(root), {"eu-west-1": plan}, None, use_checkov=False)
    assert run.failed
    path = write_bundle(run, root, tmp_path / "evidence", []).path
    results = json.loads((path / "results.sarif").read_text())["runs"][0]["results"]
    e1 = next(r for r in results if r["ruleId"] == "E1")
    location = e1["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "modules/aurora/main.tf"
    line = (root / "modules/aurora/main.tf").read_text().splitlines()[location["region"]["startLine"] - 1]
    assert line.startswith('resource "aws_rds_cluster" "this"')
    assert "E1" in (path / "report.md").read_text() and "storage_encrypted" in (path / "report.html").read_text()


# ---------------------------------------------------------------- waivers
