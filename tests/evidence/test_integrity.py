"""Signed, chained, safe bundles: every tampering case `evidence verify` must catch, with one line and exit 1."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tapguard.cli import main
from tapguard.evidence import signing
from tapguard.evidence.bundle import EvidenceBundle
from tapguard.evidence.chain import verify_chain
from tapguard.evidence.paths import check_segment
from tapguard.foundation.errors import TapguardError

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def make_bundle(base: Path, n: int = 0, key: Ed25519PrivateKey | None = None) -> Path:
    bundle = EvidenceBundle.create(base, "abc1234", T0 + dt.timedelta(minutes=n))
    bundle.write_text("report.md", f"report {n}\n")
    bundle.write_json("controls.json", {"n": n})
    bundle.write_text("plans/us-west-2.plan.json", "{}\n")
    bundle.seal({"git_sha": "abc1234", "verdict": "pass"})
    if key is not None:
        signing.sign(bundle.path, key)
    return bundle.path


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(private, public, another public) PEM files made by `tapguard evidence keygen`."""
    folder = tmp_path_factory.mktemp("keys")
    assert main(["evidence", "keygen", str(folder / "evidence.key")]) == 0
    assert main(["evidence", "keygen", str(folder / "other.key")]) == 0
    assert (folder / "evidence.key").stat().st_mode & 0o777 == 0o600
    return folder / "evidence.key", folder / "evidence.key.pub", folder / "other.key.pub"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_signed_bundle_verifies_with_its_key_and_unsigned_is_integrity_only_without_one(
    tmp_path: Path, keys: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    private, public, _ = keys
    signed = make_bundle(tmp_path / "a", key=signing.private_key(str(private)))
    unsigned = make_bundle(tmp_path / "b")
    code, out = cli(capsys, "evidence", "verify", str(signed), "--key", str(public))
    assert code == 0 and "OK" in out and "signed by ed25519:" in out
    code, out = cli(capsys, "evidence", "verify", str(unsigned))
    assert code == 4 and "INTEGRITY ONLY" in out and "unsigned" in out
    code, out = cli(capsys, "evidence", "verify", str(unsigned), "--key", str(public))
    assert code == 1 and "unsigned but --key" in out, "with --key, a missing signature is a failure, never integrity only"
    code, out = cli(capsys, "evidence", "verify", str(signed))
    assert code == 4 and "pass --key" in out, "a signature nobody checked is not a pass"
    envelope = json.loads((signed / "manifest.dsse.json").read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    statement = json.loads(__import__("base64").b64decode(envelope["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1" and statement["subject"][0]["name"] == "manifest.json"


def test_sign_command_and_key_from_environment_never_printed_nor_written(
    tmp_path: Path, keys: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    private, public, _ = keys
    pem = private.read_text()
    monkeypatch.setenv("TAPGUARD_TEST_SIGNING_KEY", pem)
    bundle = make_bundle(tmp_path)
    code, out = cli(capsys, "evidence", "sign", str(bundle), "--sign-key", "env:TAPGUARD_TEST_SIGNING_KEY")
    assert code == 0 and "signed" in out
    assert cli(capsys, "evidence", "verify", str(bundle), "--key", str(public))[0] == 0
    code, out = cli(capsys, "evidence", "sign", str(bundle), "--sign-key", str(private))
    assert code == 2 and "already signed" in out
    body = "".join(line for line in pem.splitlines() if "-----" not in line)
    raw = (
        signing.private_key(str(private))
        .private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        .hex()
    )
    for file in bundle.rglob("*"):
        if file.is_file():
            data = file.read_text()
            assert body not in data and body[:40] not in data and raw not in data, f"{file.name} holds the private key"
    assert body[:40] not in out


@pytest.mark.parametrize(
    ("content", "expect"),
    [("not a key at all\n", "not an unencrypted Ed25519 private key"), ("", "no such file")],
)
def test_bad_signing_key_is_one_line_without_its_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expect: str
) -> None:
    key = tmp_path / "bad.key"
    if content:
        key.write_text(content)
    code, out = cli(capsys, "evidence", "sign", str(make_bundle(tmp_path / "ev")), "--sign-key", str(key))
    assert code == 2 and expect in out and "not a key at all" not in out and len(out.strip().splitlines()) == 1


TAMPERING = [
    "wrong key",
    "re-written manifest",
    "re-written and re-signed with another key",
    "changed byte",
    "added file",
    "removed file",
    "symlink to an identical copy",
    "symlink loop",
    "symlink to /",
    "FIFO",
    "socket",
    "nested manifest.json",
    "manifest lists a path outside",
    "signature envelope garbled",
]


@pytest.mark.parametrize("case", TAMPERING)
def test_verify_catches_tampering(tmp_path: Path, keys: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], case: str) -> None:
    private, public, other_public = keys
    bundle = make_bundle(tmp_path / "ev", key=signing.private_key(str(private)))
    manifest = bundle / "manifest.json"
    key_arg = str(public)
    if case == "wrong key":
        key_arg = str(other_public)
    elif case in ("re-written manifest", "re-written and re-signed with another key"):
        (bundle / "report.md").write_text("all green\n")
        data = json.loads(manifest.read_text())
        data["files"]["report.md"] = signing.digest(b"all green\n")
        manifest.write_text(json.dumps(data))
        if case.endswith("another key"):
            (bundle / "manifest.dsse.json").unlink()
            signing.sign(bundle, Ed25519PrivateKey.generate())
    elif case == "changed byte":
        data = bytearray((bundle / "controls.json").read_bytes())
        data[3] ^= 1
        (bundle / "controls.json").write_bytes(bytes(data))
    elif case == "added file":
        (bundle / "extra.txt").write_text("x")
    elif case == "removed file":
        (bundle / "report.md").unlink()
    elif case == "symlink to an identical copy":
        copy = tmp_path / "copy.md"
        shutil.copy(bundle / "report.md", copy)
        (bundle / "report.md").unlink()
        (bundle / "report.md").symlink_to(copy)
    elif case == "symlink loop":
        (bundle / "loop").symlink_to(bundle / "loop")
    elif case == "symlink to /":
        (bundle / "root").symlink_to("/")
    elif case == "FIFO":
        (bundle / "report.md").unlink()
        os.mkfifo(bundle / "report.md")
    elif case == "socket":
        sock = socket.socket(socket.AF_UNIX)
        here = Path.cwd()
        os.chdir(bundle / "plans")  # a relative name: AF_UNIX paths are limited to 108 bytes, tmp paths under xdist are longer
        try:
            sock.bind("s")
        finally:
            os.chdir(here)
            sock.close()
    elif case == "nested manifest.json":
        (bundle / "plans" / "manifest.json").write_text("{}")
    elif case == "manifest lists a path outside":
        data = json.loads(manifest.read_text())
        data["files"]["../outside.txt"] = "0" * 64
        manifest.write_text(json.dumps(data))
    elif case == "signature envelope garbled":
        (bundle / "manifest.dsse.json").write_text("{not json")
    code, out = cli(capsys, "evidence", "verify", str(bundle), "--key", key_arg)
    assert code == 1, out
    assert "FAIL" in out and "Traceback" not in out


def test_chain_detects_removed_reordered_and_replaced_bundles(
    tmp_path: Path, keys: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    private, public, _ = keys
    key = signing.private_key(str(private))
    base = tmp_path / "evidence"
    paths = [make_bundle(base, n, key) for n in range(4)]
    assert json.loads((paths[0] / "manifest.json").read_text())["previous"] is None
    assert json.loads((paths[2] / "manifest.json").read_text())["previous"]["bundle"] == paths[1].name
    assert cli(capsys, "evidence", "verify", "--chain", str(base), "--key", str(public))[0] == 0
    assert cli(capsys, "evidence", "verify", "--chain", str(base))[0] == 4

    def broken(mutate: str) -> list[str]:
        work = tmp_path / mutate
        shutil.copytree(base, work, symlinks=True)
        names = sorted(p.name for p in work.iterdir())
        if mutate == "removed":
            shutil.rmtree(work / names[1])
        elif mutate == "first removed":
            shutil.rmtree(work / names[0])
        elif mutate == "re-ordered":
            (work / names[1]).rename(work / "tmp")
            (work / names[2]).rename(work / names[1])
            (work / "tmp").rename(work / names[2])
        elif mutate == "replaced":
            shutil.rmtree(work / names[1])
            make_bundle(work / "x", 1, key).rename(work / names[1])  # a fresh, validly signed bundle of the same name
        report = verify_chain(work, signing.public_key(public))
        return report.problems

    assert any("removed" in p for p in broken("removed"))
    assert any("removed" in p for p in broken("first removed"))
    assert any("re-ordered" in p for p in broken("re-ordered"))
    assert any("replaced" in p for p in broken("replaced"))


@pytest.mark.parametrize("name", ["../../pwned", "a/b", "..", ".hidden", "a\nb", "a\x00b", "", "x" * 101, "a\\b"])
def test_unsafe_environment_names_are_refused(name: str) -> None:
    with pytest.raises(TapguardError, match="cannot be used in a file name"):
        check_segment(name)


def test_plan_json_with_unsafe_name_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    out = tmp_path / "evidence"
    code, text = cli(capsys, "check", "--plan-json", f"../../pwned={plan}", "--no-checkov", "--out", str(out))
    assert code == 2 and "cannot be used in a file name" in text and len(text.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path.parent / "pwned.plan.json").exists()


def test_writer_refuses_paths_outside_the_bundle(tmp_path: Path) -> None:
    bundle = EvidenceBundle.create(tmp_path / "ev", "abc")
    (bundle.path / "plans").symlink_to(tmp_path)
    for name in ("../x", "/etc/x", "plans/x.json"):
        with pytest.raises(TapguardError, match="refusing to write"):
            bundle.write_text(name, "x")
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "ev" / "x").exists()
