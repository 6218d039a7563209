"""Plan an environment for real: hermetic copy, init, plan, show -json, redact, cache.

The binary plan (which holds sensitive values) lives only in a temporary directory
that is removed when the step ends; what is kept is the redacted plan JSON, under
.tapguard/plans/<env>/<key>.json, where <key> hashes the HCL, the variables, the
binary and the provider version, tapguard's version and its redaction rules, so an
unchanged environment is not planned twice and a plan redacted under other rules is never reused.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import tapguard
from tapguard.foundation.errors import TapguardError
from tapguard.planning import intake
from tapguard.planning.project import Environment
from tapguard.planning.redaction import rules_digest, scrub
from tapguard.planning.toolchain import Toolchain, run_bounded

_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]+)"', re.MULTILINE)
_HASHED_SUFFIXES = (".tf", ".tfvars", ".hcl", ".zip", ".py", ".json", ".tftpl")
CACHE_FORMAT = "3"
PLAN_TIMEOUT = 3600.0  # seconds one terraform init/plan/show may take before it is killed (a hung provider, a lock)
BACKEND_ENV = "TAPGUARD_BACKEND_CONFIG"
_INIT_LOCK = threading.Lock()


@contextmanager
def plugin_cache_lock(state_dir: Path) -> Iterator[None]:
    """Terraform's plugin cache is not safe for concurrent installs: one init at a time,
    across threads and processes."""
    with _INIT_LOCK, (state_dir / "plugin-cache.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def key_lock(out: Path) -> Iterator[None]:
    """One planner per cache entry across threads and processes; the others wait and read its result."""
    with out.with_suffix(".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class PlanResult:
    environment: str
    json_path: Path
    seconds: float
    cached: bool

    @functools.cached_property
    def summary(self) -> dict[str, int]:
        """add/change/replace/destroy counts; read from the plan only when asked (a check does not ask)."""
        from tapguard.planning.model import load

        return load(self.json_path).summary()


def module_dirs(root_module: Path) -> list[Path]:
    """The root module and every local module it calls, transitively."""
    seen: list[Path] = []
    stack = [root_module.resolve()]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.append(current)
        for tf in current.glob("*.tf"):
            for rel in _SOURCE.findall(tf.read_text()):
                target = (current / rel).resolve()
                if not target.is_dir():
                    raise TapguardError(f"{tf}: module source {rel} does not exist")
                stack.append(target)
    return seen


def _files(directory: Path) -> list[Path]:
    # A module's examples/ are root modules of their own (planned by the tests): editing one
    # does not change what a caller of the module plans.
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file()
        and ".terraform" not in p.parts
        and "examples" not in p.relative_to(directory).parts
        and p.suffix in _HASHED_SUFFIXES
        and "README" not in p.name
    )


def cache_key(env: Environment, toolchain: Toolchain, mode: str, extra_vars: dict[str, str], var_files: tuple[Path, ...] = ()) -> str:
    dirs = module_dirs(env.path)
    base = Path(os.path.commonpath([str(d) for d in dirs]))
    digest = hashlib.sha256()
    # tapguard's own version and its redaction rules too: a plan cached under other rules is not reused
    digest.update(f"{CACHE_FORMAT}|{tapguard.__version__}|{rules_digest()}|{toolchain.binary.flavour}|{toolchain.binary.version}|".encode())
    digest.update(
        f"{toolchain.provider_version()}|{mode}|{json.dumps(extra_vars, sort_keys=True)}|{os.environ.get(BACKEND_ENV, '')}".encode()
    )
    for var_file in var_files:  # --var-file: terraform reads it, so its content decides the plan too
        digest.update(b"var-file\0" + hashlib.sha256(var_file.read_bytes()).digest())
    for d in sorted(dirs):
        for f in _files(d):
            digest.update(str(f.relative_to(base)).encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def hermetic_copy(env: Environment, dest: Path) -> Path:
    """Copy the root module and its local modules, keeping their relative layout."""
    dirs = module_dirs(env.path)
    base = Path(os.path.commonpath([str(d) for d in dirs]))
    for d in dirs:
        target = dest / d.relative_to(base)
        target.mkdir(parents=True, exist_ok=True)
        for f in d.iterdir():
            if f.is_file():
                shutil.copy2(f, target / f.name)
            elif f.is_dir() and f.name not in (".terraform",) and f not in dirs:
                shutil.copytree(f, target / f.name, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".terraform"))
    return dest / env.path.resolve().relative_to(base)


class PlanRunner:
    """Plans environments with one toolchain and one AWS mode (local endpoint or real account)."""

    def __init__(
        self,
        toolchain: Toolchain,
        state_dir: Path,
        aws_env: dict[str, str],
        mode: str,
        use_cache: bool = True,
        secrets: list[str] | None = None,
        var_files: tuple[Path, ...] = (),
    ) -> None:
        self.toolchain = toolchain
        self.cache_dir = state_dir / "plans"
        self.log_dir = state_dir / "logs"
        self.aws_env = aws_env
        self.mode = mode
        self.use_cache = use_cache
        self.secrets = list(secrets or [])
        self.var_files = tuple(p.resolve() for p in var_files)  # absolute: terraform runs in a temporary copy

    def cached(self, env: Environment, extra_vars: dict[str, str] | None = None) -> bool:
        key = cache_key(env, self.toolchain, self.mode, dict(extra_vars or {}), self.var_files)
        return self.use_cache and (self.cache_dir / env.name / f"{key}.json").is_file()

    def plan(self, env: Environment, extra_vars: dict[str, str] | None = None) -> PlanResult:
        extra = dict(extra_vars or {})
        started = time.monotonic()
        key = cache_key(env, self.toolchain, self.mode, extra, self.var_files)
        out = self.cache_dir / env.name / f"{key}.json"
        if self.use_cache and out.is_file():
            return PlanResult(env.name, out, time.monotonic() - started, True)
        out.parent.mkdir(parents=True, exist_ok=True)
        with key_lock(out):  # another process (a test worker, a second check) planning the same content: wait, then reuse
            if self.use_cache and out.is_file():
                return PlanResult(env.name, out, time.monotonic() - started, True)
            self._plan_into(env, extra, out)
        return PlanResult(env.name, out, time.monotonic() - started, False)

    def _plan_into(self, env: Environment, extra: dict[str, str], out: Path) -> None:
        with tempfile.TemporaryDirectory(prefix=f"tapguard-{env.name}-") as tmp:
            workdir = hermetic_copy(env, Path(tmp))
            run_env = {**os.environ, **self.toolchain.env(), **self.aws_env}
            if self.toolchain.binary.flavour == "tofu":
                (workdir / ".terraform.lock.hcl").unlink(missing_ok=True)
            with plugin_cache_lock(self.toolchain.cli_config.parent):
                self._run(env, ["init", "-input=false", *self._backend_args(env, workdir), "-no-color"], workdir, run_env)
            args = ["plan", "-input=false", "-lock=false", "-no-color", "-out=plan.bin"]
            if env.tfvars:
                args.append(f"-var-file={env.tfvars.name}")
            args += [f"-var-file={path}" for path in self.var_files]
            args += [f"-var={k}={v}" for k, v in sorted(extra.items())]
            self._run(env, args, workdir, run_env)
            shown = self._run(env, ["show", "-json", "plan.bin"], workdir, run_env, capture=True)
        # the one way in, as for a plan given from outside: decoded, validated, redacted, then written (atomically)
        redacted, _ = intake.admit(shown.encode("utf-8"), f"{env.name}: `{self.toolchain.binary.flavour} show -json`")
        del shown
        intake.write_redacted(redacted, out.parent, out.name, f"plan cache {out}")

    def _backend_args(self, env: Environment, workdir: Path) -> list[str]:
        """The deployed state only for real-account plans that name a backend config; otherwise a
        local, empty state in the temporary copy (an override file replaces any backend block)."""
        config = os.environ.get(BACKEND_ENV)
        if self.mode != "aws" or not config:
            (workdir / "tapguard_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
            return []
        path = Path(config)
        if not path.is_file():
            raise TapguardError(f"{BACKEND_ENV}={config}: no such backend config file")
        return [f"-backend-config={path.resolve()}"]

    def _run(self, env: Environment, args: list[str], cwd: Path, run_env: dict[str, str], capture: bool = False) -> str:
        cmd = [str(self.toolchain.binary.path), *args]
        proc = run_bounded(cmd, PLAN_TIMEOUT, f"{env.name}: {self.toolchain.binary.flavour} {args[0]}", cwd=cwd, env=run_env)
        if proc.returncode != 0:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = self.log_dir / f"{env.name}-{args[0]}.log"
            log.write_text(scrub(proc.stdout + proc.stderr, self.secrets))
            raise TapguardError(
                f"{env.name}: {self.toolchain.binary.flavour} {args[0]} failed: {_first_error(proc.stderr)} (full log: {log})"
            )
        return proc.stdout if capture else ""


def _first_error(stderr: str) -> str:
    lines = [ln.strip(" │╷╵") for ln in stderr.splitlines()]
    lines = [ln.strip() for ln in lines if ln.strip()]
    for i, line in enumerate(lines):
        if line.startswith("Error:"):
            detail = lines[i + 1] if i + 1 < len(lines) else ""
            return f"{line} {detail}".strip()
    return lines[0] if lines else "no output"
