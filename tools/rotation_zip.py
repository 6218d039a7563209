"""Build the rotation functions' deployment packages reproducibly (same inputs, same bytes).

python tools/rotation_zip.py          # rebuild modules/secrets/rotation/*.zip
python tools/rotation_zip.py --check  # exit 1 when a zip's handler differs from its source

The PostgreSQL function needs a driver the Lambda runtime does not ship: pg8000 (pure Python)
and its dependencies, pinned by version and wheel hash, fetched with pip and unpacked into the
zip. Entries are sorted, dated 1980-01-01 and mode 0644, so the Terraform source_code_hash only
changes when a handler or a pin changes.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROTATION = ROOT / "modules" / "secrets" / "rotation"
EPOCH = (1980, 1, 1, 0, 0, 0)

# wheel file name -> sha256 (pure-Python wheels, the python3.12 Lambda runtime)
POSTGRES_WHEELS = {
    "pg8000-1.31.6-py3-none-any.whl": "1ffe27af94fa5b37ce6885b98d591dc75562ff076859bf50ca7729af59345a80",
    "scramp-1.5.0-py3-none-any.whl": "8280608f568e81da9e9c9d69cac1331b836622d9b48bf5c5e400e16129c6d1fa",
    "asn1crypto-1.5.1-py2.py3-none-any.whl": "db4e40728b728508912cbb3d44f19ce188f218e9eba635821bb4b68564f8fd67",
    "python_dateutil-4.0.0-py3-none-any.whl": "a5e246f79eb80475e691bf93862cead98decd8a498cf53ba0516fcdc0f50dc1c",
    "tzdata-2026.6-py2.py3-none-any.whl": "0a10eec6e13ef16b627fabed9a5f2ba61a62b1c67f327305f4e7e412a70b4aec",
}
PACKAGES = {
    "elasticache_auth.zip": ("elasticache_auth.py", {}),
    "postgres_single_user.zip": ("postgres_single_user.py", POSTGRES_WHEELS),
}


def _requirement(wheel: str) -> str:
    name, version = wheel.split("-")[:2]
    return f"{name.replace('_', '-')}=={version}"


def _wheel_members(wheels: dict[str, str], tmp: Path) -> dict[str, bytes]:
    if not wheels:
        return {}
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(tmp)]
    subprocess.run([*cmd, *(_requirement(w) for w in wheels)], check=True)
    members: dict[str, bytes] = {}
    for wheel, digest in wheels.items():
        data = (tmp / wheel).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise SystemExit(f"{wheel}: sha256 differs from the pin")
        with zipfile.ZipFile(tmp / wheel) as whl:
            for info in whl.infolist():
                # .dist-info stays: it records each vendored version inside the package
                if not info.is_dir() and "/__pycache__/" not in info.filename:
                    members[info.filename] = whl.read(info)
    return members


def build(package: str) -> bytes:
    handler, wheels = PACKAGES[package]
    with tempfile.TemporaryDirectory() as tmp:
        members = _wheel_members(wheels, Path(tmp))
    members[handler] = (ROTATION / handler).read_bytes()
    out = Path(tempfile.mkstemp(suffix=".zip")[1])
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, members[name])
    data = out.read_bytes()
    out.unlink()
    return data


def check(package: str) -> list[str]:
    """Problems with a committed zip that can be seen without fetching wheels."""
    handler, wheels = PACKAGES[package]
    path = ROTATION / package
    if not path.is_file():
        return [f"{package}: missing"]
    problems = []
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        if handler not in names or zf.read(handler) != (ROTATION / handler).read_bytes():
            problems.append(f"{package}: {handler} differs from the source; run python tools/rotation_zip.py")
        for wheel in wheels:
            name, version = wheel.split("-")[:2]
            if f"{name}-{version}.dist-info/METADATA" not in names:
                problems.append(f"{package}: {name} {version} is not the vendored version")
        if names != sorted(names) or any(i.date_time != EPOCH for i in zf.infolist()):
            problems.append(f"{package}: not built reproducibly (order or dates)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        problems = [p for package in PACKAGES for p in check(package)]
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    for package in PACKAGES:
        (ROTATION / package).write_bytes(build(package))
        print(f"wrote {ROTATION / package}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
