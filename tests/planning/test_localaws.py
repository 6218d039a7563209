"""The embedded AWS endpoint against a real moto server: start, seed, answer, stop, no leftovers."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from tapguard.planning import localaws, project


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/status").read_text().split("State:")[1].strip().startswith("Z")


def test_lifecycle_seeding_and_teardown(root: Path) -> None:
    envs = project.environments(root)
    with localaws.running(envs) as endpoint:
        pid = endpoint.process.pid if endpoint.process else -1
        with urllib.request.urlopen(f"{endpoint.endpoint}/moto-api/data.json", timeout=5) as response:
            assert response.status == 200
        client = endpoint.client("secretsmanager", "us-west-2")
        value = json.loads(client.get_secret_value(SecretId="payments/aurora-master")["SecretString"])
        assert set(value) >= {"username", "password", "host", "port", "dbname", "engine"}
        described = client.describe_secret(SecretId="payments/aurora-master")
        assert described["KmsKeyId"].startswith("arn:aws:kms:us-west-2:")
        assert endpoint.env()["AWS_ENDPOINT_URL"] == endpoint.endpoint
    assert not _alive(pid)


def test_teardown_when_the_body_fails(root: Path) -> None:
    pid = -1
    with pytest.raises(RuntimeError), localaws.running([]) as endpoint:
        pid = endpoint.process.pid if endpoint.process else -1
        raise RuntimeError("test failure inside the context")
    assert pid > 0 and not _alive(pid)


def test_teardown_on_keyboard_interrupt() -> None:
    pid = -1
    with pytest.raises(KeyboardInterrupt), localaws.running([]) as endpoint:
        pid = endpoint.process.pid if endpoint.process else -1
        raise KeyboardInterrupt
    assert pid > 0 and not _alive(pid)


def test_mode_defaults_to_local_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in localaws.CREDENTIAL_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert localaws.choose_mode(False, False) == "local"
    assert localaws.choose_mode(False, True) == "aws"
    monkeypatch.setenv("AWS_PROFILE", "prod")
    assert localaws.choose_mode(False, False) == "aws"
    assert localaws.choose_mode(True, False) == "local"


def test_secret_values_are_random_per_seed(root: Path) -> None:
    env = project.load_environment(root / "environments/us-west-2")
    first = localaws.secret_value("aurora_master", env)["password"]
    second = localaws.secret_value("aurora_master", env)["password"]
    assert first != second and len(first) >= 32
