"""Drill targets on AWS: Aurora through FailoverDBCluster (or an FIS experiment) and ElastiCache through
TestFailover, with their preconditions, the daily test-failover quota, and control-plane signals.

Credentials come from Secrets Manager at run time and live only in memory: never logged,
never in the journal. Safety (allow tags, confirmation, one failover, the lock) is in
safety.py and is checked before any of this runs.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import WaiterError
from psycopg.conninfo import make_conninfo

from tapguard.drill.clients import PostgresWriter, RedisWriter, postgres_accepts, postgres_readback, prepare_postgres, redis_readback
from tapguard.drill.credentials import SecretCredential
from tapguard.drill.faults import Fault, registry
from tapguard.drill.locks import aws_lock_path
from tapguard.drill.probe import Writer
from tapguard.drill.targets.aws_rotation import AwsSecretRotation
from tapguard.drill.targets.base import FailoverTarget
from tapguard.drill.targets.rotation import CONNECTION_AGE_S
from tapguard.foundation.errors import TapguardError

AURORA_STARTED = ("Started cross AZ failover", "Started same AZ failover")
AURORA_DONE = "Completed failover"
TEST_FAILOVER_CALLED = "Test Failover API called"
TEST_FAILOVER_QUOTA = 15  # node groups per rolling 24 h (TestFailover API reference)


def _wait_available(waiter: Any, what: str, delay: int, max_attempts: int, **kwargs: Any) -> None:
    """A boto3 waiter until the resource is available again; a timeout is a failed restore, said in one line."""
    try:
        waiter.wait(WaiterConfig={"Delay": delay, "MaxAttempts": max_attempts}, **kwargs)
    except WaiterError as exc:
        raise TapguardError(f"{what} not available after {delay * max_attempts} s: {exc}") from None


def _secret_json(session: Any, arn: str) -> dict[str, Any]:
    value = session.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    try:
        parsed = json.loads(value)
    except ValueError:
        raise TapguardError(f"secret {arn} is not JSON; expected username/password or token fields") from None
    return parsed if isinstance(parsed, dict) else {}


class AwsAurora(FailoverTarget):
    component = "aurora"
    engine = "Aurora PostgreSQL"
    kind = "aws"
    default_fault = "failover"

    def __init__(
        self,
        session: Any,
        cluster_id: str,
        secret_arn: str | None = None,
        target_instance: str | None = None,
        database: str = "transactions",
        fis_template: str | None = None,
        fault: str | None = None,
        wait_delay: int = 10,
        arn: str | None = None,
    ) -> None:
        super().__init__(fault)
        self.session = session
        self.rds = session.client("rds")
        self.arn = arn
        self.wait_delay = wait_delay
        self.rotation: AwsSecretRotation | None = None
        self.cluster_id = cluster_id
        self.secret_arn = secret_arn
        self.target_instance = target_instance
        self.database = database
        self.fis_template = fis_template
        self.events: list[dict[str, Any]] = []
        self._conninfo: str | None = None

    def cluster(self) -> dict[str, Any]:
        found = self.rds.describe_db_clusters(DBClusterIdentifier=self.cluster_id)["DBClusters"]
        if not found:
            raise TapguardError(f"Aurora cluster {self.cluster_id} not found")
        return dict(found[0])

    def writer(self, cluster: dict[str, Any] | None = None) -> str | None:
        members = (cluster or self.cluster()).get("DBClusterMembers", [])
        return next((m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")), None)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "aws",
            "engine": self.engine,
            "cluster": self.cluster_id,
            "target_instance": self.target_instance,
            "via": "fis" if self.fis_template else "FailoverDBCluster",
        }

    def lock_path(self) -> Path:
        if self.arn is None:
            self.arn = str(self.cluster()["DBClusterArn"])
        return aws_lock_path(self.arn)

    def ready(self) -> list[str]:
        problems = []
        cluster = self.cluster()
        if cluster.get("Status") != "available":
            problems.append(f"cluster status is {cluster.get('Status')}, not available")
        writer = self.writer(cluster)
        members = [m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])]
        readers = [m for m in members if m != writer]
        if writer is None or not readers:
            return [*problems, "the cluster needs a writer and at least one replica (without one, Aurora recreates the writer: minutes)"]
        instances = {
            i["DBInstanceIdentifier"]: i
            for i in self.rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [self.cluster_id]}])["DBInstances"]
        }
        writer_az = instances.get(writer, {}).get("AvailabilityZone")
        candidates = [
            r
            for r in readers
            if instances.get(r, {}).get("DBInstanceStatus") == "available" and instances.get(r, {}).get("AvailabilityZone") != writer_az
        ]
        if self.target_instance is None:
            tiers = {m["DBInstanceIdentifier"]: m.get("PromotionTier", 15) for m in cluster.get("DBClusterMembers", [])}
            self.target_instance = min(candidates, key=lambda r: (tiers.get(r, 15), r)) if candidates else None
        if self.target_instance is None:
            problems.append(f"no available replica in an AZ other than the writer's ({writer_az})")
        elif self.target_instance not in candidates:
            problems.append(f"target {self.target_instance} is not an available replica in another AZ than the writer ({writer_az})")
        return problems

    def conninfo(self, password: str | None = None) -> str:
        """The cluster endpoint with the secret's login; `password` overrides the secret's (a rotation's judge)."""
        if not self.secret_arn:
            raise TapguardError("no database secret: give --secret-arn (the master secret output by the stack)")
        if self._conninfo is None or password is not None:
            secret = _secret_json(self.session, self.secret_arn)
            cluster = self.cluster()
            info: str = make_conninfo(
                host=cluster["Endpoint"],
                port=cluster.get("Port", 5432),
                dbname=self.database,
                user=secret["username"],
                password=password or secret["password"],
                sslmode="require",
                connect_timeout=2,
                target_session_attrs="read-write",
            )
            if password is not None:
                return info
            self._conninfo = info
        return self._conninfo

    def accepts(self, password: str) -> bool:
        return postgres_accepts(self.conninfo(password))

    def fence_writer_factory(self, run: str) -> Callable[[], Writer] | None:
        """Writes to the old writer's own instance endpoint (not the cluster endpoint, which follows the promotion):
        after FailoverDBCluster it must refuse them, as a reader does."""
        if not isinstance(self.old_writer, str) or not self.secret_arn:
            return None
        found = self.rds.describe_db_instances(DBInstanceIdentifier=self.old_writer)["DBInstances"]
        endpoint = found[0].get("Endpoint") if found else None
        if not endpoint or not endpoint.get("Address"):
            return None
        secret = _secret_json(self.session, self.secret_arn)
        conninfo: str = make_conninfo(
            host=endpoint["Address"],
            port=endpoint.get("Port", 5432),
            dbname=self.database,
            user=secret["username"],
            password=secret["password"],
            sslmode="require",
            connect_timeout=2,
            target_session_attrs="any",  # this instance, whatever its role now: what it accepts is the point
        )
        return lambda: PostgresWriter(conninfo, run)

    def prepare(self) -> None:
        prepare_postgres(self.conninfo())
        super().prepare()

    def _prepare_rotation(self) -> None:
        assert self.secret_arn is not None  # conninfo() refused a missing secret
        self.rotation = AwsSecretRotation(self.session.client("secretsmanager"), self.secret_arn, "password", self.accepts)

    def _rotation_ready(self) -> list[str]:
        # a rotation needs a healthy cluster, not a spare replica
        problems = [p for p in self.ready() if p.startswith("cluster status")]
        if not self.secret_arn:
            return [*problems, "no database secret to rotate: give --secret-arn (the master secret output by the stack)"]
        rotation = AwsSecretRotation(self.session.client("secretsmanager"), self.secret_arn, "password", self.accepts)
        return problems + rotation.preconditions()

    def writer_factory(self, run: str) -> Callable[[], Writer]:
        conninfo = self.conninfo()
        if self.rotation is None:
            return lambda: PostgresWriter(conninfo, run)
        # the rotate drill: the password from Secrets Manager, re-read on an authentication failure
        credential = SecretCredential(self.session.client("secretsmanager"), self.rotation.secret_id, "password")
        return lambda: PostgresWriter(conninfo, run, credential=credential, max_connection_age=CONNECTION_AGE_S)

    def findings(self) -> list[str]:
        return self.rotation.findings(self.fault.proves or "credential") if self.rotation is not None and self.rotation.result else []

    def _rotate(self) -> dict[str, Any]:
        assert self.rotation is not None  # prepared by the fault's prepare step
        self.old_writer = self.writer()
        outcome = self.rotation.run()
        self.fault_end = time.monotonic()
        return {"action": "secretsmanager:RotateSecret (the stack's rotation function runs the 4 steps)", **outcome}

    def _failover(self) -> dict[str, Any]:
        self.old_writer = self.writer()
        self._since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
        if self.fis_template:
            started = self.session.client("fis").start_experiment(experimentTemplateId=self.fis_template, tags={"tapguard": "drill"})
            return {
                "action": "fis:StartExperiment aws:rds:failover-db-cluster",
                "experiment": started["experiment"]["id"],
                "old_writer": self.old_writer,
            }
        self.rds.failover_db_cluster(DBClusterIdentifier=self.cluster_id, TargetDBInstanceIdentifier=self.target_instance)
        return {"action": "rds:FailoverDBCluster", "target_instance": self.target_instance, "old_writer": self.old_writer}

    def watch(self, marks: dict[str, float], stop: threading.Event) -> None:
        while not stop.wait(0.5):
            try:
                cluster = self.cluster()
                self._poll_events(marks)
            except Exception:  # throttling or a transient error: keep polling
                continue
            now = time.monotonic()
            if cluster.get("Status") == "failing-over":
                marks.setdefault("detect", now)
            writer = self.writer(cluster)
            if writer and writer != self.old_writer:
                marks.setdefault("detect", now)
                marks.setdefault("promote", now)

    def _poll_events(self, marks: dict[str, float]) -> None:
        found = self.rds.describe_events(SourceIdentifier=self.cluster_id, SourceType="db-cluster", StartTime=self._since)["Events"]
        for event in found:
            message = str(event.get("Message", ""))
            record = {"date": str(event.get("Date")), "message": message}
            if record not in self.events:
                self.events.append(record)
                if message.startswith(AURORA_STARTED):
                    marks.setdefault("detect", time.monotonic())
                if message.startswith(AURORA_DONE):
                    marks.setdefault("promote", time.monotonic())

    def readback(self, run: str, acked: set[int]) -> set[int]:
        return postgres_readback(self.conninfo(), run)

    def heal(self) -> dict[str, Any]:
        _wait_available(
            self.rds.get_waiter("db_cluster_available"),
            f"cluster {self.cluster_id}",
            self.wait_delay,
            30,
            DBClusterIdentifier=self.cluster_id,
        )
        return {
            "action": "wait for the cluster to be available (the promoted replica stays writer)",
            "writer": self.writer(),
            "events": self.events,
        }


class AwsElastiCache(FailoverTarget):
    component = "redis"
    engine = "ElastiCache Redis"
    kind = "aws"
    default_fault = "failover"
    require_replica_ack = True

    def __init__(
        self,
        session: Any,
        replication_group_id: str,
        auth_secret_arn: str | None = None,
        node_group: str = "0001",
        quota: int = TEST_FAILOVER_QUOTA,
        fault: str | None = None,
        wait_delay: int = 10,
        arn: str | None = None,
    ) -> None:
        super().__init__(fault)
        self.session = session
        self.elasticache = session.client("elasticache")
        self.arn = arn
        self.wait_delay = wait_delay
        self.rotation: AwsSecretRotation | None = None
        self.group_id = replication_group_id
        self.auth_secret_arn = auth_secret_arn
        self.node_group = node_group
        self.quota = quota
        self.events: list[dict[str, Any]] = []

    def group(self) -> dict[str, Any]:
        found = self.elasticache.describe_replication_groups(ReplicationGroupId=self.group_id)["ReplicationGroups"]
        if not found:
            raise TapguardError(f"replication group {self.group_id} not found")
        return dict(found[0])

    def primary(self, group: dict[str, Any] | None = None) -> str | None:
        for node_group in (group or self.group()).get("NodeGroups", []):
            if node_group.get("NodeGroupId") == self.node_group:
                return next(
                    (m["CacheClusterId"] for m in node_group.get("NodeGroupMembers", []) if m.get("CurrentRole") == "primary"), None
                )
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "aws",
            "engine": self.engine,
            "replication_group": self.group_id,
            "node_group": self.node_group,
            "via": "TestFailover",
        }

    def lock_path(self) -> Path:
        if self.arn is None:
            self.arn = str(self.group()["ARN"])
        return aws_lock_path(self.arn)

    def recent_test_failovers(self) -> int:
        events = self.elasticache.describe_events(SourceIdentifier=self.group_id, SourceType="replication-group", Duration=1440)
        return sum(1 for e in events.get("Events", []) if str(e.get("Message", "")).startswith(TEST_FAILOVER_CALLED))

    def _rotation_ready(self) -> list[str]:
        problems = [] if self.group().get("Status") == "available" else ["replication group is not available"]
        if not self.auth_secret_arn:
            return [*problems, "no AUTH token secret to rotate: give --auth-secret-arn (the stack's redis_auth secret)"]
        return problems + self._rotation().preconditions()

    def ready(self) -> list[str]:
        problems = []
        group = self.group()
        if group.get("Status") != "available":
            problems.append(f"replication group status is {group.get('Status')}, not available")
        if group.get("AutomaticFailover") != "enabled":
            problems.append("automatic failover is not enabled")
        if group.get("MultiAZ") != "enabled":
            problems.append("Multi-AZ is not enabled")
        node_group = next((g for g in group.get("NodeGroups", []) if g.get("NodeGroupId") == self.node_group), None)
        if node_group is None or len(node_group.get("NodeGroupMembers", [])) < 2:
            problems.append(f"node group {self.node_group} has no replica")
        used = self.recent_test_failovers()
        if used >= self.quota:
            problems.append(
                f"the TestFailover quota is used up: {used} test failovers in the last 24 h (limit {self.quota}); try again later"
            )
        return problems

    def _endpoint(self) -> tuple[str, int]:
        group = self.group()
        node_group = next(g for g in group.get("NodeGroups", []) if g.get("NodeGroupId") == self.node_group)
        endpoint = node_group["PrimaryEndpoint"]
        return str(endpoint["Address"]), int(endpoint["Port"])

    def _token(self) -> str | None:
        if not self.auth_secret_arn:
            return None
        secret = _secret_json(self.session, self.auth_secret_arn)
        token = secret.get("token") or secret.get("password")
        return str(token) if token else None

    def _field(self) -> str:
        assert self.auth_secret_arn is not None
        return "token" if "token" in _secret_json(self.session, self.auth_secret_arn) else "password"

    def _rotation(self) -> AwsSecretRotation:
        assert self.auth_secret_arn is not None
        return AwsSecretRotation(self.session.client("secretsmanager"), self.auth_secret_arn, self._field(), self.accepts)

    def accepts(self, token: str) -> bool:
        import redis

        host, port = self._endpoint()
        try:
            return bool(redis.Redis(host=host, port=port, password=token, ssl=True, ssl_cert_reqs="required", socket_timeout=5).ping())
        except redis.AuthenticationError:
            return False

    def _prepare_rotation(self) -> None:
        self.rotation = self._rotation()

    def fence_writer_factory(self, run: str) -> Callable[[], Writer] | None:
        """Writes to the old primary's own node endpoint (not the primary endpoint, which follows the promotion): after
        TestFailover it is a replica and must answer READONLY."""
        if not isinstance(self.old_writer, str):
            return None
        groups = [g for g in self.group().get("NodeGroups", []) if g.get("NodeGroupId") == self.node_group]
        members = [m for g in groups for m in g.get("NodeGroupMembers", [])]
        endpoint = next((m.get("ReadEndpoint") for m in members if m.get("CacheClusterId") == self.old_writer), None)
        if not endpoint or not endpoint.get("Address"):
            return None
        host, port, token = str(endpoint["Address"]), int(endpoint.get("Port", 6379)), self._token()
        return lambda: RedisWriter.direct(run, host, port, token, tls=True, timeout=1.0)

    def writer_factory(self, run: str) -> Callable[[], Writer]:
        host, port = self._endpoint()
        token = self._token()
        if self.rotation is None:
            return lambda: RedisWriter.direct(run, host, port, token, tls=True, timeout=1.0)
        # the rotate drill: the token from Secrets Manager, re-read on an authentication failure
        credential = SecretCredential(self.session.client("secretsmanager"), self.rotation.secret_id, self.rotation.field)
        return lambda: RedisWriter.direct(
            run, host, port, token, tls=True, timeout=1.0, credential=credential, max_connection_age=CONNECTION_AGE_S
        )

    def findings(self) -> list[str]:
        return self.rotation.findings(self.fault.proves or "credential") if self.rotation is not None and self.rotation.result else []

    def _rotate(self) -> dict[str, Any]:
        assert self.rotation is not None  # prepared by the fault's prepare step
        self.old_writer = self.primary()
        outcome = self.rotation.run()
        self.fault_end = time.monotonic()
        return {"action": "secretsmanager:RotateSecret (the stack's rotation function sets the token: ROTATE, then SET)", **outcome}

    def _failover(self) -> dict[str, Any]:
        self.old_writer = self.primary()
        self.elasticache.test_failover(ReplicationGroupId=self.group_id, NodeGroupId=self.node_group)
        return {"action": "elasticache:TestFailover", "node_group": self.node_group, "old_primary": self.old_writer}

    def watch(self, marks: dict[str, float], stop: threading.Event) -> None:
        while not stop.wait(0.5):
            try:
                group = self.group()
            except Exception:  # throttling or a transient error: keep polling
                continue
            now = time.monotonic()
            if group.get("Status") != "available":
                marks.setdefault("detect", now)
            primary = self.primary(group)
            if primary and primary != self.old_writer:
                marks.setdefault("detect", now)
                marks.setdefault("promote", now)

    def readback(self, run: str, acked: set[int]) -> set[int]:
        import redis

        host, port = self._endpoint()
        client = redis.Redis(host=host, port=port, password=self._token(), ssl=True, ssl_cert_reqs="required", socket_timeout=5)
        return redis_readback(client, run, acked)

    def heal(self) -> dict[str, Any]:
        _wait_available(
            self.elasticache.get_waiter("replication_group_available"),
            f"replication group {self.group_id}",
            self.wait_delay,
            60,
            ReplicationGroupId=self.group_id,
        )
        return {
            "action": "wait for the replication group to be available (ElastiCache replaces the old primary as a replica)",
            "primary": self.primary(),
        }


AwsAurora.faults = registry(
    Fault("failover", "rds:FailoverDBCluster (or the FIS experiment given) to a replica in another AZ", AwsAurora._failover, fences=True),
    Fault(
        "rotate",
        "secretsmanager:RotateSecret on the master secret (the stack's rotation function)",
        AwsAurora._rotate,
        prepare=AwsAurora._prepare_rotation,
        ready=AwsAurora._rotation_ready,
        ends_inside=True,
        proves="password",
    ),
)
AwsElastiCache.faults = registry(
    Fault("failover", "elasticache:TestFailover of the node group", AwsElastiCache._failover, fences=True),
    Fault(
        "rotate",
        "secretsmanager:RotateSecret on the AUTH token secret (the stack's rotation function)",
        AwsElastiCache._rotate,
        prepare=AwsElastiCache._prepare_rotation,
        ready=AwsElastiCache._rotation_ready,
        ends_inside=True,
        proves="AUTH token",
    ),
)
