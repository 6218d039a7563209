"""Ed25519 signatures of a bundle's manifest, in a DSSE envelope around an in-toto Statement.

manifest.dsse.json = {"payloadType": "application/vnd.in-toto+json", "payload": b64(Statement),
"signatures": [{"keyid", "sig"}]}; the Statement's one subject is manifest.json with its
sha256, so the signature covers every file through the manifest's hashes. The signed bytes
are DSSE's pre-authentication encoding (PAE), so a payload cannot be re-read as another type.

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
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tapguard.errors import TapguardError

if TYPE_CHECKING:
    from tapguard.evidence.bundle import Verification

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:tapguard:evidence-manifest:v1"
ENV_PREFIX = "env:"


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
    if not path.is_file():
        raise TapguardError(f"signing key {source}: no such file")
    return path.read_bytes(), str(path)


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
    if not path.is_file():
        raise TapguardError(f"--key {path}: no such file")
    data = path.read_bytes()
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
    """A new key pair: private PEM (mode 0600) at private_path, public PEM beside it as .pub; returns (public path, key id)."""
    public_path = private_path.with_name(private_path.name + ".pub")
    for p in (private_path, public_path):
        if p.exists():
            raise TapguardError(f"{p}: exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = key.public_key()
    public_path.write_bytes(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return public_path, key_id(public)


def sign(bundle: Path, key: Ed25519PrivateKey) -> Path:
    """Write manifest.dsse.json for the bundle's manifest as it is now; returns its path."""
    from tapguard.evidence.bundle import SIGNATURE, read_manifest

    manifest, raw = read_manifest(bundle)
    target = bundle / SIGNATURE
    if target.exists() or target.is_symlink():
        raise TapguardError(f"{bundle}: already signed ({SIGNATURE} exists)")
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": "manifest.json", "digest": {"sha256": digest(raw)}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "bundle": bundle.name,
            "git_sha": manifest.get("git_sha"),
            "verdict": manifest.get("verdict"),
            "previous": manifest.get("previous"),
            "signed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    }
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    envelope = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key_id(key.public_key()), "sig": base64.b64encode(key.sign(pae(PAYLOAD_TYPE, payload))).decode()}],
    }
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(envelope, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def check(result: Verification, manifest_raw: bytes, key: Ed25519PublicKey | None) -> None:
    """Set result.signature: unsigned, not checked (no key given), valid, or invalid with one line why."""
    from tapguard.evidence.bundle import SIGNATURE

    path = result.path / SIGNATURE
    if not path.is_file() or path.is_symlink():
        result.signature = "unsigned"
        return
    try:
        envelope = json.loads(path.read_text(encoding="utf-8"))
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = [(str(s["keyid"]), base64.b64decode(s["sig"], validate=True)) for s in envelope["signatures"]]
        statement = json.loads(payload)
        subject = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
        kind = envelope["payloadType"]
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        result.signature, result.signature_detail = "invalid", f"{SIGNATURE} is not a DSSE envelope of an in-toto statement"
        return
    if key is None:
        result.signature, result.signature_detail = "not checked", "signed by " + ", ".join(k for k, _ in signatures) + "; pass --key"
        return
    wanted = key_id(key)
    good = False
    for _, sig in signatures:
        try:
            key.verify(sig, pae(str(kind), payload))
            good = True
            break
        except InvalidSignature:
            continue
    if not good:
        result.signature = "invalid"
        result.signature_detail = f"not signed by key {wanted} (signed by {', '.join(k for k, _ in signatures) or 'no key'})"
    elif kind != PAYLOAD_TYPE or statement.get("_type") != STATEMENT_TYPE or statement.get("predicateType") != PREDICATE_TYPE:
        result.signature, result.signature_detail = "invalid", "the signed statement is not a tapguard manifest statement"
    elif subject.get("manifest.json") != digest(manifest_raw):
        result.signature, result.signature_detail = "invalid", "manifest.json was re-written after it was signed"
    else:
        result.signature, result.signature_detail = "valid", f"signed by {wanted}"
