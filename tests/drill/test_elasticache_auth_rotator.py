"""The stacks' Redis AUTH rotator (modules/secrets/rotation/elasticache_auth.py), step by step.

Real parts: the rotator's own module, Secrets Manager answered by moto, and a real
redis-server whose passwords the lab's ElastiCache stand-in changes with ElastiCache's
ROTATE / SET semantics. Each test proves what a token can do on that server.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis
from moto import mock_aws
from redis.backoff import NoBackoff
from redis.retry import Retry

from tapguard.foundation.ports import free_ports
from tapguard.lab import processes
from tapguard.lab.rotation import ADMIN_USER, STEPS, LabElastiCache, RotatingSecrets, load_rotator, rotate

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
ROTATOR = ROOT / "modules" / "secrets" / "rotation" / "elasticache_auth.py"
GROUP = "redis-cache-dev"
SECRET = "payments/redis-auth"
OLD_TOKEN = "old-token-" + "x" * 40
ADMIN_PASSWORD = "admin-" + "y" * 40


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    directory = tmp_path_factory.mktemp("redis")
    port = free_ports(1)[0]
    conf = directory / "redis.conf"
    conf.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                f"port {port}",
                f"dir {directory}",
                'save ""',
                f"user {ADMIN_USER} on >{ADMIN_PASSWORD} ~* &* +@all",
                f"requirepass {OLD_TOKEN}",
            ]
        )
        + "\n"
    )
    conf.chmod(0o600)
    proc = subprocess.Popen(["redis-server", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port, password=OLD_TOKEN, socket_timeout=1).ping():
                break
        except redis.RedisError:
            time.sleep(0.05)
    yield port
    processes.kill_and_wait(processes.tree({proc.pid}))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


class World:
    """One secret, one replication group (a real redis-server), and the rotator wired to both."""

    def __init__(self, port: int, rotation_enabled: bool = True) -> None:
        self.port = port
        self.sm = boto3.client("secretsmanager", region_name="us-east-1")
        self.arn = self.sm.create_secret(Name=SECRET, SecretString=json.dumps({"replication_group_id": GROUP, "token": OLD_TOKEN}))["ARN"]
        self.secrets = RotatingSecrets(self.sm, rotation_enabled=rotation_enabled)
        self.elasticache = LabElastiCache(GROUP, [port], ADMIN_PASSWORD)
        self.rotator = load_rotator(ROTATOR, self.secrets, self.elasticache)

    def run(self, *steps: str, token: str | None = None) -> Any:
        return rotate(self.rotator.handler, self.secrets, self.arn, token=token, steps=steps or STEPS)

    def stage(self, stage: str) -> tuple[str, dict[str, Any]]:
        value = self.sm.get_secret_value(SecretId=self.arn, VersionStage=stage)
        return value["VersionId"], json.loads(value["SecretString"])

    def accepts(self, token: str) -> bool:
        try:
            return bool(redis.Redis(port=self.port, password=token, socket_timeout=1, retry=Retry(NoBackoff(), 0)).ping())
        except redis.AuthenticationError:
            return False


@pytest.fixture
def world(aws: None, redis_port: int) -> Iterator[World]:
    w = World(redis_port)
    yield w
    # the next test starts from the old token again
    redis.Redis(port=redis_port, username=ADMIN_USER, password=ADMIN_PASSWORD).execute_command(
        "ACL", "SETUSER", "default", "on", "resetpass", f">{OLD_TOKEN}"
    )


def test_each_step_does_its_part_and_the_old_token_is_refused_afterwards(world: World) -> None:
    old_version, _ = world.stage("AWSCURRENT")
    token = "11111111-2222-3333-4444-555555555555"

    assert world.run("createSecret", token=token).completed is False  # stops after the one step asked
    pending_version, pending = world.stage("AWSPENDING")
    assert pending_version == token and pending["replication_group_id"] == GROUP
    new = pending["token"]
    assert new != OLD_TOKEN and len(new) == 64 and not set(new) & set("@\"/\\' ")
    assert world.stage("AWSCURRENT")[0] == old_version
    assert world.accepts(OLD_TOKEN) and not world.accepts(new)  # nothing applied yet

    world.run("setSecret", token=token)
    assert world.accepts(OLD_TOKEN) and world.accepts(new)  # ROTATE: clients on either token keep working
    assert world.stage("AWSCURRENT")[0] == old_version

    world.run("testSecret", token=token)
    world.run("finishSecret", token=token)
    current_version, current = world.stage("AWSCURRENT")
    assert current_version == token and current["token"] == new
    assert world.accepts(new) and not world.accepts(OLD_TOKEN)  # SET: the old token is refused
    stages = world.sm.describe_secret(SecretId=world.arn)["VersionIdsToStages"]
    assert "AWSPREVIOUS" in stages[old_version]


def test_rotate_is_applied_before_set(world: World) -> None:
    run = world.run()
    assert run.completed and [s["step"] for s in run.steps] == list(STEPS)
    assert [c["strategy"] for c in world.elasticache.calls] == ["ROTATE", "SET"]
    assert all(c["ok"] for c in world.elasticache.calls)


def test_every_step_run_twice_gives_the_same_result(world: World) -> None:
    token = "22222222-2222-3333-4444-555555555555"
    world.run("createSecret", token=token)
    first = world.stage("AWSPENDING")[1]["token"]
    world.run("createSecret", token=token)
    assert world.stage("AWSPENDING")[1]["token"] == first  # a retried createSecret keeps the pending token
    world.run("setSecret", "setSecret", "testSecret", "testSecret", token=token)
    assert world.accepts(OLD_TOKEN) and world.accepts(first)
    world.run("finishSecret", token=token)
    calls = len(world.elasticache.calls)
    again = world.run(*STEPS, token=token)  # Secrets Manager retrying a finished rotation: every step a no-op
    assert again.completed and len(world.elasticache.calls) == calls
    assert world.stage("AWSCURRENT") == (token, {"replication_group_id": GROUP, "token": first})
    assert world.accepts(first) and not world.accepts(OLD_TOKEN)


def test_a_failed_set_leaves_awscurrent_and_the_old_token_untouched(world: World) -> None:
    old = world.stage("AWSCURRENT")
    world.elasticache.ports = [free_ports(1)[0]]  # the cluster cannot be reached
    run = world.run()
    assert not run.completed and run.error is not None and run.error.startswith("setSecret failed")
    assert [s["step"] for s in run.steps] == ["createSecret", "setSecret"]
    assert world.stage("AWSCURRENT") == old
    assert world.accepts(OLD_TOKEN)


def test_a_failed_finish_leaves_awscurrent_untouched(world: World) -> None:
    old = world.stage("AWSCURRENT")
    token = "33333333-2222-3333-4444-555555555555"
    world.run("createSecret", "setSecret", "testSecret", token=token)
    world.elasticache.ports = [free_ports(1)[0]]
    run = world.run("finishSecret", token=token)
    assert not run.completed and run.error is not None and run.error.startswith("finishSecret failed")
    assert world.stage("AWSCURRENT") == old
    assert world.accepts(OLD_TOKEN)  # clients on the current token were never cut off


def test_test_step_fails_while_the_group_is_not_available(world: World) -> None:
    old = world.stage("AWSCURRENT")
    world.elasticache.status = "snapshotting"
    run = world.run()
    assert not run.completed and run.error == "testSecret failed: RuntimeError"
    assert world.stage("AWSCURRENT") == old


def test_rotation_refused_when_not_enabled_or_for_an_unknown_version(aws: None, redis_port: int) -> None:
    disabled = World(redis_port, rotation_enabled=False)
    assert disabled.run().error == "createSecret failed: ValueError"
    assert disabled.elasticache.calls == []
    enabled = World.__new__(World)
    enabled.__dict__.update(disabled.__dict__)
    enabled.secrets.rotation_enabled = True
    with pytest.raises(ValueError, match="has no stage"):
        enabled.rotator.handler({"SecretId": enabled.arn, "ClientRequestToken": "never-registered", "Step": "createSecret"}, None)
    run = enabled.run("createSecret", token="44444444-2222-3333-4444-555555555555")
    assert run.steps[0]["ok"]
    with pytest.raises(ValueError, match="unknown rotation step"):
        enabled.rotator.handler({"SecretId": enabled.arn, "ClientRequestToken": run.token, "Step": "revokeSecret"}, None)
