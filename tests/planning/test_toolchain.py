"""Finding terraform/tofu and a provider source, and the CLI config tapguard writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tapguard.foundation.errors import TapguardError
from tapguard.planning import toolchain


def _mirror(tmp_path: Path) -> Path:
    exe = tmp_path / "mirror/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5"
    exe.parent.mkdir(parents=True)
    exe.write_text("")
    return tmp_path / "mirror"


def test_binary_is_found_and_described() -> None:
    binary = toolchain.find_binary()
    assert binary.flavour in ("terraform", "tofu")
    assert tuple(int(x) for x in binary.version.split(".")[:2]) >= (1, 11)


def test_binary_override_that_is_not_executable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(toolchain.BINARY_ENV, str(tmp_path / "nothing"))
    with pytest.raises(TapguardError, match=r"TAPGUARD_TERRAFORM=.* is not an executable"):
        toolchain.find_binary()


def test_no_binary_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(toolchain.BINARY_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TapguardError, match="neither terraform nor tofu is on PATH"):
        toolchain.find_binary()


def test_scan_mirror_reads_the_layout(tmp_path: Path) -> None:
    providers = toolchain.scan_mirror(_mirror(tmp_path))
    assert [(p.host, p.source, p.version, p.platform) for p in providers] == [
        ("registry.terraform.io", "hashicorp/aws", "5.100.0", "linux_amd64")
    ]


def test_mirror_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(toolchain.MIRROR_ENV, str(_mirror(tmp_path)))
    monkeypatch.setenv(toolchain.REGISTRY_ENV, "off")
    source = toolchain.find_provider_source(toolchain.find_binary())
    assert source.mirror == tmp_path / "mirror" and not source.registry_reachable


def test_empty_mirror_override_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(toolchain.MIRROR_ENV, str(tmp_path))
    with pytest.raises(TapguardError, match="holds no providers"):
        toolchain.find_provider_source(toolchain.find_binary())


def test_no_source_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(toolchain.MIRROR_ENV, raising=False)
    monkeypatch.setattr(toolchain, "MIRROR_CANDIDATES", ("/nonexistent/mirror",))
    monkeypatch.setenv(toolchain.REGISTRY_ENV, "off")
    with pytest.raises(TapguardError, match=r"no provider source: registry\.terraform\.io is unreachable"):
        toolchain.find_provider_source(toolchain.find_binary())


def test_cli_config_for_terraform_uses_the_mirror_and_never_the_home_rc(tmp_path: Path) -> None:
    source = toolchain.ProviderSource(
        mirror=_mirror(tmp_path), providers=toolchain.scan_mirror(tmp_path / "mirror"), registry_reachable=True
    )
    binary = toolchain.Binary(Path("/usr/bin/terraform"), "terraform", "1.11.4")
    rc = toolchain.write_cli_config(tmp_path / "state", binary, source).read_text()
    assert f'path    = "{tmp_path / "mirror"}"' in rc
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in rc
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in rc
    assert "plugin_cache_dir" in rc


def test_cli_config_for_tofu_links_the_mirror_under_opentofu(tmp_path: Path) -> None:
    source = toolchain.ProviderSource(mirror=_mirror(tmp_path), providers=toolchain.scan_mirror(tmp_path / "mirror"))
    binary = toolchain.Binary(Path("/usr/bin/tofu"), "tofu", "1.11.0")
    rc = toolchain.write_cli_config(tmp_path / "state", binary, source).read_text()
    assert 'include = ["registry.opentofu.org/hashicorp/aws"]' in rc
    assert (tmp_path / "state/tofu-mirror/registry.opentofu.org/hashicorp/aws/5.100.0/linux_amd64").is_dir()


def test_the_cli_config_survives_concurrent_writers(tmp_path: Path) -> None:
    """xdist workers and parallel checks write .tapguard/terraform.rc at once: each replaces it whole, none fails."""
    from concurrent.futures import ThreadPoolExecutor

    from tapguard.planning.toolchain import _write_atomic

    target = tmp_path / "terraform.rc"
    texts = [f"writer {i}\n" * 200 for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda text: [_write_atomic(target, text) for _ in range(50)], texts))
    assert target.read_text() in texts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["terraform.rc"]  # no temporary file left behind
