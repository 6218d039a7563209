"""The AWS rotate fault's control plane: RotateSecret, a waiter of our own until the new version is AWSCURRENT, the judgement.

Secrets Manager is botocore's Stubber on the real API model (moto runs rotation Lambdas only in
Docker). The database's answer to a login is a function of the password here; on AWS it is a
real login through the cluster or replication group endpoint.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import WaiterError
from botocore.stub import Stubber

from tapguard.drill.targets.aws import AwsAurora, AwsElastiCache
from tapguard.drill.targets.aws_rotation import AwsSecretRotation, wait_rotated
from tapguard.foundation.errors import TapguardError

ARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:aurora-master-AbCdEf"
OLD, NEW = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def client() -> Any:
    return boto3.client("secretsmanager", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def describe(stages: dict[str, list[str]], enabled: bool = True) -> dict[str, Any]:
    return {"ARN": ARN, "Name": "aurora-master", "RotationEnabled": enabled, "VersionIdsToStages": stages}


def value(version: str, password: str) -> dict[str, Any]:
    return {"ARN": ARN, "Name": "aurora-master", "VersionId": version, "SecretString": json.dumps({"password": password})}


def stub_rotation(stub: Stubber, finishes: bool = True) -> None:
    current = {"SecretId": ARN, "VersionStage": "AWSCURRENT"}
    stub.add_response("get_secret_value", value(OLD, "old-password"), current)
    stub.add_response("rotate_secret", {"ARN": ARN, "VersionId": NEW}, {"SecretId": ARN, "RotateImmediately": True})
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"], NEW: ["AWSPENDING"]}), {"SecretId": ARN})
    if finishes:
        stub.add_response("describe_secret", describe({OLD: ["AWSPREVIOUS"], NEW: ["AWSCURRENT", "AWSPENDING"]}), {"SecretId": ARN})
        stub.add_response("get_secret_value", value(NEW, "new-password"), current)
    else:
        stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"], NEW: ["AWSPENDING"]}), {"SecretId": ARN})
        stub.add_response("get_secret_value", value(OLD, "old-password"), current)


def test_a_rotation_that_moves_awscurrent_and_refuses_the_old_password_passes() -> None:
    secrets = client()
    accepted = {"new-password"}
    rotation = AwsSecretRotation(secrets, ARN, "password", lambda p: p in accepted, delay=0, max_attempts=3)
    with Stubber(secrets) as stub:
        stub_rotation(stub)
        result = rotation.run()
        stub.assert_no_pending_responses()
    assert result["completed"] and result["awscurrent_moved"] and result["old_refused"] and result["new_accepted"]
    assert result["version"] == NEW and "old-password" not in json.dumps(result) and "new-password" not in json.dumps(result)
    assert rotation.findings("password") == []


def test_an_old_password_still_accepted_fails() -> None:
    secrets = client()
    rotation = AwsSecretRotation(secrets, ARN, "password", lambda p: True, delay=0, max_attempts=3)
    with Stubber(secrets) as stub:
        stub_rotation(stub)
        rotation.run()
    assert rotation.findings("password") == ["rotation: the old password is still accepted"]


def test_a_rotation_that_never_finishes_fails_with_the_wait_it_gave() -> None:
    secrets = client()
    rotation = AwsSecretRotation(secrets, ARN, "password", lambda p: p == "old-password", delay=0, max_attempts=2)
    with Stubber(secrets) as stub:
        stub_rotation(stub, finishes=False)
        result = rotation.run()
    assert not result["completed"] and not result["awscurrent_moved"]
    found = rotation.findings("password")
    assert found[0].startswith(f"rotation did not complete: version {NEW} did not become AWSCURRENT within 0 s")
    assert "rotation: AWSCURRENT did not move to the new version" in found


def test_a_login_that_cannot_be_made_is_unproven_not_refused() -> None:
    def unreachable(password: str) -> bool:
        raise OSError("no route to host")

    secrets = client()
    rotation = AwsSecretRotation(secrets, ARN, "password", unreachable, delay=0, max_attempts=3)
    with Stubber(secrets) as stub:
        stub_rotation(stub)
        result = rotation.run()
    assert result["old_refused"] is None and result["new_accepted"] is None
    assert rotation.findings("password") == ["rotation: could not log in to judge the old credential and the new credential"]


def test_the_waiter_stops_at_a_deleted_secret() -> None:
    secrets = client()
    with Stubber(secrets) as stub:
        stub.add_client_error("describe_secret", "ResourceNotFoundException", "gone")
        with pytest.raises(WaiterError):
            wait_rotated(secrets, ARN, NEW, delay=0, max_attempts=3)


@pytest.mark.parametrize(
    ("meta", "problem"),
    [
        (describe({OLD: ["AWSCURRENT"]}, enabled=False), "rotation is not enabled on secret aurora-master"),
        (describe({OLD: ["AWSCURRENT"], NEW: ["AWSPENDING"]}), "a rotation is already in progress"),
    ],
)
def test_preconditions_refuse_a_secret_that_cannot_be_rotated_now(meta: dict[str, Any], problem: str) -> None:
    secrets = client()
    with Stubber(secrets) as stub:
        stub.add_response("describe_secret", meta, {"SecretId": ARN})
        problems = AwsSecretRotation(secrets, ARN, "password", lambda p: True).preconditions()
    assert len(problems) == 1 and problems[0].startswith(problem)


class Session:
    def __init__(self, **clients: Any) -> None:
        self.clients = clients

    def client(self, name: str) -> Any:
        return self.clients[name]


def test_targets_refuse_faults_aws_cannot_run() -> None:
    session = Session(rds=None, elasticache=None)
    with pytest.raises(TapguardError, match="failover, rotate"):
        AwsAurora(session, "c", fault="kill")
    with pytest.raises(TapguardError, match="failover, rotate"):
        AwsElastiCache(session, "g", fault="hang")
