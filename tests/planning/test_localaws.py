"""The embedded AWS endpoint against a real moto server: start, seed, answer, stop, no leftovers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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


def test_the_endpoint_ends_with_the_process_that_started_it_even_when_killed_outright(tmp_path: Path) -> None:
    # a tapguard (or a test run under a CPU limit) killed with SIGKILL runs no cleanup: the tether still ends the server
    script = (
        "import sys, time\n"
        "from tapguard.planning.localaws import LocalAWS\n"
        "aws = LocalAWS()\n"
        "aws.start()\n"
        "print(aws.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        server = int(parent.stdout.readline())
        os.kill(server, 0)  # it runs
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(server, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(server, signal.SIGKILL)
    raise AssertionError(f"the endpoint (pid {server}) outlived the process that started it")


def test_the_tether_runs_its_module_as_main_with_its_arguments(tmp_path: Path) -> None:
    (tmp_path / "probe_module.py").write_text("import sys\nprint(__name__, sys.argv[1:])\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    # stdin: a pipe this test holds open while the module runs (closed at once, the tether would end it first)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tapguard.foundation.tether", "probe_module", "-p", "1234"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    assert proc.stdin is not None
    proc.stdin.close()
    assert (proc.wait(timeout=60), out) == (0, "__main__ ['-p', '1234']\n"), err
    usage = subprocess.run([sys.executable, "-m", "tapguard.foundation.tether"], capture_output=True, text=True, timeout=60, check=False)
    assert usage.returncode == 1 and "usage: python -m tapguard.foundation.tether MODULE" in usage.stderr
