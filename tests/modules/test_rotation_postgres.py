"""The PostgreSQL single-user rotation function, step by step: Secrets Manager is moto, the database is a
real PostgreSQL 15 with SCRAM passwords on loopback (one initdb, a few seconds)."""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tapguard.lab.packages import PG_BIN

ROOT = Path(__file__).resolve().parents[2]
ROTATION = ROOT / "modules" / "secrets" / "rotation"
pytestmark = pytest.mark.lab

pg8000 = pytest.importorskip("pg8000.native", reason="pg8000 is the rotation function's driver: pip install -e '.[e2e]'")


def _user() -> str:
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    for name in ("postgres", "tapguard-lab"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.fail("no unprivileged user to run PostgreSQL as (tapguard lab install creates one)")


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict[str, Any]]:
    """A throwaway PostgreSQL with a superuser and an application login, password auth only."""
    if not (PG_BIN / "postgres").exists():
        pytest.fail(f"PostgreSQL 15 is not installed ({PG_BIN}); run: tapguard lab install")
    from tapguard.foundation.ports import free_ports

    user = _user()
    entry = pwd.getpwnam(user)
    as_user: dict[str, Any] = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []} if os.geteuid() == 0 else {}
    tmp = Path(tempfile.mkdtemp(prefix="tapguard-rotation-"))
    os.chown(tmp, entry.pw_uid, entry.pw_gid)
    pwfile = tmp / "pw"
    admin_password = uuid.uuid4().hex
    pwfile.write_text(admin_password)
    os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    data = tmp / "data"
    port = free_ports(1)[0]
    env = {"PATH": f"{PG_BIN}:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp)}
    run = {"env": env, "cwd": tmp, "capture_output": True, **as_user}
    initdb = [PG_BIN / "initdb", "-D", data, "-U", "admin", "--pwfile", pwfile, "--auth=scram-sha-256", "-E", "UTF8"]
    subprocess.run(initdb, timeout=120, check=True, **run)
    ctl = [PG_BIN / "pg_ctl", "-D", data, "-l", tmp / "log", "-w", "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1"]
    subprocess.run([*ctl, "start"], timeout=60, check=True, **run)
    try:
        admin = pg8000.Connection(user="admin", password=admin_password, host="127.0.0.1", port=port, database="postgres")
        app_password = uuid.uuid4().hex
        admin.run(f"CREATE ROLE app_admin LOGIN PASSWORD {pg8000.literal(app_password)}")
        admin.close()
        yield {"host": "127.0.0.1", "port": port, "app_password": app_password, "admin_password": admin_password}
    finally:
        subprocess.run([*ctl, "stop", "-m", "fast"], timeout=60, check=False, **run)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def rotator(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The function's module as Lambda loads it (from the source beside the zip), over moto."""
    from moto import mock_aws

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("REQUIRE_TLS", "false")  # loopback PostgreSQL without a certificate
    spec = importlib.util.spec_from_file_location("postgres_single_user", ROTATION / "postgres_single_user.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        spec.loader.exec_module(module)
        yield module
    sys.modules.pop("postgres_single_user", None)


def _secret(postgres: dict[str, Any], password: str) -> dict[str, Any]:
    return {
        "engine": "postgres",
        "host": postgres["host"],
        "port": postgres["port"],
        "username": "app_admin",
        "password": password,
        "dbname": "postgres",
    }


def _enable_rotation(sm: Any, name: str) -> None:
    """Rotation on, as aws_secretsmanager_secret_rotation leaves it (a function ARN and a schedule)."""
    import boto3

    iam = boto3.client("iam")
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    fn = boto3.client("lambda").create_function(
        FunctionName=f"lambda-pgrotation-{uuid.uuid4().hex[:6]}",
        Runtime="python3.12",
        Role=role,
        Handler="postgres_single_user.handler",
        Code={"ZipFile": (ROTATION / "postgres_single_user.zip").read_bytes()},
    )["FunctionArn"]
    # RotateImmediately=False: moto then only runs testSecret (a no-op without Docker) and keeps AWSCURRENT.
    sm.rotate_secret(SecretId=name, RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    pending = [v for v, stages in sm.describe_secret(SecretId=name)["VersionIdsToStages"].items() if stages == ["AWSPENDING"]]
    for version in pending:  # moto's test version is not a rotation in progress
        sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=version)


def _begin_rotation(name: str) -> str:
    """What Secrets Manager does before it invokes createSecret: an AWSPENDING version without a value.
    The public API has no call for it (RotateSecret does it inside AWS), so it is placed in moto's backend."""
    from moto.secretsmanager.models import secretsmanager_backends

    token = str(uuid.uuid4())
    secret = secretsmanager_backends["123456789012"]["us-west-2"].secrets[name]
    secret.versions[token] = {"createdate": int(time.time()), "version_id": token, "version_stages": ["AWSPENDING"]}
    return token


def _login(postgres: dict[str, Any], password: str) -> bool:
    try:
        pg8000.Connection(user="app_admin", password=password, host=postgres["host"], port=postgres["port"], database="postgres").close()
    except pg8000.DatabaseError:
        return False
    return True


def _event(name: str, token: str, step: str) -> dict[str, str]:
    return {"SecretId": name, "ClientRequestToken": token, "Step": step}


def test_four_steps_change_the_password_in_the_database_and_the_secret(rotator: ModuleType, postgres: dict[str, Any]) -> None:
    import boto3

    sm = boto3.client("secretsmanager")
    name = f"payments/aurora-{uuid.uuid4().hex[:6]}"
    old = postgres["app_password"]
    sm.create_secret(Name=name, SecretString=json.dumps(_secret(postgres, old)))
    _enable_rotation(sm, name)
    token = _begin_rotation(name)

    rotator.handler(_event(name, token, "createSecret"), None)
    pending = json.loads(sm.get_secret_value(SecretId=name, VersionId=token, VersionStage="AWSPENDING")["SecretString"])
    assert pending["password"] != old and len(pending["password"]) == 32
    assert {k: v for k, v in pending.items() if k != "password"} == {k: v for k, v in _secret(postgres, old).items() if k != "password"}
    rotator.handler(_event(name, token, "createSecret"), None)  # a retry keeps the first password
    again = json.loads(sm.get_secret_value(SecretId=name, VersionId=token, VersionStage="AWSPENDING")["SecretString"])
    assert again["password"] == pending["password"]

    assert _login(postgres, old) and not _login(postgres, pending["password"])
    rotator.handler(_event(name, token, "setSecret"), None)
    assert _login(postgres, pending["password"]) and not _login(postgres, old)
    rotator.handler(_event(name, token, "setSecret"), None)  # retried: the pending login works, nothing to do

    rotator.handler(_event(name, token, "testSecret"), None)
    current = json.loads(sm.get_secret_value(SecretId=name, VersionStage="AWSCURRENT")["SecretString"])
    assert current["password"] == old  # AWSCURRENT moves only in finishSecret

    rotator.handler(_event(name, token, "finishSecret"), None)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[token]
    # The stage is named: moto answers an unstaged read from the version it created first, AWS from AWSCURRENT.
    assert json.loads(sm.get_secret_value(SecretId=name, VersionStage="AWSCURRENT")["SecretString"])["password"] == pending["password"]
    assert json.loads(sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])["password"] == old
    postgres["app_password"] = pending["password"]


def test_test_secret_fails_when_the_pending_password_was_never_set(rotator: ModuleType, postgres: dict[str, Any]) -> None:
    import boto3

    sm = boto3.client("secretsmanager")
    name = f"payments/aurora-{uuid.uuid4().hex[:6]}"
    sm.create_secret(Name=name, SecretString=json.dumps(_secret(postgres, postgres["app_password"])))
    _enable_rotation(sm, name)
    token = _begin_rotation(name)
    rotator.handler(_event(name, token, "createSecret"), None)
    with pytest.raises(RuntimeError, match="pending password"):
        rotator.handler(_event(name, token, "testSecret"), None)
    assert "AWSCURRENT" not in sm.describe_secret(SecretId=name)["VersionIdsToStages"][token]


def test_set_secret_fails_when_no_known_password_logs_in(rotator: ModuleType, postgres: dict[str, Any]) -> None:
    import boto3

    sm = boto3.client("secretsmanager")
    name = f"payments/aurora-{uuid.uuid4().hex[:6]}"
    sm.create_secret(Name=name, SecretString=json.dumps(_secret(postgres, "not-the-password")))
    _enable_rotation(sm, name)
    token = _begin_rotation(name)
    rotator.handler(_event(name, token, "createSecret"), None)
    with pytest.raises(RuntimeError, match="cannot log in"):
        rotator.handler(_event(name, token, "setSecret"), None)
    assert _login(postgres, postgres["app_password"])


def test_refuses_a_secret_without_rotation_or_a_version_that_is_not_pending(rotator: ModuleType, postgres: dict[str, Any]) -> None:
    import boto3

    sm = boto3.client("secretsmanager")
    name = f"payments/aurora-{uuid.uuid4().hex[:6]}"
    version = sm.create_secret(Name=name, SecretString=json.dumps(_secret(postgres, "x")))["VersionId"]
    with pytest.raises(ValueError, match="rotation is not enabled"):
        rotator.handler(_event(name, str(uuid.uuid4()), "createSecret"), None)
    _enable_rotation(sm, name)
    with pytest.raises(ValueError, match="has no stage"):
        rotator.handler(_event(name, str(uuid.uuid4()), "createSecret"), None)
    rotator.handler(_event(name, version, "setSecret"), None)  # AWSCURRENT already: nothing to do


def test_packages_hold_their_sources_and_are_reproducible() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "rotation_zip.py"), "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
