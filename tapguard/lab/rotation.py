"""Running the stacks' own Redis AUTH rotator (modules/secrets/rotation/elasticache_auth.py) against the lab.

The rotator is a Lambda: Secrets Manager calls its handler once per step (createSecret,
setSecret, testSecret, finishSecret) with a new version id, and the handler calls Secrets
Manager and ElastiCache. In the lab:

- Secrets Manager is the embedded endpoint (moto). The one thing it cannot do is what
  RotateSecret does before the first step: register the new version id with the AWSPENDING
  stage (moto would need to run the Lambda in Docker for that). `RotatingSecrets` adds exactly
  that to `describe_secret`, and passes every other call through unchanged.
- ElastiCache is `LabElastiCache`: `modify_replication_group(AuthToken, AuthTokenUpdateStrategy)`
  applied to real redis-servers with the semantics ElastiCache documents: ROTATE adds the new
  token next to the current one, SET makes it the only one. It works as an ACL admin user, as
  the ElastiCache control plane does not use the customer's token either.

`rotate()` then plays Secrets Manager: the four steps in order, stopping at the first failure
(AWSCURRENT is moved by finishSecret only).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tapguard.foundation.errors import TapguardError
from tapguard.lab.redis import ADMIN_USER

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
_IMPORT_LOCK = threading.Lock()


class RotatingSecrets:
    """A Secrets Manager client during one rotation: versions registered by RotateSecret show as AWSPENDING."""

    def __init__(self, client: Any, rotation_enabled: bool = True) -> None:
        self.client = client
        self.exceptions = client.exceptions
        self.rotation_enabled = rotation_enabled
        self.registered: dict[str, str] = {}  # secret id -> version id being rotated in

    def register(self, secret_id: str, token: str) -> None:
        self.registered[secret_id] = token

    def describe_secret(self, SecretId: str) -> dict[str, Any]:
        meta = dict(self.client.describe_secret(SecretId=SecretId))
        meta["RotationEnabled"] = self.rotation_enabled
        stages = {k: list(v) for k, v in meta.get("VersionIdsToStages", {}).items()}
        token = self.registered.get(SecretId)
        if token is not None and token not in stages:
            stages[token] = ["AWSPENDING"]
        meta["VersionIdsToStages"] = stages
        return meta

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@dataclass
class LabElastiCache:
    """ElastiCache's AUTH token control plane over the lab's redis-servers (default user's passwords)."""

    group_id: str
    ports: list[int]
    admin_password: str
    sentinel_ports: list[int] = field(default_factory=list)
    sentinel_master: str = ""
    status: str = "available"
    calls: list[dict[str, Any]] = field(default_factory=list)  # (strategy, ok) in order, never the token

    class exceptions:
        class ReplicationGroupNotFoundFault(Exception):
            pass

    def _admin(self, port: int) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1",
            port=port,
            username=ADMIN_USER,
            password=self.admin_password,
            socket_timeout=2,
            socket_connect_timeout=2,
            retry=Retry(NoBackoff(), 0),  # the Lambda's call fails once; Secrets Manager retries the step
        )

    def modify_replication_group(
        self,
        ReplicationGroupId: str,
        AuthToken: str,
        AuthTokenUpdateStrategy: str,
        ApplyImmediately: bool = True,
    ) -> dict[str, Any]:
        if ReplicationGroupId != self.group_id:
            raise self.exceptions.ReplicationGroupNotFoundFault(f"replication group {ReplicationGroupId} not found")
        if AuthTokenUpdateStrategy not in ("ROTATE", "SET"):
            raise ValueError(f"AuthTokenUpdateStrategy {AuthTokenUpdateStrategy!r} (ROTATE or SET)")
        entry: dict[str, Any] = {"strategy": AuthTokenUpdateStrategy, "ok": False}
        self.calls.append(entry)
        # ROTATE: both tokens authenticate; SET: only the new one
        rule = [f">{AuthToken}"] if AuthTokenUpdateStrategy == "ROTATE" else ["resetpass", f">{AuthToken}"]
        for port in self.ports:
            self._admin(port).execute_command("ACL", "SETUSER", "default", "on", *rule)
        entry["ok"] = True
        return {"ReplicationGroup": {"ReplicationGroupId": self.group_id, "Status": "modifying" if not ApplyImmediately else self.status}}

    def describe_replication_groups(self, ReplicationGroupId: str) -> dict[str, Any]:
        if ReplicationGroupId != self.group_id:
            raise self.exceptions.ReplicationGroupNotFoundFault(f"replication group {ReplicationGroupId} not found")
        return {"ReplicationGroups": [{"ReplicationGroupId": self.group_id, "Status": self.status, "AuthTokenEnabled": True}]}


def load_lambda(path: Path) -> ModuleType:
    """Import a rotation Lambda's module fresh, under a name of its own (a missing driver names the extra)."""
    if not path.is_file():
        raise TapguardError(f"rotator {path} not found")
    spec = importlib.util.spec_from_file_location(f"tapguard_rotator_{uuid.uuid4().hex[:8]}", path)
    if spec is None or spec.loader is None:
        raise TapguardError(f"cannot load rotator {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        with _IMPORT_LOCK, _region_for_import():
            spec.loader.exec_module(module)
    except ImportError as exc:
        raise TapguardError(f"the rotator {path.name} needs {exc.name}: pip install 'tapguard[drill]'") from None
    return module


def load_rotator(path: Path, secrets: Any, elasticache: Any) -> ModuleType:
    """The Redis AUTH rotator, given the lab's clients in place of the ones it builds at import."""
    module = load_lambda(path)
    setattr(module, "secrets", secrets)  # noqa: B010 - the Lambda's module globals, named by the Lambda
    setattr(module, "elasticache", elasticache)  # noqa: B010
    return module


@contextlib.contextmanager
def _region_for_import() -> Iterator[None]:
    """The module builds boto3 clients at import (replaced right after); they need a region to be built at all."""
    if os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION"):
        yield
        return
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    try:
        yield
    finally:
        os.environ.pop("AWS_DEFAULT_REGION", None)


@dataclass
class RotationRun:
    token: str
    steps: list[dict[str, Any]]
    completed: bool
    error: str | None = None


def rotate(
    handler: Callable[[dict[str, Any], Any], Any],
    secrets: RotatingSecrets,
    secret_id: str,
    token: str | None = None,
    steps: tuple[str, ...] = STEPS,
    clock: Callable[[], float] | None = None,
) -> RotationRun:
    """What Secrets Manager's RotateSecret does with a rotation Lambda: register the version, run each step, stop at a failure."""
    now = clock or time.monotonic
    token = token or str(uuid.uuid4())
    secrets.register(secret_id, token)
    done: list[dict[str, Any]] = []
    for step in steps:
        started = now()
        try:
            handler({"SecretId": secret_id, "ClientRequestToken": token, "Step": step}, None)
        except Exception as exc:  # Secrets Manager records the failure and stops the rotation there
            done.append({"step": step, "start": started, "end": now(), "ok": False, "error": type(exc).__name__})
            return RotationRun(token, done, False, f"{step} failed: {type(exc).__name__}")
        done.append({"step": step, "start": started, "end": now(), "ok": True})
    return RotationRun(token, done, steps[-1] == "finishSecret")
