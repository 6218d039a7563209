"""Runtime checks: what a plan cannot show, asked of the deployed endpoint through boto3.

Findings have the controls' shape and the id of the control they back (S2 rotation, K1 key
rotation, E1 Aurora encryption, ...), and carry evidence="runtime": the answer came from the
service, not from configuration. What the endpoint cannot answer is a finding with status
"unknown" naming the call, never a pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tapguard.controls import FAIL, PASS, UNKNOWN, Finding
from tapguard.e2e.state import state_resources

RUNTIME = "runtime"


@dataclass
class RuntimeFinding(Finding):
    evidence: str = RUNTIME


class Checker:
    """One environment's runtime checks. `client(service)` returns a boto3 client at the endpoint."""

    def __init__(self, env: str, state: dict[str, Any], client: Callable[[str], Any], max_rotation_days: int = 30) -> None:
        self.env = env
        self.client = client
        self.max_rotation_days = max_rotation_days
        self.resources = [r for r in state_resources(state) if r.get("mode") == "managed"]

    def of_type(self, rtype: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == rtype]

    def finding(self, control: str, address: str, attribute: str, good: bool | None, actual: Any, expected: Any, message: str) -> Finding:
        status = UNKNOWN if good is None else PASS if good else FAIL
        return RuntimeFinding(control, self.env, address, attribute, status, actual, expected, "as deployed" if good else message)

    def run(self) -> list[Finding]:
        found: list[Finding] = []
        for check in (self.secrets_rotate, self.keys_rotate, self.aurora_encrypted, self.redis_encrypted, self.efs_encrypted):
            try:
                found.extend(check())
            except Exception as exc:  # an API the endpoint lacks: unknown, named, never a pass
                found.append(self.finding("(runtime)", check.__name__, "", None, type(exc).__name__, "an answer", _short(exc)))
        return found

    # ------------------------------------------------------------ PCI DSS 8.6.3: credentials rotate
    def secrets_rotate(self) -> Iterator[Finding]:
        sm = self.client("secretsmanager")
        now = dt.datetime.now(dt.UTC)
        functions = {r["values"].get("arn") for r in self.of_type("aws_lambda_function")}
        for rot in self.of_type("aws_secretsmanager_secret_rotation"):
            address, secret = rot["address"], rot["values"].get("secret_id")
            meta = sm.describe_secret(SecretId=secret)
            yield self.finding(
                "S2", address, "RotationEnabled", meta.get("RotationEnabled") is True, meta.get("RotationEnabled"), True, "rotation is off"
            )
            days = (meta.get("RotationRules") or {}).get("AutomaticallyAfterDays")
            yield self.finding(
                "S2",
                address,
                "RotationRules.AutomaticallyAfterDays",
                isinstance(days, int) and days <= self.max_rotation_days,
                days,
                f"<= {self.max_rotation_days}",
                "rotation interval too long",
            )
            fn = meta.get("RotationLambdaARN")
            yield self.finding(
                "S2",
                address,
                "RotationLambdaARN",
                fn in functions,
                fn,
                "a function of this stack",
                "rotated by code the stack does not deploy",
            )
            # Rotated within the window, or (first rotation on the schedule, rotate_immediately = false)
            # never rotated yet and due within the window.
            last, upcoming = meta.get("LastRotatedDate"), meta.get("NextRotationDate")
            recent = isinstance(last, dt.datetime) and (now - last).days <= self.max_rotation_days
            due = last is None and isinstance(upcoming, dt.datetime) and (upcoming - now).days <= self.max_rotation_days
            shown = last if isinstance(last, dt.datetime) else upcoming
            yield self.finding(
                "S2",
                address,
                "LastRotatedDate" if last is not None or upcoming is None else "NextRotationDate",
                recent or due,
                shown.isoformat() if isinstance(shown, dt.datetime) else None,
                f"rotated within {self.max_rotation_days} days, or first rotation due within them",
                "never rotated, or not for too long",
            )

    # ------------------------------------------------------------ PCI DSS 3.6.4: cryptoperiods
    def keys_rotate(self) -> Iterator[Finding]:
        kms = self.client("kms")
        for key in self.of_type("aws_kms_key"):
            status = kms.get_key_rotation_status(KeyId=key["values"]["key_id"])
            yield self.finding(
                "K1",
                key["address"],
                "KeyRotationEnabled",
                status.get("KeyRotationEnabled") is True,
                status.get("KeyRotationEnabled"),
                True,
                "rotation is off",
            )
            meta = kms.describe_key(KeyId=key["values"]["key_id"])["KeyMetadata"]
            yield self.finding(
                "K1",
                key["address"],
                "KeyManager",
                meta.get("KeyManager") == "CUSTOMER",
                meta.get("KeyManager"),
                "CUSTOMER",
                "not a customer-managed key",
            )

    # ------------------------------------------------------------ PCI DSS 3.5.1 / 4.2.1: the cluster as it runs
    def aurora_encrypted(self) -> Iterator[Finding]:
        rds = self.client("rds")
        for res in self.of_type("aws_rds_cluster"):
            cluster = rds.describe_db_clusters(DBClusterIdentifier=res["values"]["cluster_identifier"])["DBClusters"][0]
            address = res["address"]
            yield self.finding(
                "E1",
                address,
                "StorageEncrypted",
                cluster.get("StorageEncrypted") is True,
                cluster.get("StorageEncrypted"),
                True,
                "storage is not encrypted",
            )
            want_key = res["values"].get("kms_key_id")
            yield self.finding(
                "E1",
                address,
                "KmsKeyId",
                bool(want_key) and cluster.get("KmsKeyId") == want_key,
                cluster.get("KmsKeyId"),
                want_key,
                "not the stack's key",
            )
            group = cluster.get("DBClusterParameterGroup")
            want_group = res["values"].get("db_cluster_parameter_group_name")
            yield self.finding(
                "T1", address, "DBClusterParameterGroup", group == want_group, group, want_group, "not the stack's parameter group"
            )
            if group and not group.startswith("default."):
                params = {
                    p["ParameterName"]: p.get("ParameterValue")
                    for p in rds.describe_db_cluster_parameters(DBClusterParameterGroupName=group, Source="user").get("Parameters", [])
                }
                force = params.get("rds.force_ssl")
                yield self.finding("T1", address, "rds.force_ssl", force == "1", force, "1", "clients may connect without TLS")

    def redis_encrypted(self) -> Iterator[Finding]:
        ec = self.client("elasticache")
        for res in self.of_type("aws_elasticache_replication_group"):
            group = ec.describe_replication_groups(ReplicationGroupId=res["values"]["replication_group_id"])["ReplicationGroups"][0]
            address = res["address"]
            for key, control in (("AtRestEncryptionEnabled", "E3"), ("TransitEncryptionEnabled", "T2"), ("AuthTokenEnabled", "T2")):
                yield self.finding(control, address, key, group.get(key) is True, group.get(key), True, f"{key} is off")
            yield self.finding(
                "R3",
                address,
                "AutomaticFailover",
                group.get("AutomaticFailover") == "enabled",
                group.get("AutomaticFailover"),
                "enabled",
                "no automatic failover",
            )

    def efs_encrypted(self) -> Iterator[Finding]:
        efs = self.client("efs")
        for res in self.of_type("aws_efs_file_system"):
            fs = efs.describe_file_systems(FileSystemId=res["values"]["id"])["FileSystems"][0]
            yield self.finding(
                "E2", res["address"], "Encrypted", fs.get("Encrypted") is True, fs.get("Encrypted"), True, "file system is not encrypted"
            )


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
