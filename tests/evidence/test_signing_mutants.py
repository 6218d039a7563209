"""Signing pinned down where mutation testing found it loose: the exact envelope, the keys it accepts, every verdict of check().

The envelopes below are built by hand from the DSSE v1 and in-toto Statement v1 formats (not by signing.sign), so each
field `check` looks at can be set wrong on its own, validly signed, and must give its own one-line reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import locale
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from tapguard.evidence import signing
from tapguard.evidence.bundle import EvidenceBundle, read_manifest
from tapguard.foundation.errors import TapguardError

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid(key: Ed25519PrivateKey) -> str:
    return "ed25519:" + hashlib.sha256(raw_public(key)).hexdigest()[:16]


def sealed(tmp_path: Path, sha: str = "abc1234") -> Path:
    made = EvidenceBundle.create(tmp_path / "evidence", sha, T0)
    made.write_text("report.md", "verdict: PASS\n")
    made.seal({"git_sha": sha, "verdict": "pass"})
    return made.path


def statement(bundle: Path, /, **changes: Any) -> dict[str, Any]:
    manifest, raw = read_manifest(bundle)
    predicate = {name: manifest.get(name) for name in signing.BOUND} | {"signed": "2026-01-01T00:00:00+00:00"}
    made = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "manifest.json", "digest": {"sha256": hashlib.sha256(raw).hexdigest()}}],
        "predicateType": "urn:tapguard:evidence-manifest:v1",
        "predicate": predicate,
    }
    for name, value in changes.items():
        if name in signing.BOUND:
            predicate[name] = value
        else:
            made[name] = value
    return made


def envelope(bundle: Path, made: Any, kind: str = "application/vnd.in-toto+json", signers: tuple[tuple[str, Any], ...] = ()) -> None:
    payload = json.dumps(made).encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind.encode(), len(payload), payload)
    signers = signers or ((kid(KEY), KEY),)
    signatures = [{"keyid": keyid, "sig": base64.b64encode(key.sign(pae)).decode()} for keyid, key in signers]
    document = {"payloadType": kind, "payload": base64.b64encode(payload).decode(), "signatures": signatures}
    (bundle / "manifest.dsse.json").write_text(json.dumps(document))


def check(bundle: Path, key: Any = KEY) -> tuple[str, str]:
    manifest, raw = read_manifest(bundle)
    return signing.check(bundle, manifest, raw, None if key is None else key.public_key())


def test_pae_and_key_id_are_the_dsse_and_tapguard_forms() -> None:
    assert signing.pae("ab", b"xyz") == b"DSSEv1 2 ab 3 xyz"
    assert signing.pae("", b"") == b"DSSEv1 0  0 "
    assert signing.key_id(KEY.public_key()) == kid(KEY) and len(kid(KEY)) == 24
    assert signing.digest(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_sign_writes_the_exact_envelope(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    manifest, raw = read_manifest(bundle)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert signing.sign(bundle, KEY) == bundle / "manifest.dsse.json"
    text = (bundle / "manifest.dsse.json").read_text()
    document = json.loads(text)
    assert text == json.dumps(document, indent=2) + "\n"
    assert set(document) == {"payloadType", "payload", "signatures"} and document["payloadType"] == "application/vnd.in-toto+json"
    payload = base64.b64decode(document["payload"])
    made = json.loads(payload)
    assert payload == json.dumps(made, sort_keys=True, separators=(",", ":")).encode()
    signed_at = dt.datetime.fromisoformat(made["predicate"].pop("signed"))
    assert before <= signed_at <= dt.datetime.now(dt.UTC) and signed_at.microsecond == 0 and signed_at.tzinfo is not None
    assert made == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "manifest.json", "digest": {"sha256": hashlib.sha256(raw).hexdigest()}}],
        "predicateType": "urn:tapguard:evidence-manifest:v1",
        "predicate": {name: manifest[name] for name in ("bundle", "run_id", "git_sha", "verdict", "previous")},
    }
    [signature] = document["signatures"]
    assert set(signature) == {"keyid", "sig"} and signature["keyid"] == kid(KEY)
    pae = b"DSSEv1 28 application/vnd.in-toto+json %d %s" % (len(payload), payload)
    KEY.public_key().verify(base64.b64decode(signature["sig"]), pae)
    assert check(bundle) == ("valid", f"signed by {kid(KEY)}")


def test_sign_refuses_a_signed_bundle_and_a_moved_one(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    signing.sign(bundle, KEY)
    with pytest.raises(TapguardError, match=r": already signed \(manifest.dsse.json exists\)$") as again:
        signing.sign(bundle, KEY)
    assert again.value.exit_code == 2
    moved = bundle.rename(bundle.with_name("20260102T000000Z-abc1234"))
    (moved / "manifest.dsse.json").unlink()
    with pytest.raises(TapguardError) as elsewhere:
        signing.sign(moved, KEY)
    assert str(elsewhere.value) == f"{moved}: its manifest.json was sealed for bundle '20260101T000000Z-abc1234'; refusing to sign it here"
    assert elsewhere.value.exit_code == 1 and not (moved / "manifest.dsse.json").exists()


def pem_private(key: Any) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def test_private_keys_from_a_file_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "k.pem").write_bytes(pem_private(KEY))
    (tmp_path / "k.b64").write_bytes(b"  " + base64.b64encode(raw_private(KEY)) + b"\n")
    for source in (tmp_path / "k.pem", tmp_path / "k.b64"):
        assert raw_private(signing.private_key(str(source))) == raw_private(KEY)
    monkeypatch.setenv("TG_KEY", base64.b64encode(raw_private(KEY)).decode())
    assert raw_private(signing.private_key("env:TG_KEY")) == raw_private(KEY)
    monkeypatch.setenv("TG_PEM", pem_private(KEY).decode())
    assert raw_private(signing.private_key("env:TG_PEM")) == raw_private(KEY)


@pytest.mark.parametrize("value", ["", None])
def test_an_unset_or_empty_key_variable_is_named(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("TG_KEY", raising=False)
    else:
        monkeypatch.setenv("TG_KEY", value)
    with pytest.raises(TapguardError) as error:
        signing.private_key("env:TG_KEY")
    assert str(error.value) == "signing key: environment variable TG_KEY is not set or empty" and error.value.exit_code == 2


WRONG_PRIVATE = {
    "31 raw bytes": base64.b64encode(b"k" * 31),
    "33 raw bytes": base64.b64encode(b"k" * 33),
    "not base64": b"s3cr3t-not-base64!",
    "x25519 pem": pem_private(X25519PrivateKey.generate()),
    "broken pem": b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    "not utf-8": b"\xff\xfe",
}


@pytest.mark.parametrize("case", sorted(WRONG_PRIVATE))
def test_a_wrong_private_key_is_refused_by_its_source_never_its_content(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "key"
    path.write_bytes(WRONG_PRIVATE[case])
    expected = "not an unencrypted Ed25519 private key (PEM PKCS#8 or base64 of 32 raw bytes)"
    with pytest.raises(TapguardError) as error:
        signing.private_key(str(path))
    assert str(error.value) == f"signing key from {path}: {expected}"
    if case != "not utf-8":
        monkeypatch.setenv("TG_KEY", WRONG_PRIVATE[case].decode())
        with pytest.raises(TapguardError) as from_env:
            signing.private_key("env:TG_KEY")
        assert str(from_env.value) == f"signing key from environment variable TG_KEY: {expected}"


def test_a_key_file_over_64_kib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"A" * (64 * 1024 + 1))
    with pytest.raises(TapguardError, match="signing key"):
        signing.private_key(str(path))
    path.write_bytes(b"A" * (64 * 1024 + 1))
    with pytest.raises(TapguardError, match="--key"):
        signing.public_key(path)


def test_public_keys_pem_or_raw_base64(tmp_path: Path) -> None:
    pem = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "k.pem").write_bytes(pem)
    (tmp_path / "k.b64").write_bytes(b" " + base64.b64encode(raw_public(KEY)) + b"\n")
    for name in ("k.pem", "k.b64"):
        assert signing.key_id(signing.public_key(tmp_path / name)) == kid(KEY)


@pytest.mark.parametrize(
    "data",
    [base64.b64encode(b"p" * 31), base64.b64encode(b"p" * 33), b"not base64!", b"\xff\xfe", pem_private(KEY)],
    ids=["31", "33", "text", "binary", "private pem"],
)
def test_a_wrong_public_key_is_refused(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "key.pub"
    path.write_bytes(data)
    with pytest.raises(TapguardError) as error:
        signing.public_key(path)
    assert str(error.value) == f"--key {path}: not an Ed25519 public key (PEM or base64 of 32 raw bytes)"


def test_generate_writes_a_pair_with_private_modes(tmp_path: Path) -> None:
    public_path, key_id = signing.generate(tmp_path / "evidence.key")
    assert public_path == tmp_path / "evidence.key.pub"
    assert stat.S_IMODE(os.stat(tmp_path / "evidence.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(public_path).st_mode) == 0o644
    private = signing.private_key(str(tmp_path / "evidence.key"))
    assert signing.key_id(signing.public_key(public_path)) == key_id == signing.key_id(private.public_key())


@pytest.mark.parametrize("which", ["private", "public"])
@pytest.mark.parametrize(("kind", "why"), [("file", "exists"), ("link", "is a symlink"), ("dangling", "is a dangling symlink")])
def test_generate_refuses_a_taken_name(tmp_path: Path, which: str, kind: str, why: str) -> None:
    private = tmp_path / "evidence.key"
    taken = private if which == "private" else tmp_path / "evidence.key.pub"
    (tmp_path / "real").write_text("x")
    if kind == "file":
        taken.write_text("x")
    else:
        taken.symlink_to(tmp_path / ("real" if kind == "link" else "missing"))
    with pytest.raises(TapguardError) as error:
        signing.generate(private)
    assert str(error.value) == f"{taken}: {why}; refusing to overwrite a key or write through a link"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"real", taken.name})


def test_short_keeps_80_characters_and_cuts_longer_to_77_and_dots() -> None:
    assert signing._short("a" * 78) == '"' + "a" * 78 + '"'
    assert signing._short("a" * 79) == '"' + "a" * 76 + "..."
    assert signing._short({"b": 1, "a": dt.date(2026, 1, 1)}) == '{"a": "2026-01-01", "b": 1}'


def test_unsigned_bundles_with_and_without_a_key(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    assert check(bundle, None) == ("unsigned", "")
    assert check(bundle) == ("invalid", f"no manifest.dsse.json: the bundle is unsigned but --key {kid(KEY)} was given")


def test_an_envelope_that_is_not_a_regular_file(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    (bundle / "manifest.dsse.json").mkdir()
    assert check(bundle, None) == ("invalid", "manifest.dsse.json is not a regular file")
    (bundle / "manifest.dsse.json").rmdir()
    (bundle / "manifest.dsse.json").symlink_to(bundle / "report.md")
    assert check(bundle) == ("invalid", "manifest.dsse.json is not a regular file")


GARBLED = {
    "not json": "{not json",
    "no payload": {"payloadType": "x", "signatures": []},
    "payload not base64": {"payloadType": "x", "payload": "!!", "signatures": []},
    "sig not base64": {"payloadType": "x", "payload": base64.b64encode(b"{}").decode(), "signatures": [{"keyid": "k", "sig": "!!"}]},
    "predicate not a dict": "predicate",
    "no payload type": "payloadType",
    "subject without digest": "subject",
}


@pytest.mark.parametrize("case", sorted(GARBLED))
def test_a_garbled_envelope_is_invalid_with_or_without_a_key(case: str, tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    value = GARBLED[case]
    if value == "predicate":
        envelope(bundle, statement(bundle) | {"predicate": ["bundle"]})
    elif value == "subject":
        envelope(bundle, statement(bundle) | {"subject": [{"name": "manifest.json"}]})
    elif value == "payloadType":
        envelope(bundle, statement(bundle))
        document = json.loads((bundle / "manifest.dsse.json").read_text())
        del document["payloadType"]
        (bundle / "manifest.dsse.json").write_text(json.dumps(document))
    else:
        (bundle / "manifest.dsse.json").write_text(value if isinstance(value, str) else json.dumps(value))
    for key in (None, KEY):
        assert check(bundle, key) == ("invalid", "manifest.dsse.json is not a DSSE envelope of an in-toto statement")


def test_without_a_key_the_signers_are_named(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle), signers=(("k-one", KEY), ("k-two", OTHER)))
    assert check(bundle, None) == ("not checked", "signed by k-one, k-two; pass --key")


def test_signed_by_another_key_or_by_none(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle), signers=((kid(OTHER), OTHER),))
    assert check(bundle) == ("invalid", f"not signed by key {kid(KEY)} (signed by {kid(OTHER)})")
    document = json.loads((bundle / "manifest.dsse.json").read_text()) | {"signatures": []}
    (bundle / "manifest.dsse.json").write_text(json.dumps(document))
    assert check(bundle) == ("invalid", f"not signed by key {kid(KEY)} (signed by no key)")


def test_a_second_valid_signature_after_a_bad_one_is_found(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle), signers=((kid(OTHER), OTHER), (kid(KEY), KEY)))
    assert check(bundle) == ("valid", f"signed by {kid(KEY)}")


def test_an_altered_keyid_is_named(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle), signers=(("ed25519:0000000000000000", KEY), ("ed25519:1111111111111111", KEY)))
    assert check(bundle) == (
        "invalid",
        f"the envelope's keyid ed25519:0000000000000000, ed25519:1111111111111111 is not the key's {kid(KEY)} (the envelope was altered)",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "application/json"), ("_type", "https://in-toto.io/Statement/v0.1"), ("predicateType", "urn:other:v1")],
)
def test_a_statement_of_another_kind_is_refused(field: str, value: str, tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    if field == "kind":
        envelope(bundle, statement(bundle), kind=value)
    else:
        envelope(bundle, statement(bundle) | {field: value})
    assert check(bundle) == ("invalid", "the signed statement is not a tapguard manifest statement")


def test_a_manifest_rewritten_after_signing(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle) | {"subject": [{"name": "manifest.json", "digest": {"sha256": "0" * 64}}]})
    assert check(bundle) == ("invalid", "manifest.json was re-written after it was signed")
    envelope(bundle, statement(bundle) | {"subject": [{"name": "other.json", "digest": {"sha256": "0" * 64}}]})
    assert check(bundle) == ("invalid", "manifest.json was re-written after it was signed")


def test_a_statement_signed_for_another_bundle(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle, bundle="x" * 100))
    expected = f'signed for bundle "{"x" * 76}..., found in {bundle.name!r} (renamed or replaced)'
    assert check(bundle) == ("invalid", expected)


@pytest.mark.parametrize("name", ["run_id", "git_sha", "verdict", "previous"])
def test_each_bound_field_must_match_the_manifest(name: str, tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    manifest, _ = read_manifest(bundle)
    envelope(bundle, statement(bundle, **{name: "forged"}))
    sealed_value = json.dumps(manifest[name], sort_keys=True)
    assert check(bundle) == ("invalid", f'the signed statement names {name} "forged", the manifest {sealed_value}')


def test_the_first_differing_bound_field_is_named(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle, git_sha="g", verdict="v"))
    assert check(bundle) == ("invalid", 'the signed statement names git_sha "g", the manifest "abc1234"')


def test_a_key_path_that_is_a_directory_or_too_big_says_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(TapguardError) as private:
        signing.private_key(str(tmp_path))
    assert str(private.value) == f"signing key {tmp_path}: is a directory, not an Ed25519 private key"
    with pytest.raises(TapguardError) as public:
        signing.public_key(tmp_path)
    assert str(public.value) == f"--key {tmp_path}: is a directory, not an Ed25519 public key"
    (tmp_path / "big").write_bytes(b"A" * (64 * 1024 + 1))
    with pytest.raises(TapguardError) as big:
        signing.private_key(str(tmp_path / "big"))
    assert str(big.value) == f"signing key {tmp_path / 'big'}: 65,537 bytes is larger than the 65,536 bytes tapguard reads"


def salted(data: bytes) -> bytes:
    """Valid base64 with a character outside the alphabet in the middle: strict decoding refuses it."""
    return data[:8] + b"*" + data[8:]


def test_base64_keys_are_decoded_strictly(tmp_path: Path) -> None:
    (tmp_path / "k").write_bytes(salted(base64.b64encode(raw_private(KEY))))
    with pytest.raises(TapguardError, match="not an unencrypted Ed25519 private key"):
        signing.private_key(str(tmp_path / "k"))
    (tmp_path / "k.pub").write_bytes(salted(base64.b64encode(raw_public(KEY))))
    with pytest.raises(TapguardError, match="not an Ed25519 public key"):
        signing.public_key(tmp_path / "k.pub")


@pytest.mark.parametrize("part", ["payload", "sig"])
def test_the_envelope_is_decoded_strictly(part: str, tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle))
    assert check(bundle) == ("valid", f"signed by {kid(KEY)}")
    document = json.loads((bundle / "manifest.dsse.json").read_text())
    if part == "payload":
        document["payload"] = salted(document["payload"].encode()).decode()
    else:
        document["signatures"][0]["sig"] = salted(document["signatures"][0]["sig"].encode()).decode()
    (bundle / "manifest.dsse.json").write_text(json.dumps(document))
    assert check(bundle) == ("invalid", "manifest.dsse.json is not a DSSE envelope of an in-toto statement")


def test_every_signer_is_named_when_none_is_the_key(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle), signers=(("k-one", OTHER), ("k-two", OTHER)))
    assert check(bundle) == ("invalid", f"not signed by key {kid(KEY)} (signed by k-one, k-two)")


def test_generate_never_overwrites_even_when_the_name_appears_after_its_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a race: the name is free when generate looks, taken when it writes; the exclusive write still refuses
    monkeypatch.setattr(signing.os.path, "lexists", lambda _: False)
    private = tmp_path / "evidence.key"
    private.write_text("planted")
    with pytest.raises(TapguardError) as first:
        signing.generate(private)
    assert str(first.value) == f"keygen {private}: exists; refusing to overwrite it" and private.read_text() == "planted"
    private.unlink()
    (tmp_path / "evidence.key.pub").write_text("planted")
    with pytest.raises(TapguardError) as second:
        signing.generate(private)
    assert str(second.value) == f"keygen {tmp_path / 'evidence.key.pub'}: exists; refusing to overwrite it"
    assert not private.exists() and (tmp_path / "evidence.key.pub").read_text() == "planted"  # never half a pair


def test_sign_never_overwrites_a_signature_that_appears_after_its_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle))
    before = (bundle / "manifest.dsse.json").read_text()
    monkeypatch.setattr(signing.os.path, "lexists", lambda _: False)
    with pytest.raises(TapguardError) as error:
        signing.sign(bundle, OTHER)
    assert str(error.value) == f"{bundle}/manifest.dsse.json: exists; refusing to overwrite it"
    assert (bundle / "manifest.dsse.json").read_text() == before


def test_generated_key_modes_do_not_depend_on_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        public_path, _ = signing.generate(tmp_path / "evidence.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "evidence.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(public_path).st_mode) == 0o644


def test_the_envelope_is_read_as_utf_8_whatever_the_locale(tmp_path: Path) -> None:
    bundle = sealed(tmp_path)
    envelope(bundle, statement(bundle), signers=(("clé-ü", KEY),))
    path = bundle / "manifest.dsse.json"
    path.write_text(json.dumps(json.loads(path.read_text()), ensure_ascii=False), encoding="utf-8")  # the keyid as UTF-8 bytes
    assert "clé-ü".encode() in path.read_bytes()
    previous = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # an ASCII locale, as on a bare CI runner
    try:
        assert check(bundle, None) == ("not checked", "signed by clé-ü; pass --key")
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)
