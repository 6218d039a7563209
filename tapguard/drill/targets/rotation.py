"""The rotate fault on the lab: the embedded Secrets Manager holds the credential, the stacks' own rotator rotates it.

Both engines run the Lambda code the stacks deploy (modules/secrets/rotation/), step by step as
Secrets Manager's RotateSecret does (tapguard.lab.rotation.rotate), while the probe writes
through clients that read their credential from the same secret:

- Redis: elasticache_auth.py rotates the AUTH token through LabElastiCache (ROTATE, then SET).
- PostgreSQL: postgres_single_user.py rotates the password of one login role (ALTER ROLE on the
  writer, replicated to both standbys). The lab authenticates that role by scram-sha-256 (a
  pg_hba.conf line of its own on every node); every other lab user stays on trust.

After the rotation each world proves what a rotation must: it completed, AWSCURRENT moved to the
new version, the old credential is refused and the new one accepted.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets as random_secrets
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tapguard.drill.clients import postgres_accepts
from tapguard.drill.credentials import SecretCredential
from tapguard.foundation.errors import TapguardError
from tapguard.lab.postgres import PostgresLab
from tapguard.lab.redis import RedisLab

ROTATORS = Path("modules") / "secrets" / "rotation"  # the stacks' rotation functions, relative to the project root
CONNECTION_AGE_S = 2.0  # clients recycle connections, so each re-authenticates within seconds of a rotation
PROBE_ROLE = "tapguard_app"  # the PostgreSQL login whose password the drill rotates
HBA_MARK = "# tapguard rotate drill"


SHIPPED = Path(__file__).resolve().parents[1] / "rotators"  # tapguard.drill.rotators: the copies in every install


def rotator(name: str) -> Path:
    """A rotation function's source: the project's own (the code its stacks deploy), else the copy shipped with tapguard.

    Never looked up relative to a source tree: an installed tapguard lives in site-packages.
    """
    from tapguard.planning import project

    try:
        own = project.find_root() / ROTATORS / name
    except TapguardError:  # not inside a project: the shipped copy
        own = None
    if own is not None and own.is_file():
        return own
    shipped = SHIPPED / name
    if not shipped.is_file():
        raise TapguardError(
            f"the rotate fault needs the rotator {name}: neither the project's {ROTATORS / name} nor tapguard's copy exists"
        )
    return shipped


class LabRotation:
    """One rotation world: an embedded endpoint with the secret, and the rotator loaded against it."""

    secret_name = ""
    field = ""  # the secret's credential field

    def __init__(self) -> None:
        from tapguard.lab.rotation import RotatingSecrets
        from tapguard.planning.localaws import LocalAWS

        self.endpoint = LocalAWS()
        self.endpoint.start()
        self.result: dict[str, Any] = {}
        try:
            self.client = self.endpoint.client("secretsmanager", "us-east-1")
            self.arn = self.client.create_secret(Name=self.secret_name, SecretString=json.dumps(self.initial()))["ARN"]
            self.secrets = RotatingSecrets(self.client)
            self.rotator = self.load()
        except BaseException:
            self.close()
            raise

    # what each engine supplies
    def initial(self) -> dict[str, Any]:
        raise NotImplementedError

    def load(self) -> ModuleType:
        raise NotImplementedError

    def accepts(self, credential: str) -> bool:
        raise NotImplementedError

    def details(self) -> dict[str, Any]:
        return {}

    def restore(self) -> None:
        """The lab as it was before the drill (other drills use it)."""

    @contextlib.contextmanager
    def handler_env(self) -> Iterator[None]:
        yield

    # shared
    def credential(self) -> SecretCredential:
        return SecretCredential(self.client, self.arn, self.field)

    def run(self) -> dict[str, Any]:
        from tapguard.lab.rotation import rotate

        before = self.client.get_secret_value(SecretId=self.arn, VersionStage="AWSCURRENT")
        old = json.loads(before["SecretString"])[self.field]
        with self.handler_env():
            run = rotate(self.rotator.handler, self.secrets, self.arn)
        after = self.client.get_secret_value(SecretId=self.arn, VersionStage="AWSCURRENT")
        new = json.loads(after["SecretString"])[self.field]
        self.result = {
            "completed": run.completed,
            "error": run.error,
            "steps": [{k: v for k, v in step.items() if k in ("step", "ok", "error")} for step in run.steps],
            **self.details(),
            "awscurrent_moved": after["VersionId"] != before["VersionId"] and after["VersionId"] == run.token,
            "old_refused": not self.accepts(old),
            "new_accepted": self.accepts(new),
        }
        return self.result

    def findings(self, what: str) -> list[str]:
        return rotation_findings(self.result, what)

    def inject(self, node: int | str | None, action: str) -> dict[str, Any]:
        """The rotate fault as a target injects it: run the rotation, report it with the writer it ran against."""
        return {"action": action, "node": node, **self.run()}

    def close(self) -> None:
        """Restore the lab and stop the endpoint (idempotent)."""
        if self.endpoint.process is None:
            return
        try:
            self.restore()
        finally:
            self.endpoint.stop()


def rotation_findings(result: dict[str, Any], what: str) -> list[str]:
    """What a finished rotation failed to prove (empty: it completed, moved AWSCURRENT, refuses the old, takes the new)."""
    if not result:
        return []
    problems = []
    if not result["completed"]:
        problems.append(f"rotation did not complete: {result['error']}")
    if not result["awscurrent_moved"]:
        problems.append("rotation: AWSCURRENT did not move to the new version")
    if result["old_refused"] is False:  # None: not proven either way (the caller says so)
        problems.append(f"rotation: the old {what} is still accepted")
    if result["new_accepted"] is False:
        problems.append(f"rotation: the new {what} is refused")
    return problems


class RedisRotation(LabRotation):
    """elasticache_auth.py against the lab's redis-servers (the AUTH token of the default user)."""

    secret_name = "tapguard-lab/redis-auth"
    field = "token"

    def __init__(self, lab: RedisLab) -> None:
        self.lab = lab
        super().__init__()

    def initial(self) -> dict[str, Any]:
        return {"replication_group_id": "tapguard-lab", "token": self.lab.password}

    def load(self) -> ModuleType:
        from tapguard.lab.rotation import LabElastiCache, load_rotator

        self.elasticache = LabElastiCache("tapguard-lab", list(self.lab.ports), self.lab.admin_password)
        return load_rotator(rotator("elasticache_auth.py"), self.secrets, self.elasticache)

    def details(self) -> dict[str, Any]:
        return {"strategies": [c["strategy"] for c in self.elasticache.calls]}

    def accepts(self, credential: str) -> bool:
        master = self.lab.master_port()
        if master is None:
            return False
        try:
            client = redis.Redis(host="127.0.0.1", port=master, password=credential, socket_timeout=1, retry=Retry(NoBackoff(), 0))
            return bool(client.ping())
        except redis.AuthenticationError:
            return False

    def restore(self) -> None:
        for port in self.lab.ports:
            self.lab.admin(port).execute_command("ACL", "SETUSER", "default", "on", "resetpass", f">{self.lab.password}")


class PostgresRotation(LabRotation):
    """postgres_single_user.py against the lab: the password of PROBE_ROLE, the login the probe writes as."""

    secret_name = "tapguard-lab/aurora-app"
    field = "password"

    def __init__(self, lab: PostgresLab, table: str) -> None:
        self.lab = lab
        self.table = table
        self._hba(True)
        super().__init__()

    def _writer_port(self) -> int:
        writer = self.lab.writer_index()
        if writer is None:
            raise TapguardError("no PostgreSQL writer to rotate a password on")
        return self.lab.node_ports[writer]

    def _hba(self, on: bool) -> None:
        """Put (or take away) the role's scram-sha-256 line at the top of every node's pg_hba.conf, then reload."""
        line = f"host {self.lab.database} {PROBE_ROLE} 127.0.0.1/32 scram-sha-256 {HBA_MARK}\n"
        for i, port in enumerate(self.lab.node_ports):
            hba = self.lab.node_dir(i) / "pg_hba.conf"
            kept = [x for x in hba.read_text().splitlines(keepends=True) if HBA_MARK not in x]
            with hba.open("w") as handle:  # in place: owner and mode stay the lab user's
                handle.write("".join(([line] if on else []) + kept))
            with psycopg.connect(self._admin_dsn(port), autocommit=True) as conn:
                conn.execute("SELECT pg_reload_conf()")

    def _admin_dsn(self, port: int) -> str:
        return f"host=127.0.0.1 port={port} dbname={self.lab.database} user={self.lab.user} connect_timeout=5"

    def initial(self) -> dict[str, Any]:
        password = random_secrets.token_urlsafe(24)
        port = self._writer_port()
        with psycopg.connect(self._admin_dsn(port), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PROBE_ROLE,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            # ALTER/CREATE ROLE take no bind parameters: the password is quoted by the server's own quote_literal
            quoted = conn.execute("SELECT quote_literal(%s)", (password,)).fetchone()
            assert quoted is not None
            conn.execute(f"{verb} ROLE {PROBE_ROLE} LOGIN PASSWORD {quoted[0]}")
            conn.execute(f"GRANT SELECT, INSERT ON {self.table} TO {PROBE_ROLE}")
        return {
            "engine": "postgres",
            "host": "127.0.0.1",
            "port": port,
            "username": PROBE_ROLE,
            "password": password,
            "dbname": self.lab.database,
        }

    def load(self) -> ModuleType:
        from tapguard.lab.rotation import load_lambda

        module = load_lambda(rotator("postgres_single_user.py"))
        module._clients["secretsmanager"] = self.secrets  # the client the Lambda builds on first use
        return module

    @contextlib.contextmanager
    def handler_env(self) -> Iterator[None]:
        # the lab's nodes listen on loopback without TLS (--no-ssl); on AWS the function requires it
        before = os.environ.get("REQUIRE_TLS")
        os.environ["REQUIRE_TLS"] = "false"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("REQUIRE_TLS", None)
            else:
                os.environ["REQUIRE_TLS"] = before

    def accepts(self, credential: str) -> bool:
        port = self._writer_port()
        return postgres_accepts(
            host="127.0.0.1", port=port, dbname=self.lab.database, user=PROBE_ROLE, password=credential, connect_timeout=5
        )

    def restore(self) -> None:
        self._hba(False)
        with psycopg.connect(self._admin_dsn(self._writer_port()), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PROBE_ROLE,)).fetchone():
                conn.execute(f"DROP OWNED BY {PROBE_ROLE}")  # its grant on the probe table
                conn.execute(f"DROP ROLE {PROBE_ROLE}")
