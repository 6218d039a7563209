"""`tapguard evidence verify|sign|comment|keygen`: check a bundle (or a directory's chain of bundles), sign one, make a key pair.

verify exit codes: 0 every hash matches and the signature is valid for --key; 1 a file or directory was changed, added,
removed, or is not a plain singly linked file, the manifest does not name the directory it lies in, a signature is
invalid or missing for --key, the chain is broken, or the newest manifest is not --expect-head; 2 bad input;
4 integrity only: every hash matches, no --key was given (the bundle is unsigned, or its signature was not checked).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from tapguard.evidence import markdown, signing
from tapguard.evidence.chain import verify_chain
from tapguard.evidence.verify import verify
from tapguard.foundation import inputs
from tapguard.foundation.errors import TapguardError

INTEGRITY_ONLY = 4


def register(sub: Any) -> None:
    p = sub.add_parser("evidence", help="work with evidence bundles: verify, sign, keygen")
    evidence_sub = p.add_subparsers(dest="evidence_command", required=True)
    v = evidence_sub.add_parser(
        "verify",
        help="check a bundle's hashes, file set and signature (exit 0 signed+intact, 1 tampered, 4 intact but unsigned)",
    )
    v.add_argument("bundle", type=Path, nargs="?", help="the bundle directory")
    v.add_argument("--key", type=Path, metavar="PUB", help="Ed25519 public key (PEM) the manifest must be signed with")
    v.add_argument("--chain", type=Path, metavar="DIR", help="verify every bundle of an evidence directory and the links between them")
    v.add_argument(
        "--expect-head",
        metavar="SHA256",
        help="the manifest sha256 CI attested for the newest bundle (with --chain), or for the bundle: a cut or replaced end fails",
    )
    v.set_defaults(func=run_verify)
    s = evidence_sub.add_parser("sign", help="sign a bundle's manifest with an Ed25519 key (DSSE envelope, manifest.dsse.json)")
    s.add_argument("bundle", type=Path)
    s.add_argument("--sign-key", required=True, metavar="FILE|env:NAME", help="private key file, or env:NAME to read it from a variable")
    s.set_defaults(func=run_sign)
    c = evidence_sub.add_parser("comment", help="join the report.md of several bundles into one PR comment under 65,536 characters")
    c.add_argument("bundles", type=Path, nargs="+", metavar="BUNDLE")
    c.add_argument("--output", "-o", type=Path, help="write the comment here (default: stdout)")
    c.set_defaults(func=run_comment)
    k = evidence_sub.add_parser("keygen", help="make an Ed25519 key pair: PRIVATE (mode 0600) and PRIVATE.pub")
    k.add_argument("private", type=Path)
    k.set_defaults(func=run_keygen)


def _say(out: Console, label: str, style: str, line: str) -> None:
    """A verdict line: the label styled, everything after it data (paths, file names, key ids), never markup."""
    from rich.text import Text

    from tapguard.evidence import text

    out.print(Text.assemble((label, style), " ", text.console(line)))


def run_verify(args: argparse.Namespace) -> int:
    out = Console(highlight=False, soft_wrap=True, emoji=False)
    if (args.bundle is None) == (args.chain is None):
        raise TapguardError("evidence verify takes a bundle directory or --chain DIR (one of them)")
    expect = _sha256_arg(args.expect_head)
    key = signing.public_key(args.key) if args.key else None
    started = time.monotonic()
    if args.chain:
        report = verify_chain(args.chain, key, expect)
        elapsed = time.monotonic() - started
        for line in report.problems:
            _say(out, "FAIL", "red", line)
        if not report.ok:
            return 1
        files = sum(b.checked for b in report.bundles)
        if report.signed:
            summary = f"{len(report.bundles)} bundles, {files} files, chain intact, all signed"
            _say(out, "OK", "green", f"{args.chain}: {summary} ({elapsed:.2f} s)")
            return 0
        unsigned = sum(b.signature != "valid" for b in report.bundles)
        _say(
            out,
            "INTEGRITY ONLY",
            "yellow",
            f"{args.chain}: {len(report.bundles)} bundles, chain intact; {unsigned} unsigned or not checked "
            f"{'(pass --key)' if key is None else ''}({elapsed:.2f} s)",
        )
        return INTEGRITY_ONLY
    result = verify(args.bundle, key, expect)
    elapsed = time.monotonic() - started
    for line in result.lines():
        _say(out, "FAIL", "red", line)
    if not result.ok:
        return 1
    if result.signature == "valid":
        _say(out, "OK", "green", f"{args.bundle}: {result.checked} files match manifest.json, {result.signature_detail} ({elapsed:.2f} s)")
        return 0
    why = "unsigned" if result.signature == "unsigned" else f"signature not checked: {result.signature_detail}"
    _say(out, "INTEGRITY ONLY", "yellow", f"{args.bundle}: {result.checked} files match manifest.json; {why} ({elapsed:.2f} s)")
    return INTEGRITY_ONLY


def _sha256_arg(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise TapguardError("--expect-head: not a sha256 (64 hexadecimal digits of the newest manifest.json)")
    return value.lower()


def run_sign(args: argparse.Namespace) -> int:
    key = signing.private_key(args.sign_key)
    result = verify(args.bundle)
    if not result.intact:
        raise TapguardError(f"{args.bundle}: refusing to sign a bundle that does not match its manifest ({result.lines()[0]})", 1)
    path = signing.sign(args.bundle, key)
    Console(highlight=False).print(f"signed {args.bundle} with {signing.key_id(key.public_key())}: {path.name}")
    return 0


def run_comment(args: argparse.Namespace) -> int:
    reports = []
    for bundle in args.bundles:
        report = bundle / "report.md" if bundle.is_dir() else bundle
        if not report.is_file() or report.is_symlink():
            raise TapguardError(f"{bundle}: no report.md")
        reports.append(inputs.read_text(report, str(report)))
    text = markdown.comment(reports)
    if args.output:
        inputs.write_file(args.output.parent, args.output.name, text, f"--output {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def run_keygen(args: argparse.Namespace) -> int:
    public, kid = signing.generate(args.private)
    Console(highlight=False).print(f"key {kid}: private {args.private} (keep it secret), public {public}", soft_wrap=True)
    return 0
