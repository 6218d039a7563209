"""Attacks on `evidence verify` by someone who can write to the evidence store but does not hold the key (issue 19, class 2).

Each attack starts from a bundle (or chain) that verifies (exit 0) and must end in exit 1 with one FAIL line saying why,
through the real CLI entry.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tapguard.cli import main
from tapguard.evidence import signing
from tapguard.evidence.bundle import EvidenceBundle
from tapguard.foundation.digest import sha256

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pub") / "evidence.key.pub"
    path.write_bytes(KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


def bundle(base: Path, n: int, verdict: str = "pass", sha: str = "abc1234") -> Path:
    """A signed bundle of run n (one minute after run n-1), as `check` would leave it."""
    made = EvidenceBundle.create(base, sha, T0 + dt.timedelta(minutes=n))
    made.write_text("report.md", f"verdict: {verdict.upper()} (run {n})\n")
    made.write_json("controls.json", {"run": n, "verdict": verdict})
    made.write_text("plans/us-west-2.plan.json", "{}\n")
    made.seal({"git_sha": sha, "verdict": verdict})
    signing.sign(made.path, KEY)
    return made.path


def verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["evidence", "verify", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def chain(base: Path, n: int = 4) -> list[Path]:
    return [bundle(base, i, "fail" if i == n - 1 else "pass") for i in range(n)]


def head(path: Path) -> str:
    return sha256(path / "manifest.json")


def assert_refused(code: int, out: str, *why: str) -> None:
    assert code == 1, out
    assert "FAIL" in out or "error" in out
    assert "Traceback" not in out
    for text in why:
        assert text in out, out


def test_intact_bundle_and_chain_verify(tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The baseline every attack starts from: exit 0, so each exit 1 below is the attack's doing."""
    paths = chain(tmp_path / "evidence")
    assert verify(capsys, str(paths[1]), "--key", str(public))[0] == 0
    assert verify(capsys, str(paths[1]), "--key", str(public), "--expect-head", head(paths[1]))[0] == 0
    code, out = verify(capsys, "--chain", str(tmp_path / "evidence"), "--key", str(public), "--expect-head", head(paths[-1]))
    assert code == 0 and "chain intact, all signed" in out
    manifest = json.loads((paths[1] / "manifest.json").read_text())
    assert manifest["bundle"] == paths[1].name and len(manifest["run_id"]) == 36
    statement = json.loads(base64.b64decode(json.loads((paths[1] / "manifest.dsse.json").read_text())["payload"]))
    assert {k: statement["predicate"][k] for k in signing.BOUND} == {k: manifest[k] for k in signing.BOUND}


def test_another_runs_signed_bundle_renamed_into_an_existing_bundles_directory(
    tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = chain(tmp_path / "evidence")
    other = bundle(tmp_path / "elsewhere", 9)  # validly signed, another run
    shutil.rmtree(paths[2])
    other.rename(paths[2])
    assert_refused(*verify(capsys, str(paths[2]), "--key", str(public)), f"sealed for bundle '{other.name}'")
    assert_refused(*verify(capsys, "--chain", str(tmp_path / "evidence"), "--key", str(public)))


def test_another_runs_bundle_of_the_same_name_fails_the_chain_and_the_expected_hash(
    tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same minute, same commit (another CI job): the name binds nothing more; the chain link and the attested hash do."""
    paths = chain(tmp_path / "evidence")
    recorded = head(paths[2])
    twin = bundle(tmp_path / "other-job", 2, "pass")
    assert twin.name == paths[2].name
    shutil.rmtree(paths[2])
    twin.rename(paths[2])
    assert_refused(*verify(capsys, str(paths[2]), "--key", str(public), "--expect-head", recorded), "is not the expected")
    assert_refused(*verify(capsys, "--chain", str(tmp_path / "evidence"), "--key", str(public)), "replaced")


def test_fail_bundle_contents_replaced_by_an_earlier_pass_bundle(tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = chain(tmp_path / "evidence")
    failed, passed = paths[-1], paths[0]
    assert json.loads((failed / "manifest.json").read_text())["verdict"] == "fail"
    shutil.rmtree(failed)
    shutil.copytree(passed, failed)
    assert_refused(*verify(capsys, str(failed), "--key", str(public)), f"sealed for bundle '{passed.name}'", "renamed")
    code, out = verify(capsys, "--chain", str(tmp_path / "evidence"), "--key", str(public))
    assert_refused(code, out, "carries the run id of")


@pytest.mark.parametrize("rename", [True, False], ids=["oldest-renamed-to-newest", "newest-deleted"])
def test_chain_cut_at_the_newest_end_fails_against_the_expected_head(
    tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str], rename: bool
) -> None:
    base = tmp_path / "evidence"
    paths = chain(base)
    attested = head(paths[-1])
    if rename:  # delete the newer bundles, rename the oldest to the newest name
        for path in paths[1:]:
            shutil.rmtree(path)
        paths[0].rename(paths[-1])
    else:
        shutil.rmtree(paths[-1])
    code, out = verify(capsys, "--chain", str(base), "--key", str(public), "--expect-head", attested)
    assert_refused(code, out, "expected head", "removed or replaced")
    if rename:  # even without the attested head, a renamed bundle names another directory
        assert_refused(*verify(capsys, "--chain", str(base), "--key", str(public)), "sealed for bundle")


def test_expected_head_with_newer_unrecorded_bundles(tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = chain(tmp_path / "evidence")
    code, out = verify(capsys, "--chain", str(tmp_path / "evidence"), "--key", str(public), "--expect-head", head(paths[1]))
    assert_refused(code, out, "newer bundles follow it", paths[2].name, paths[3].name)


def test_hard_link_to_an_identical_copy_outside(tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = bundle(tmp_path / "evidence", 0)
    copy = tmp_path / "outside.md"
    shutil.copy(path / "report.md", copy)
    (path / "report.md").unlink()
    os.link(copy, path / "report.md")
    assert (path / "report.md").read_bytes() == copy.read_bytes(), "same bytes: only the link count gives it away"
    assert_refused(*verify(capsys, str(path), "--key", str(public)), "report.md: hard link (2 links)")


@pytest.mark.parametrize("where", ["empty", "plans/empty", "nested/empty/deeper"])
def test_added_empty_directory(tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    path = bundle(tmp_path / "evidence", 0)
    (path / where).mkdir(parents=True)
    assert_refused(*verify(capsys, str(path), "--key", str(public)), f"added {where}/ (directory)")


def test_changed_envelope_keyid(tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = bundle(tmp_path / "evidence", 0)
    envelope = json.loads((path / "manifest.dsse.json").read_text())
    envelope["signatures"][0]["keyid"] = "ed25519:0000000000000000"
    (path / "manifest.dsse.json").write_text(json.dumps(envelope))
    assert_refused(*verify(capsys, str(path), "--key", str(public)), "keyid ed25519:0000000000000000 is not the key's")


def test_bundle_directory_that_is_a_symlink(tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = bundle(tmp_path / "store", 0)
    link = tmp_path / "evidence" / path.name
    link.parent.mkdir()
    link.symlink_to(path, target_is_directory=True)
    assert_refused(*verify(capsys, str(link), "--key", str(public)), "the bundle directory is a symlink")
    assert_refused(*verify(capsys, "--chain", str(tmp_path / "evidence"), "--key", str(public)), "symlink")


@pytest.mark.parametrize("rewrite", [True, False], ids=["manifest-rewritten", "envelope-only"])
def test_deleted_signature_with_key_given_is_exit_1_not_integrity_only(
    tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str], rewrite: bool
) -> None:
    path = bundle(tmp_path / "evidence", 0, "fail")
    (path / "manifest.dsse.json").unlink()
    if rewrite:
        (path / "report.md").write_text("verdict: PASS\n")
        manifest = json.loads((path / "manifest.json").read_text())
        manifest["verdict"], manifest["files"]["report.md"] = "pass", signing.digest(b"verdict: PASS\n")
        (path / "manifest.json").write_text(json.dumps(manifest))
    assert_refused(*verify(capsys, str(path), "--key", str(public)), "unsigned but --key")
    assert verify(capsys, str(path))[0] == 4, "without --key it is integrity only (nothing was asked of the signature)"


def test_signed_statement_that_disagrees_with_the_manifest(tmp_path: Path, public: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Even the key's holder cannot sign one verdict into the statement and seal another into the manifest."""
    path = bundle(tmp_path / "evidence", 0, "fail")
    envelope = json.loads((path / "manifest.dsse.json").read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["verdict"] = "pass"
    payload = json.dumps(statement).encode()
    envelope["payload"] = base64.b64encode(payload).decode()
    envelope["signatures"][0]["sig"] = base64.b64encode(KEY.sign(signing.pae(signing.PAYLOAD_TYPE, payload))).decode()
    (path / "manifest.dsse.json").write_text(json.dumps(envelope))
    assert_refused(*verify(capsys, str(path), "--key", str(public)), 'names verdict "pass", the manifest "fail"')


def test_manifest_without_a_bundle_name_is_not_bound(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = bundle(tmp_path / "evidence", 0)
    (path / "manifest.dsse.json").unlink()
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["bundle"]
    (path / "manifest.json").write_text(json.dumps(manifest))
    assert_refused(*verify(capsys, str(path)), "names no bundle directory")


@pytest.mark.parametrize(
    ("key", "expect"),
    [
        ("dir", "is a directory, not an Ed25519 public key"),
        ("/dev/null", "is a device, not an Ed25519 public key"),
        ("empty", "not an Ed25519 public key"),
    ],
)
def test_bad_key_argument_says_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, expect: str) -> None:
    path = bundle(tmp_path / "evidence", 0)
    (tmp_path / "dir").mkdir()
    (tmp_path / "empty").write_bytes(b"")
    argument = key if key.startswith("/") else str(tmp_path / key)
    code, out = verify(capsys, str(path), "--key", argument)
    assert code == 2 and expect in out and "no such file" not in out and len(out.strip().splitlines()) == 1, out


@pytest.mark.parametrize("value", ["abc", "g" * 64, "0" * 63])
def test_malformed_expected_head_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    code, out = verify(capsys, "--chain", str(tmp_path), "--expect-head", value)
    assert code == 2 and "--expect-head: not a sha256" in out


def test_sign_refuses_a_bundle_renamed_before_signing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The key holder's `evidence sign` never blesses a bundle that lies in another run's directory."""
    made = EvidenceBundle.create(tmp_path / "evidence", "abc1234", T0)
    made.write_text("report.md", "verdict: PASS\n")
    made.seal({"git_sha": "abc1234", "verdict": "pass"})
    moved = made.path.rename(made.path.with_name("20270101T000000Z-abc1234"))
    pem = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "k.pem").write_bytes(pem)
    code = main(["evidence", "sign", str(moved), "--sign-key", str(tmp_path / "k.pem")])
    out = capsys.readouterr()
    assert code == 1 and "refusing to sign" in out.out + out.err and not (moved / "manifest.dsse.json").exists()
