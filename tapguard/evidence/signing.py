"""Ed25519 signatures of a bundle's manifest, in a DSSE envelope around an in-toto Statement.

manifest.dsse.json = {"payloadType": "application/vnd.in-toto+json", "payload": b64(Statement),
"signatures": [{"keyid", "sig"}]}; the Statement's one subject is manifest.json with its
sha256, so the signature covers every file through the manifest's hashes. Its predicate names
again what a verifier binds the run to (BOUND: the bundle directory, run id, git sha, verdict and
previous-bundle link); `check` compares them with the manifest, and verify.py compares the
manifest with the directory it lies in. The signed bytes are DSSE's pre-authentication encoding
(PAE), so a payload cannot be re-read as another type. The envelope's keyid must be the key's.

The private key comes from a file or an environment variable (`--sign-key env:NAME`), as PEM
(PKCS#8, `openssl genpkey -algorithm ed25519`) or base64 of the 32 raw bytes. It is never
printed, logged or written into the bundle: errors name its source, never its content.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tapguard.evidence.bundle import bundle_name, read_manifest
from tapguard.foundation import inputs
from tapguard.foundation.errors import TapguardError
from tapguard.foundation.inputs import MANIFEST, SIGNATURE

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:tapguard:evidence-manifest:v1"
ENV_PREFIX = "env:"
BOUND = ("bundle", "run_id", "git_sha", "verdict", "previous")  # manifest fields the signed statement repeats
MAX_KEY_BYTES = 64 * 1024


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def _source_bytes(source: str) -> tuple[bytes, str]:
    if source.startswith(ENV_PREFIX):
        name = source[len(ENV_PREFIX) :]
        value = os.environ.get(name)
        if not value:
            raise TapguardError(f"signing key: environment variable {name} is not set or empty")
        return value.encode(), f"environment variable {name}"
    path = Path(source)
    return inputs.read_bytes(path, f"signing key {source}", MAX_KEY_BYTES, "an Ed25519 private key"), str(path)


def private_key(source: str) -> Ed25519PrivateKey:
    """The Ed25519 private key at `source` (a path, or env:NAME)."""
    data, where = _source_bytes(source)
    key: Any = None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            raw = base64.b64decode(data.strip(), validate=True)
            key = Ed25519PrivateKey.from_private_bytes(raw) if len(raw) == 32 else None
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        key = None  # the message below must not carry the key's content, nor cryptography's (which may quote it)
    if not isinstance(key, Ed25519PrivateKey):
        raise TapguardError(f"signing key from {where}: not an unencrypted Ed25519 private key (PEM PKCS#8 or base64 of 32 raw bytes)")
    return key


def public_key(path: Path) -> Ed25519PublicKey:
    data = inputs.read_bytes(path, f"--key {path}", MAX_KEY_BYTES, "an Ed25519 public key")
    key: Any = None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_public_key(data)
        else:
            raw = base64.b64decode(data.strip(), validate=True)
            key = Ed25519PublicKey.from_public_bytes(raw) if len(raw) == 32 else None
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise TapguardError(f"--key {path}: not an Ed25519 public key (PEM or base64 of 32 raw bytes)")
    return key


def generate(private_path: Path) -> tuple[Path, str]:
    """A new key pair: private PEM (mode 0600) at private_path, public PEM beside it as .pub; returns (public path, key id).

    Both names must be free: an existing file, or a symlink (even a dangling one), is refused, and each file
    is created exclusively (never through a symlink), so a planted link cannot redirect a key elsewhere.
    """
    public_path = private_path.with_name(private_path.name + ".pub")
    for p in (private_path, public_path):
        if os.path.lexists(p):
            kind = "is a dangling symlink" if p.is_symlink() and not p.exists() else "is a symlink" if p.is_symlink() else "exists"
            raise TapguardError(f"{p}: {kind}; refusing to overwrite a key or write through a link")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key()
    folder = private_path.parent
    inputs.write_file(folder, private_path.name, pem, f"keygen {private_path}", exclusive=True, mode=0o600)
    try:
        spki = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        inputs.write_file(folder, public_path.name, spki, f"keygen {public_path}", exclusive=True, mode=0o644)
    except BaseException:
        private_path.unlink()  # never half a pair: the private key alone could not be checked against anything
        raise
    return public_path, key_id(public)


def sign(bundle: Path, key: Ed25519PrivateKey) -> Path:
    """Write manifest.dsse.json for the bundle's manifest as it is now; returns its path."""

    manifest, raw = read_manifest(bundle)
    target = bundle / SIGNATURE
    if os.path.lexists(target):
        raise TapguardError(f"{bundle}: already signed ({SIGNATURE} exists)")
    if manifest.get("bundle") != bundle_name(bundle):
        raise TapguardError(f"{bundle}: its {MANIFEST} was sealed for bundle {manifest.get('bundle')!r}; refusing to sign it here", 1)
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": MANIFEST, "digest": {"sha256": digest(raw)}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {**{name: manifest.get(name) for name in BOUND}, "signed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
    }
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    envelope = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key_id(key.public_key()), "sig": base64.b64encode(key.sign(pae(PAYLOAD_TYPE, payload))).decode()}],
    }
    with inputs.atomic_writer(bundle, SIGNATURE, f"{bundle}/{SIGNATURE}", exclusive=True, into_sealed=True) as handle:
        handle.write((json.dumps(envelope, indent=2) + "\n").encode())
    return target


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def check(bundle: Path, manifest: dict[str, Any], manifest_raw: bytes, key: Ed25519PublicKey | None) -> tuple[str, str]:
    """The bundle's signature: unsigned, not checked (no key given), valid, or invalid; and one line why.

    With a key, a bundle must be signed by it: an unsigned one is invalid (a deleted envelope is not "integrity only").
    """

    path = bundle / SIGNATURE
    if not os.path.lexists(path):
        if key is not None:
            return "invalid", f"no {SIGNATURE}: the bundle is unsigned but --key {key_id(key)} was given"
        return "unsigned", ""
    if path.is_symlink() or not path.is_file():
        return "invalid", f"{SIGNATURE} is not a regular file"
    try:
        envelope = json.loads(path.read_text(encoding="utf-8"))
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = [(str(s["keyid"]), base64.b64decode(s["sig"], validate=True)) for s in envelope["signatures"]]
        statement = json.loads(payload)
        subject = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
        predicate = statement["predicate"]
        kind = envelope["payloadType"]
        if not isinstance(predicate, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError, UnicodeDecodeError):
        return "invalid", f"{SIGNATURE} is not a DSSE envelope of an in-toto statement"
    if key is None:
        return "not checked", "signed by " + ", ".join(k for k, _ in signatures) + "; pass --key"
    wanted = key_id(key)
    verified = []
    for kid, sig in signatures:
        try:
            key.verify(sig, pae(str(kind), payload))
            verified.append(kid)
        except InvalidSignature:
            continue
    problem = ""
    if not verified:
        problem = f"not signed by key {wanted} (signed by {', '.join(k for k, _ in signatures) or 'no key'})"
    elif wanted not in verified:
        problem = f"the envelope's keyid {', '.join(verified)} is not the key's {wanted} (the envelope was altered)"
    elif kind != PAYLOAD_TYPE or statement.get("_type") != STATEMENT_TYPE or statement.get("predicateType") != PREDICATE_TYPE:
        problem = "the signed statement is not a tapguard manifest statement"
    elif subject.get(MANIFEST) != digest(manifest_raw):
        problem = "manifest.json was re-written after it was signed"
    elif predicate.get("bundle") != bundle_name(bundle):
        problem = f"signed for bundle {_short(predicate.get('bundle'))}, found in {bundle_name(bundle)!r} (renamed or replaced)"
    else:
        for name in BOUND:
            if predicate.get(name) != manifest.get(name):
                signed, sealed = _short(predicate.get(name)), _short(manifest.get(name))
                problem = f"the signed statement names {name} {signed}, the manifest {sealed}"
                break
    if problem:
        return "invalid", problem
    return "valid", f"signed by {wanted}"
