# mypy: ignore-errors
# fmt: off
# A copy of modules/secrets/rotation/postgres_single_user.py, shipped with tapguard (tests/drill/targets/test_rotation.py keeps it equal).
"""Secrets Manager single-user rotation for a PostgreSQL (Aurora) login.

The four steps of Secrets Manager's rotation protocol for a secret that holds the
credentials of one login, which changes its own password:

- createSecret: a new password from GetRandomPassword, stored as AWSPENDING;
- setSecret:    log in with the pending password (already set: nothing to do), else with
                the current one (or the previous one, after an interrupted rotation) and
                ALTER ROLE ... PASSWORD;
- testSecret:   log in with the pending password and run a query;
- finishSecret: move AWSCURRENT to the pending version.

The secret is JSON: {"engine", "host", "port", "username", "password", "dbname"}.
Connections use TLS unless REQUIRE_TLS is "false" (only the unit tests on loopback set it).
pg8000 (pure Python) is packaged beside this file in postgres_single_user.zip.
"""

import json
import os
import ssl

import boto3
import pg8000.native

EXCLUDE = os.environ.get("EXCLUDE_CHARACTERS", "@\"/\\' ")
PASSWORD_LENGTH = int(os.environ.get("PASSWORD_LENGTH", "32"))
REQUIRED_FIELDS = ("host", "username", "password")
_clients = {}


def _secrets():
    # Created on first use so the endpoint (AWS_ENDPOINT_URL) is read when the handler runs.
    if "secretsmanager" not in _clients:
        _clients["secretsmanager"] = boto3.client("secretsmanager")
    return _clients["secretsmanager"]


def handler(event, _context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    secrets = _secrets()
    meta = secrets.describe_secret(SecretId=arn)
    if not meta.get("RotationEnabled"):
        raise ValueError(f"rotation is not enabled for {arn}")
    versions = meta["VersionIdsToStages"]
    if token not in versions:
        raise ValueError(f"version {token} has no stage for {arn}")
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError(f"version {token} is not AWSPENDING for {arn}")

    if step == "createSecret":
        create_secret(secrets, arn, token)
    elif step == "setSecret":
        set_secret(secrets, arn, token)
    elif step == "testSecret":
        test_secret(secrets, arn, token)
    elif step == "finishSecret":
        finish_secret(secrets, arn, token, versions)
    else:
        raise ValueError(f"unknown rotation step {step}")


def create_secret(secrets, arn, token):
    current = _value(secrets, arn, stage="AWSCURRENT")
    try:
        secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        return  # an earlier createSecret of this rotation already stored it
    except secrets.exceptions.ResourceNotFoundException:
        pass
    new = secrets.get_random_password(PasswordLength=PASSWORD_LENGTH, ExcludeCharacters=EXCLUDE)["RandomPassword"]
    secrets.put_secret_value(
        SecretId=arn,
        ClientRequestToken=token,
        SecretString=json.dumps({**current, "password": new}),
        VersionStages=["AWSPENDING"],
    )


def set_secret(secrets, arn, token):
    pending = _value(secrets, arn, stage="AWSPENDING", version=token)
    current = _value(secrets, arn, stage="AWSCURRENT")
    for field in ("host", "username"):
        if pending[field] != current[field]:
            raise ValueError(f"the pending secret changes {field}; single-user rotation only changes the password")
    if _try_connect(pending) is not None:
        return  # the password is already set (a retried setSecret)
    conn = _try_connect(current)
    if conn is None:
        previous = _previous(secrets, arn)
        conn = _try_connect(previous) if previous else None
    if conn is None:
        raise RuntimeError(f"cannot log in to {current['host']} with the current or previous password of {arn}")
    try:
        # ALTER ROLE cannot take bind parameters: quote the name and the password as SQL does.
        conn.run(f"ALTER ROLE {pg8000.native.identifier(pending['username'])} WITH PASSWORD {pg8000.native.literal(pending['password'])}")
    finally:
        conn.close()


def test_secret(secrets, arn, token):
    pending = _value(secrets, arn, stage="AWSPENDING", version=token)
    conn = _try_connect(pending)
    if conn is None:
        raise RuntimeError(f"cannot log in to {pending['host']} with the pending password of {arn}")
    try:
        conn.run("SELECT now()")
    finally:
        conn.close()


def finish_secret(secrets, arn, token, versions):
    current = next((v for v, stages in versions.items() if "AWSCURRENT" in stages), None)
    if current == token:
        return
    secrets.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)


def _value(secrets, arn, stage, version=None):
    kwargs = {"SecretId": arn, "VersionStage": stage}
    if version:
        kwargs["VersionId"] = version
    value = json.loads(secrets.get_secret_value(**kwargs)["SecretString"])
    missing = [f for f in REQUIRED_FIELDS if not value.get(f)]
    if missing:
        raise ValueError(f"the {stage} secret of {arn} lacks {', '.join(missing)}")
    return value


def _previous(secrets, arn):
    try:
        return _value(secrets, arn, stage="AWSPREVIOUS")
    except secrets.exceptions.ResourceNotFoundException:
        return None


def _try_connect(value):
    """A connection, or None when the password is refused. Other errors (network, TLS) raise."""
    tls = os.environ.get("REQUIRE_TLS", "true").lower() != "false"
    try:
        return pg8000.native.Connection(
            user=value["username"],
            password=value["password"],
            host=value["host"],
            port=int(value.get("port", 5432)),
            database=value.get("dbname", "postgres"),
            ssl_context=ssl.create_default_context() if tls else None,
            timeout=5,
        )
    except pg8000.native.DatabaseError as exc:
        # 28P01 invalid_password, 28000 invalid_authorization_specification
        code = exc.args[0].get("C") if exc.args and isinstance(exc.args[0], dict) else None
        if code in ("28P01", "28000"):
            return None
        raise
