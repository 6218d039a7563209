# mypy: ignore-errors
# fmt: off
# A copy of modules/secrets/rotation/elasticache_auth.py, shipped with tapguard (tests/drill/targets/test_rotation.py keeps it equal).
"""Secrets Manager rotation for an ElastiCache Redis AUTH token.

The four rotation steps of Secrets Manager's protocol. setSecret adds the pending
token next to the current one (AuthTokenUpdateStrategy=ROTATE) so clients keep
working during the switch; finishSecret makes the new token the only one (SET).
The secret is JSON: {"replication_group_id": ..., "token": ...}.
"""

import json
import os

import boto3

secrets = boto3.client("secretsmanager")
elasticache = boto3.client("elasticache")
EXCLUDE = os.environ.get("EXCLUDE_CHARACTERS", "@\"/\\' ")


def handler(event, _context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    meta = secrets.describe_secret(SecretId=arn)
    if not meta.get("RotationEnabled"):
        raise ValueError(f"rotation is not enabled for {arn}")
    stages = meta["VersionIdsToStages"].get(token)
    if stages is None:
        raise ValueError(f"version {token} has no stage for {arn}")
    if "AWSCURRENT" in stages:
        return
    current = json.loads(secrets.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
    group = current["replication_group_id"]

    if step == "createSecret":
        try:
            secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except secrets.exceptions.ResourceNotFoundException:
            new = secrets.get_random_password(PasswordLength=64, ExcludeCharacters=EXCLUDE)["RandomPassword"]
            secrets.put_secret_value(
                SecretId=arn,
                ClientRequestToken=token,
                SecretString=json.dumps({**current, "token": new}),
                VersionStages=["AWSPENDING"],
            )
    elif step == "setSecret":
        pending = _pending(arn, token)
        elasticache.modify_replication_group(
            ReplicationGroupId=group,
            AuthToken=pending["token"],
            AuthTokenUpdateStrategy="ROTATE",
            ApplyImmediately=True,
        )
    elif step == "testSecret":
        described = elasticache.describe_replication_groups(ReplicationGroupId=group)
        status = described["ReplicationGroups"][0]["Status"]
        if status not in ("available", "modifying"):
            raise RuntimeError(f"{group} is {status}; the pending token is not applied")
    elif step == "finishSecret":
        pending = _pending(arn, token)
        elasticache.modify_replication_group(
            ReplicationGroupId=group,
            AuthToken=pending["token"],
            AuthTokenUpdateStrategy="SET",
            ApplyImmediately=True,
        )
        old = next(v for v, s in meta["VersionIdsToStages"].items() if "AWSCURRENT" in s)
        secrets.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=old
        )
    else:
        raise ValueError(f"unknown rotation step {step}")


def _pending(arn, token):
    value = secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
    return json.loads(value["SecretString"])
