"""Build drill targets from typed parameters: the lab's processes, or AWS resources named by a stack's outputs.

The CLI and the chaos suite both call `build_targets(TargetParams(...))`; nothing here parses arguments.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tapguard.drill import safety
from tapguard.drill.targets.base import FailoverTarget
from tapguard.foundation import config
from tapguard.foundation.errors import TapguardError
from tapguard.lab.lab import project_lab
from tapguard.planning import project, toolchain

COMPONENTS = ("aurora", "redis")
# The Terraform outputs of a stack that name its drill targets (tested against each environment's outputs.tf).
OUTPUTS_READ = ("region", "aurora_cluster_id", "redis_replication_group_id", "secret_arns")
SECRET_KEYS = {"aurora": "aurora_master", "redis": "redis_auth"}


@dataclass(frozen=True)
class TargetParams:
    """What a drill fails over, whatever asked for it (CLI flags, chaos suite options)."""

    target: str = "lab"  # lab | aws
    component: str = "all"  # aurora | redis | all
    fault: str | None = None  # None: the target's default (kill on the lab, failover on AWS)
    hang_seconds: float = 10.0
    no_wait: bool = False  # lab Redis: count writes acknowledged by the primary alone
    # AWS
    env: str | None = None
    confirm: str | None = None
    allow_list: Path | None = None
    region: str | None = None
    cluster_id: str | None = None
    target_instance: str | None = None
    secret_arn: str | None = None
    fis_template: str | None = None
    replication_group_id: str | None = None
    auth_secret_arn: str | None = None

    @property
    def components(self) -> list[str]:
        return list(COMPONENTS) if self.component == "all" else [self.component]


def build_targets(params: TargetParams) -> list[FailoverTarget]:
    """The targets of one drill run; the lab is started when it is down."""
    if params.target == "lab":
        return _lab_targets(params)
    return [aws_target(params)]


def _lab_targets(params: TargetParams) -> list[FailoverTarget]:
    from tapguard.drill.targets.lab import LabPostgres, LabRedis

    kinds: dict[str, type[FailoverTarget]] = {"aurora": LabPostgres, "redis": LabRedis}
    for component in params.components:  # a bad --fault is refused before the lab is started
        kinds[component].fault_named(params.fault)
    lab = project_lab()
    state = lab.load() or lab.up()
    out: list[FailoverTarget] = []
    for component in params.components:
        if component == "aurora":
            out.append(LabPostgres(lab.postgres(state), hang_seconds=params.hang_seconds, fault=params.fault))
        else:
            out.append(
                LabRedis(lab.redis(state), hang_seconds=params.hang_seconds, wait_replicas=0 if params.no_wait else 1, fault=params.fault)
            )
    return out


def aws_target(params: TargetParams) -> FailoverTarget:
    import boto3

    from tapguard.drill.targets.aws import AwsAurora, AwsElastiCache

    components = params.components
    if len(components) != 1:
        raise TapguardError("one failover per run on AWS: choose --component aurora or --component redis")
    component = components[0]
    kinds: dict[str, type[FailoverTarget]] = {"aurora": AwsAurora, "redis": AwsElastiCache}
    kinds[component].fault_named(params.fault)  # a bad --fault is refused before any AWS call
    # --confirm first: reading terraform state (an S3 backend) or describing a cluster is already an AWS call
    safety.confirmed(params.env, params.confirm, component, params.cluster_id if component == "aurora" else params.replication_group_id)
    allow_list = safety.read_allow_list(params.allow_list)
    outputs = terraform_outputs(params.env) if params.env else {}
    session = boto3.Session(region_name=params.region or outputs.get("region"))
    secrets = outputs.get("secret_arns") or {}
    if component == "aurora":
        cluster_id = params.cluster_id or outputs.get("aurora_cluster_id")
        if not cluster_id:
            raise TapguardError("no cluster: give --cluster-id, or --env with applied terraform state")
        rds = session.client("rds")
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        tags = {t["Key"]: t["Value"] for t in cluster.get("TagList", [])} or safety.tags_of(rds, cluster["DBClusterArn"])
        safety.check(params.env, params.confirm, component, cluster_id, cluster["DBClusterArn"], tags, allow_list)
        return AwsAurora(
            session,
            cluster_id,
            params.secret_arn or secrets.get(SECRET_KEYS["aurora"]),
            params.target_instance,
            fis_template=params.fis_template,
            fault=params.fault,
            arn=cluster["DBClusterArn"],
        )
    group_id = params.replication_group_id or outputs.get("redis_replication_group_id")
    if not group_id:
        raise TapguardError("no replication group: give --replication-group-id, or --env with applied terraform state")
    elasticache = session.client("elasticache")
    group = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
    tags = safety.tags_of(elasticache, group["ARN"])
    safety.check(params.env, params.confirm, component, group_id, group["ARN"], tags, allow_list)
    return AwsElastiCache(
        session, group_id, params.auth_secret_arn or secrets.get(SECRET_KEYS["redis"]), fault=params.fault, arn=group["ARN"]
    )


def terraform_outputs(env: str) -> dict[str, Any]:
    root = project.find_root()
    environment = project.select(root, [env])[0]
    tools = toolchain.discover(project.state_dir(root))
    proc = subprocess.run(
        [str(tools.binary.path), "output", "-json"],
        cwd=environment.path,
        capture_output=True,
        text=True,
        env={**os.environ, **tools.env()},
        check=False,
    )
    if proc.returncode != 0:
        raise TapguardError(f"cannot read terraform outputs of {env} (is it applied and initialised?); give the targets explicitly")
    try:
        found = {k: v.get("value") for k, v in json.loads(proc.stdout or "{}").items()}
    except (ValueError, AttributeError):
        raise TapguardError(f"terraform output -json of {env} is not JSON") from None
    # a stack may name its outputs differently: [tool.tapguard.drill_outputs] maps ours to its own
    renamed = config.load(root).drill_outputs
    return {ours: found.get(renamed.get(ours, ours)) for ours in OUTPUTS_READ} | {k: v for k, v in found.items() if k not in OUTPUTS_READ}
