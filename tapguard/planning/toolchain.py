"""Find terraform or tofu and a provider source, and write tapguard's own CLI config.

The user's ~/.terraformrc is never read or written: every command tapguard runs gets
TF_CLI_CONFIG_FILE pointing at a file under the project's .tapguard/ directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from tapguard.foundation.errors import TapguardError

BINARY_ENV = "TAPGUARD_TERRAFORM"
VERSION_TIMEOUT = 30.0  # seconds `terraform version` may take (it answers in well under one)
MIRROR_ENV = "TAPGUARD_PROVIDER_MIRROR"
REGISTRY_ENV = "TAPGUARD_REGISTRY"  # "auto" (default), "on" or "off"

# Where provider mirrors usually live (Terraform's implied local mirror directories
# and the one these machines ship in /opt).
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
_PROVIDER_DIR = re.compile(r"^terraform-provider-(?P<name>[a-z0-9-]+)_v?(?P<version>[0-9][^_]*)")


@dataclass(frozen=True)
class Binary:
    """A terraform or tofu executable and what it says of itself."""

    path: Path
    flavour: str  # "terraform" or "tofu"
    version: str

    @property
    def registry_host(self) -> str:
        return "registry.opentofu.org" if self.flavour == "tofu" else "registry.terraform.io"


@dataclass(frozen=True)
class MirrorProvider:
    host: str
    namespace: str
    name: str
    version: str
    platform: str

    @property
    def source(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class ProviderSource:
    """Where providers come from: a filesystem mirror, the public registry, or both."""

    mirror: Path | None
    providers: list[MirrorProvider] = field(default_factory=list)
    registry_reachable: bool = False

    def describe(self) -> str:
        parts = []
        if self.mirror:
            listed = ", ".join(f"{p.source} {p.version}" for p in self.providers)
            parts.append(f"filesystem mirror {self.mirror} ({listed})")
        if self.registry_reachable:
            parts.append("public registry")
        return " + ".join(parts) or "none"


@dataclass
class Toolchain:
    binary: Binary
    source: ProviderSource
    cli_config: Path

    def env(self) -> dict[str, str]:
        """Environment for every terraform/tofu invocation."""
        return {
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }

    def provider_version(self, source: str = "hashicorp/aws") -> str | None:
        versions = sorted({p.version for p in self.source.providers if p.source == source}, key=version_key)
        return versions[-1] if versions else None


def parse_version(text: str) -> Version | None:
    """A released version with at least MAJOR.MINOR ("1.11.2", "1.12.0-beta1"), else None ("dev", "1")."""
    try:
        parsed = Version(text.strip().lstrip("v"))
    except InvalidVersion:
        return None
    return parsed if len(parsed.release) >= 2 else None


def version_key(text: str) -> tuple[int, Version]:
    """Sort key comparing versions as versions (5.100.0 > 5.99.1); unparseable ones sort first."""
    parsed = parse_version(text)
    return (1, parsed) if parsed is not None else (0, Version("0"))


def find_binary() -> Binary:
    """terraform or tofu: $TAPGUARD_TERRAFORM if set, else terraform, else tofu on PATH."""
    override = os.environ.get(BINARY_ENV)
    if override:
        located = shutil.which(override) or (override if Path(override).is_file() else None)
        if not located:
            raise TapguardError(f"{BINARY_ENV}={override} is not an executable; point it at terraform or tofu")
        return _describe_binary(Path(located))
    for name in ("terraform", "tofu"):
        located = shutil.which(name)
        if located:
            return _describe_binary(Path(located))
    raise TapguardError(
        f"neither terraform nor tofu is on PATH; install Terraform >= 1.11 or OpenTofu >= 1.11, or set {BINARY_ENV} to its path"
    )


def run_bounded(cmd: list[str], timeout: float, what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a tool with a time limit; past it the tool and everything it started are killed (its own process group)
    and the limit is named in a one-line error, so a hanging program never hangs tapguard."""
    try:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True, **kwargs
        )
    except OSError as exc:
        raise TapguardError(f"cannot run {cmd[0]}: {exc.strerror}") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise TapguardError(f"{what} did not finish within {timeout:g} s; killed it") from None
    except BaseException:  # Ctrl-C: the tool goes too
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def _describe_binary(path: Path) -> Binary:
    named = f"{BINARY_ENV}={os.environ[BINARY_ENV]}: " if os.environ.get(BINARY_ENV) else ""
    out = run_bounded([str(path), "version", "-json"], VERSION_TIMEOUT, f"{named}`{path} version -json`")
    try:
        reported = json.loads(out.stdout)
        version = str(reported["terraform_version"])
    except (ValueError, KeyError, TypeError):
        raise TapguardError(f"{path} did not report a version; is it terraform or tofu?") from None
    flavour = "tofu" if "tofu" in path.name or "OpenTofu" in out.stdout else "terraform"
    parsed = parse_version(version)
    if parsed is None:
        raise TapguardError(f"{path} reports version {version!r}, not MAJOR.MINOR.PATCH; use a released terraform or tofu >= 1.11")
    if parsed.release[:2] < (1, 11):
        raise TapguardError(f"{path} is {flavour} {version}; the stacks need >= 1.11 (ephemeral resources, write-only attributes)")
    return Binary(path=path, flavour=flavour, version=version)


def scan_mirror(root: Path) -> list[MirrorProvider]:
    """Providers laid out as HOST/NAMESPACE/NAME/VERSION/PLATFORM/terraform-provider-NAME_*."""
    found: list[MirrorProvider] = []
    if not root.is_dir():
        return found
    for exe in root.glob("*/*/*/*/*/terraform-provider-*"):
        match = _PROVIDER_DIR.match(exe.name)
        if not match:
            continue
        platform_dir = exe.parent
        version_dir = platform_dir.parent
        name_dir = version_dir.parent
        found.append(
            MirrorProvider(
                host=name_dir.parent.parent.name,
                namespace=name_dir.parent.name,
                name=name_dir.name,
                version=version_dir.name,
                platform=platform_dir.name,
            )
        )
    return sorted(set(found), key=lambda p: (p.source, p.version))


def registry_reachable(host: str = "registry.terraform.io", timeout: float = 2.0) -> bool:
    mode = os.environ.get(REGISTRY_ENV, "auto").lower()
    if mode in ("on", "off"):
        return mode == "on"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def find_provider_source(binary: Binary) -> ProviderSource:
    override = os.environ.get(MIRROR_ENV)
    candidates = [override] if override else list(MIRROR_CANDIDATES)
    for candidate in candidates:
        root = Path(candidate).expanduser()
        providers = scan_mirror(root)
        if providers:
            return ProviderSource(mirror=root, providers=providers, registry_reachable=registry_reachable())
        if override:
            raise TapguardError(f"{MIRROR_ENV}={override} holds no providers (expected HOST/NAMESPACE/NAME/VERSION/PLATFORM/)")
    if registry_reachable(binary.registry_host):
        return ProviderSource(mirror=None, registry_reachable=True)
    raise TapguardError(
        f"no provider source: {binary.registry_host} is unreachable and no filesystem mirror was found in "
        f"{', '.join(MIRROR_CANDIDATES)}; set {MIRROR_ENV} to a mirror holding hashicorp/aws 5.100.0"
    )


def write_cli_config(state_dir: Path, binary: Binary, source: ProviderSource) -> Path:
    """A CLI config of tapguard's own: mirror first for what it holds, registry for the rest."""
    state_dir.mkdir(parents=True, exist_ok=True)
    cache = state_dir / "plugin-cache"
    cache.mkdir(exist_ok=True)
    lines = [f'plugin_cache_dir = "{cache}"', "provider_installation {"]
    if source.mirror:
        mirror = source.mirror
        if binary.flavour == "tofu":
            mirror = _tofu_view(state_dir, source)
        includes = sorted({f"{binary.registry_host}/{p.source}" for p in source.providers})
        lines += [
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f"    include = {json.dumps(includes)}",
            "  }",
        ]
        if source.registry_reachable:
            lines += ["  direct {", f"    exclude = {json.dumps(includes)}", "  }"]
    else:
        lines += ["  direct {}"]
    lines.append("}")
    path = state_dir / f"{binary.flavour}.rc"
    _write_atomic(path, "\n".join(lines) + "\n")
    return path


def _tofu_view(state_dir: Path, source: ProviderSource) -> Path:
    """tofu resolves hashicorp/aws at registry.opentofu.org: link the mirror's providers there."""
    assert source.mirror is not None
    view = state_dir / "tofu-mirror" / "registry.opentofu.org"
    for p in source.providers:
        target = source.mirror / p.host / p.namespace / p.name
        link = view / p.namespace / p.name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)
    return view.parent


def _write_atomic(path: Path, text: str) -> None:
    """Write by rename from a temporary file of this process's own: concurrent writers (xdist workers, parallel
    checks) each replace the file whole, and none renames another's temporary file away."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(text)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def discover(state_dir: Path) -> Toolchain:
    binary = find_binary()
    source = find_provider_source(binary)
    return Toolchain(binary=binary, source=source, cli_config=write_cli_config(state_dir, binary, source))
