"""What the lab needs from the machine, and installing it from Debian's packages when we may."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tapguard.foundation.errors import TapguardError

PG_BIN = Path("/usr/lib/postgresql/15/bin")
NEEDS = {
    "pg_autoctl": ("/usr/bin/pg_autoctl", "pg-auto-failover-cli postgresql-15-auto-failover"),
    "postgres 15": (str(PG_BIN / "postgres"), "postgresql-15"),
    "pgautofailover extension": ("/usr/lib/postgresql/15/lib/pgautofailover.so", "postgresql-15-auto-failover"),
    "redis-server": ("/usr/bin/redis-server", "redis-server"),
    "redis-sentinel": ("/usr/bin/redis-sentinel", "redis-sentinel"),
}


def missing() -> dict[str, str]:
    return {name: pkg for name, (path, pkg) in NEEDS.items() if not Path(path).exists()}


def install() -> list[str]:
    """Install what is missing (apt-get, as root); otherwise say exactly what to install."""
    lacking = missing()
    if not lacking:
        return []
    packages = sorted({p for pkgs in lacking.values() for p in pkgs.split()})
    command = f"apt-get install -y {' '.join(packages)}"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise TapguardError(f"the lab needs {', '.join(sorted(lacking))}; install them with: sudo {command}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise TapguardError(f"`{' '.join(args[:2])}` failed: {last}")
    still = missing()
    if still:
        raise TapguardError(f"installed {' '.join(packages)} but {', '.join(sorted(still))} is still missing")
    # Debian starts the packaged redis on 6379; the lab uses its own ports and does not need it.
    return packages
