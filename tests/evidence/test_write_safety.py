"""Writes go only where asked (issue 19, class 5): never through a planted symlink, never into a sealed bundle.

Every writer a user points somewhere (`check --out`, `--output-file-path`, `plan --out`, `evidence keygen`,
`evidence comment --output`) meets a symlink planted to a file outside, a dangling one, and a sealed bundle:
exit 2, one line, the outside file unchanged, the bundle still verifying.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tapguard.cli import main
from tapguard.evidence.bundle import EvidenceBundle
from tapguard.evidence.verify import verify
from tapguard.foundation import inputs
from tapguard.foundation.errors import TapguardError
from tapguard.planning.runner import PlanResult

SECRET = "precious: not tapguard's to write\n"
PLAN = {"format_version": "1.2", "terraform_version": "1.11.0", "planned_values": {"root_module": {}}, "resource_changes": []}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def outside(tmp_path: Path) -> Path:
    target = tmp_path / "outside" / "precious.txt"
    target.parent.mkdir(exist_ok=True)
    target.write_text(SECRET)
    return target


def sealed(tmp_path: Path) -> Path:
    made = EvidenceBundle.create(tmp_path / "evidence", "abc1234", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    made.write_text("report.md", "verdict: FAIL\n")
    made.seal({"git_sha": "abc1234", "verdict": "fail"})
    return made.path


def snapshot(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(path.rglob("*"))}


def refused(code: int, out: str, *why: str) -> None:
    """Exit 2 and one error line naming why (a report printed before the refusal, like `plan`'s table, may precede it)."""
    errors = [line for line in out.splitlines() if "tapguard: error:" in line]
    assert code == 2 and "Traceback" not in out and len(errors) == 1, out
    for text in why:
        assert text in errors[0], out


@pytest.fixture
def plan_json(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN))
    return path


def check(capsys: pytest.CaptureFixture[str], plan: Path, *argv: str) -> tuple[int, str]:
    return run_cli(capsys, "check", "--plan-json", f"ci-identity={plan}", "--no-checkov", *argv)


# ---------------------------------------------------------------- check -o … --output-file-path, check --out


def test_output_file_path_with_a_planted_symlink(tmp_path: Path, plan_json: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = outside(tmp_path)
    out = tmp_path / "reports"
    out.mkdir()
    (out / "report.md").symlink_to(target)
    code, text = check(capsys, plan_json, "--out", str(tmp_path / "ev"), "-o", "md", "--output-file-path", str(out))
    refused(code, text, "report.md: is a symlink; refusing to write through it")
    assert target.read_text() == SECRET and (out / "report.md").is_symlink()


def test_output_file_path_replaces_a_hard_linked_file_without_touching_the_other_name(
    tmp_path: Path, plan_json: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = outside(tmp_path)
    out = tmp_path / "reports"
    out.mkdir()
    os.link(target, out / "report.md")
    code, _ = check(capsys, plan_json, "--out", str(tmp_path / "ev"), "-o", "md", "--output-file-path", str(out))
    assert code in (0, 1) and target.read_text() == SECRET and "tapguard" in (out / "report.md").read_text().lower()


@pytest.mark.parametrize("flag", ["--output-file-path", "--out"])
@pytest.mark.parametrize("inside", [False, True], ids=["the-bundle", "inside-it"])
def test_check_refuses_a_sealed_bundle(
    tmp_path: Path, plan_json: Path, capsys: pytest.CaptureFixture[str], flag: str, inside: bool
) -> None:
    bundle = sealed(tmp_path)
    before = snapshot(bundle)
    where = bundle / "plans" / "x" if inside else bundle
    extra = ["-o", "md"] if flag == "--output-file-path" else []
    argv = ["--out", str(tmp_path / "ev")] if flag == "--output-file-path" else []
    code, text = check(capsys, plan_json, *argv, *extra, flag, str(where))
    refused(code, text, "sealed evidence bundle", "refusing to modify it")
    assert snapshot(bundle) == before and verify(bundle).intact


def test_check_out_that_is_a_symlink(tmp_path: Path, plan_json: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "ev").symlink_to(tmp_path / "elsewhere")
    refused(*check(capsys, plan_json, "--out", str(tmp_path / "ev")), "is a symlink")
    assert not list((tmp_path / "elsewhere").iterdir())


def test_out_through_a_symlink_into_a_sealed_bundle(tmp_path: Path, plan_json: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = sealed(tmp_path)
    before = snapshot(bundle)
    (tmp_path / "innocent").symlink_to(bundle)
    refused(*check(capsys, plan_json, "--out", str(tmp_path / "innocent" / "more")), "sealed evidence bundle")
    assert snapshot(bundle) == before


# ---------------------------------------------------------------- plan --out


@pytest.fixture
def fake_planning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """`plan` with its plan already made (the writer is under test, not terraform)."""
    made = tmp_path / "cache" / "ci-identity.json"
    made.parent.mkdir()
    made.write_text(json.dumps(PLAN))
    result = PlanResult(environment="ci-identity", json_path=made, seconds=0.0, cached=True)

    def planned(args: argparse.Namespace, envs: Any) -> tuple[list[PlanResult], list[str]]:
        return [result], []

    monkeypatch.setattr("tapguard.cli.plan.plan_environments", planned)
    return made


def test_plan_out_with_a_planted_symlink(tmp_path: Path, fake_planning: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = outside(tmp_path)
    out = tmp_path / "plans"
    out.mkdir()
    (out / "ci-identity.plan.json").symlink_to(target)
    refused(*run_cli(capsys, "plan", "ci-identity", "--out", str(out)), "ci-identity.plan.json: is a symlink; refusing to write through it")
    assert target.read_text() == SECRET


def test_plan_out_writes_the_plan(tmp_path: Path, fake_planning: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_cli(capsys, "plan", "ci-identity", "--out", str(tmp_path / "plans"))
    assert code == 0 and (tmp_path / "plans" / "ci-identity.plan.json").read_bytes() == fake_planning.read_bytes()


@pytest.mark.parametrize("inside", [False, True], ids=["the-bundle", "inside-it"])
def test_plan_out_refuses_a_sealed_bundle(tmp_path: Path, fake_planning: Path, capsys: pytest.CaptureFixture[str], inside: bool) -> None:
    bundle = sealed(tmp_path)
    before = snapshot(bundle)
    refused(*run_cli(capsys, "plan", "ci-identity", "--out", str(bundle / "sub" if inside else bundle)), "sealed evidence bundle")
    assert snapshot(bundle) == before


# ---------------------------------------------------------------- evidence keygen


@pytest.mark.parametrize(
    ("planted", "why"),
    [
        ("key-symlink", "is a symlink"),
        ("pub-symlink", "is a symlink"),
        ("key-dangling", "is a dangling symlink"),
        ("pub-dangling", "is a dangling symlink"),
        ("key-exists", "exists"),
        ("pub-exists", "exists"),
    ],
)
def test_keygen_refuses_existing_or_planted_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str], planted: str, why: str) -> None:
    target = outside(tmp_path)
    key = tmp_path / "keys" / "evidence.key"
    key.parent.mkdir()
    victim = key if planted.startswith("key") else key.with_name("evidence.key.pub")
    nowhere = tmp_path / "outside" / "created-through-the-link"
    if planted.endswith("-symlink"):
        victim.symlink_to(target)
    elif planted.endswith("-dangling"):
        victim.symlink_to(nowhere)
    else:
        victim.write_text(SECRET)
    refused(*run_cli(capsys, "evidence", "keygen", str(key)), why, "refusing to overwrite")
    assert target.read_text() == SECRET and not nowhere.exists()
    assert {p.name for p in key.parent.iterdir()} == {victim.name}, "nothing else written: never half a key pair"


def test_keygen_into_a_sealed_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = sealed(tmp_path)
    before = snapshot(bundle)
    refused(*run_cli(capsys, "evidence", "keygen", str(bundle / "evidence.key")), "sealed evidence bundle")
    assert snapshot(bundle) == before


def test_keygen_makes_a_private_key_only_its_owner_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "evidence.key"
    assert run_cli(capsys, "evidence", "keygen", str(key))[0] == 0
    assert key.stat().st_mode & 0o777 == 0o600 and key.with_name("evidence.key.pub").read_text().startswith("-----BEGIN PUBLIC KEY")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.key", "evidence.key.pub"], "no temporary file left"


# ---------------------------------------------------------------- evidence comment --output


def test_comment_output_with_a_planted_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = outside(tmp_path)
    bundle = sealed(tmp_path)
    (tmp_path / "comment.md").symlink_to(target)
    refused(*run_cli(capsys, "evidence", "comment", str(bundle), "--output", str(tmp_path / "comment.md")), "is a symlink")
    assert target.read_text() == SECRET


def test_comment_output_into_a_sealed_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = sealed(tmp_path)
    before = snapshot(bundle)
    refused(*run_cli(capsys, "evidence", "comment", str(bundle), "--output", str(bundle / "comment.md")), "sealed evidence bundle")
    assert snapshot(bundle) == before


# ---------------------------------------------------------------- the one safe writer


def test_write_file_never_writes_through_a_symlinked_directory(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(TapguardError, match="is a symlink"):
        inputs.write_file(tmp_path / "link", "report.md", "x")
    assert not list((tmp_path / "real").iterdir())


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".", "", "a\nb"])
def test_write_file_takes_one_plain_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(TapguardError, match="not a plain file name"):
        inputs.write_file(tmp_path, name, "x")
    assert not list(tmp_path.iterdir())


def test_write_file_replaces_a_regular_file_atomically_and_leaves_no_temporary(tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("old")
    inputs.write_file(tmp_path, "report.md", "new")
    assert (tmp_path / "report.md").read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_manifest_json_that_is_not_tapguards_does_not_block_writes(tmp_path: Path) -> None:
    """A project may hold its own manifest.json (a browser extension, a package): only a tapguard manifest seals."""
    (tmp_path / "manifest.json").write_text('{"name": "my-extension", "format": "webext"}')
    assert inputs.sealed_bundle(tmp_path / "evidence") is None
    assert inputs.write_file(tmp_path, "x.txt", "ok").read_text() == "ok"
