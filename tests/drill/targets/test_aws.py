"""targets/aws.py: its faults as data, the lock per account + resource, Ctrl-C / SIGTERM on a real drill process; the
control plane: Aurora against moto (which implements FailoverDBCluster), ElastiCache with botocore's Stubber against
the real API model (moto has no TestFailover or events), and the safety rules."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tapguard.drill import locks, safety
from tapguard.drill.faults import Fault, registry
from tapguard.drill.targets.aws import TEST_FAILOVER_CALLED, AwsAurora, AwsElastiCache
from tapguard.foundation.errors import TapguardError
from tapguard.planning import localaws

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("drill_script.py")


def test_each_fault_is_one_entry_with_what_the_verdict_needs() -> None:
    for target in (AwsAurora, AwsElastiCache):
        assert list(target.faults) == ["failover", "rotate"] and target.default_fault == "failover"
        assert all(name == fault.name and fault.summary and callable(fault.inject) for name, fault in target.faults.items())
        failover, rotate = target.faults["failover"], target.faults["rotate"]
        assert not failover.ends_inside and failover.proves is None and failover.ready is None  # the target's own preconditions
        assert failover.fences and not rotate.fences  # a failover leaves an old writer to probe; a rotation does not
        assert rotate.ends_inside and rotate.proves in ("password", "AUTH token") and rotate.ready is not None
    with pytest.raises(ValueError, match="declared twice"):
        registry(Fault("x", "one", lambda t: {}), Fault("x", "two", lambda t: {}))


def test_the_lock_is_per_account_and_resource_and_hostile_arns_stay_inside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    a = locks.aws_lock_path("arn:aws:rds:us-west-2:111111111111:cluster:transactions")
    b = locks.aws_lock_path("arn:aws:rds:us-west-2:222222222222:cluster:transactions")
    hostile = locks.aws_lock_path("arn:aws:rds:us-west-2:1:cluster:../../../etc/passwd\n")
    assert a != b and a.parent == b.parent == hostile.parent == tmp_path / "tapguard" / "drill-locks"
    assert "/" not in hostile.name and "\n" not in hostile.name


def _cluster(rds: Any, name: str) -> str:
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        MasterUsername="u",
        MasterUserPassword="not-used-1234",
        Tags=[{"Key": "tapguard:drill", "Value": "allowed"}],
    )
    for i, az in enumerate(("us-west-2a", "us-west-2b")):
        rds.create_db_instance(
            DBInstanceIdentifier=f"{name}-{i + 1}",
            DBClusterIdentifier=name,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
            AvailabilityZone=az,
            PromotionTier=i,
        )
    return name


def _writer(rds: Any, name: str) -> str:
    members = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["DBClusterMembers"]
    return str(next(m["DBInstanceIdentifier"] for m in members if m["IsClusterWriter"]))


def _env(endpoint: localaws.LocalAWS, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **endpoint.env(), "TAPGUARD_ROOT": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_aws_drill_restores_keeps_its_journal_fails_over_nothing_more_and_exits_130(
    sig: signal.Signals, endpoint: localaws.LocalAWS, tmp_path: Path
) -> None:
    rds = endpoint.client("rds", "us-west-2")
    first, second = (_cluster(rds, f"interrupt-{sig.name.lower()}-{i}-{time.monotonic_ns()}") for i in (1, 2))
    out = tmp_path / "evidence"
    drill = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(out), first, second],
        env=_env(endpoint, tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _writer(rds, first) == f"{first}-1" and drill.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _writer(rds, first) == f"{first}-2", "the first failover never happened"
        sent = time.monotonic()
        drill.send_signal(sig)  # mid-drill: the probe is waiting for the writer to be back
        output, _ = drill.communicate(timeout=60)
        stopped_in = time.monotonic() - sent
    finally:
        if drill.poll() is None:
            drill.kill()
            drill.wait()
    assert drill.returncode == 130, output
    assert "Traceback" not in output and "interrupted" in output
    assert _writer(rds, second) == f"{second}-1", "the second drill failed over after the interrupt"
    bundles = list(out.iterdir())
    assert len(bundles) == 1, bundles
    drills = json.loads((bundles[0] / "drills.json").read_text())["drills"]
    assert len(drills) == 1, [d["title"] for d in drills]
    journal = drills[0]
    assert journal["status"] == "interrupted" and journal["verdict"]["passed"] is False, journal["verdict"]
    assert journal["verdict"]["reasons"][0].startswith("interrupted (Ctrl-C or SIGTERM)")
    assert [r["status"] for r in journal["rollbacks"]] == ["succeeded"]  # the restore ran (the waiter saw the cluster available)
    assert [a["activity"]["name"] for a in journal["run"]][:2] == ["inject failover", "probe until the writer is back"]
    assert stopped_in < 15, stopped_in


def test_a_busy_target_is_refused_with_its_own_exit_code_and_nothing_written(
    endpoint: localaws.LocalAWS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from tapguard.cli import main

    rds = endpoint.client("rds", "us-west-2")
    cluster = _cluster(rds, f"busy-{time.monotonic_ns()}")
    arn = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["DBClusterArn"]
    for key, value in _env(endpoint, tmp_path).items():
        monkeypatch.setenv(key, value)
    lock = locks.aws_lock_path(arn)
    lock.parent.mkdir(parents=True)
    # another drill, in another process, holds this cluster's lock
    hold = "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(lock)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        out = tmp_path / "evidence"
        argv = ["drill", "--target", "aws", "--component", "aurora", "--cluster-id", cluster, "--confirm", cluster, "--region", "us-west-2"]
        code = main([*argv, "--out", str(out)])
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert code == locks.BUSY_EXIT == 5, err
    assert "another drill is running on aws aurora" in err and "Traceback" not in err
    assert not out.exists()
    assert _writer(rds, cluster) == f"{cluster}-1"  # nothing failed over
    with pytest.raises(TapguardError):  # and the exit code is in --help
        raise locks.DrillBusy("x")
    from tapguard.cli.parser import EXIT_CODES

    assert "  5    busy:" in EXIT_CODES


CLUSTER = "aurora-transactions-dev"


class Session:
    """A session whose clients are the ones given (moto endpoint or stubbed)."""

    def __init__(self, **clients: Any) -> None:
        self.clients = clients

    def client(self, name: str) -> Any:
        return self.clients[name]


@pytest.fixture
def rds(endpoint: localaws.LocalAWS) -> Any:
    client = endpoint.client("rds", "us-west-2")
    client.cluster_name = _cluster(client, f"{CLUSTER}-{time.monotonic_ns()}")
    return client


def test_aurora_preconditions_pick_a_replica_in_another_az(rds: Any) -> None:
    target = AwsAurora(Session(rds=rds), rds.cluster_name)
    assert target.preconditions() == []
    assert target.target_instance == f"{rds.cluster_name}-2"


def test_aurora_failover_flips_the_writer_and_the_watcher_sees_it(rds: Any) -> None:
    target = AwsAurora(Session(rds=rds), rds.cluster_name)
    assert target.preconditions() == []
    output = target.inject("failover")
    assert output["old_writer"] == f"{rds.cluster_name}-1"
    marks: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=target.watch, args=(marks, stop))
    watcher.start()
    deadline = time.monotonic() + 10
    while "promote" not in marks and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    watcher.join()
    assert "promote" in marks and target.writer() == f"{rds.cluster_name}-2"


def test_aurora_fencing_probe_writes_to_the_old_writers_own_endpoint(rds: Any, endpoint: localaws.LocalAWS) -> None:
    secrets = endpoint.client("secretsmanager", "us-west-2")
    arn = secrets.create_secret(Name=f"fence-{time.monotonic_ns()}", SecretString=json.dumps({"username": "u", "password": "p-1"}))["ARN"]
    target = AwsAurora(Session(rds=rds, secretsmanager=secrets), rds.cluster_name, secret_arn=arn)
    assert target.fence_writer_factory("run") is None  # nothing injected: no old writer yet
    assert target.preconditions() == []
    target.inject("failover")
    factory = target.fence_writer_factory("run")
    assert factory is not None
    old = rds.describe_db_instances(DBInstanceIdentifier=f"{rds.cluster_name}-1")["DBInstances"][0]["Endpoint"]
    info = dict(part.split("=", 1) for part in factory().conninfo.split())
    assert info["host"] == old["Address"] != target.cluster()["Endpoint"]  # the instance, not the endpoint that follows the promotion
    assert info["target_session_attrs"] == "any" and info["sslmode"] == "require"


def test_elasticache_fencing_probe_writes_to_the_old_primarys_own_node(elasticache: Any) -> None:
    target = AwsElastiCache(Session(elasticache=elasticache), GROUP)
    group = _group(f"{GROUP}-001")
    for i, member in enumerate(group["ReplicationGroups"][0]["NodeGroups"][0]["NodeGroupMembers"]):
        member["ReadEndpoint"] = {"Address": f"node-{i + 1}.example", "Port": 6379}
    with Stubber(elasticache) as stub:
        stub.add_response("describe_replication_groups", group, {"ReplicationGroupId": GROUP})
        target.old_writer = f"{GROUP}-001"
        writer = target.fence_writer_factory("run")
        stub.add_response("describe_replication_groups", group, {"ReplicationGroupId": GROUP})
        target.old_writer = f"{GROUP}-009"  # not a member (any more): nothing to probe, said so
        assert target.fence_writer_factory("run") is None
    assert writer is not None
    conn = writer().conn
    assert (conn.host, conn.port) == ("node-1.example", 6379) and type(conn).__name__ == "SSLConnection"


def test_aurora_without_a_replica_in_another_az_is_refused(rds: Any) -> None:
    rds.delete_db_instance(DBInstanceIdentifier=f"{rds.cluster_name}-2", SkipFinalSnapshot=True)
    problems = AwsAurora(Session(rds=rds), rds.cluster_name).preconditions()
    assert any("at least one replica" in p for p in problems)


def test_aurora_rejects_other_faults(rds: Any) -> None:
    with pytest.raises(TapguardError, match=r"--fault kill is not an aws fault for aurora \(choose failover, rotate\)"):
        AwsAurora(Session(rds=rds), rds.cluster_name, fault="kill")
    with pytest.raises(TapguardError, match="built for --fault failover, not rotate"):
        AwsAurora(Session(rds=rds), rds.cluster_name).inject("rotate")


# ---------------------------------------------------------------- ElastiCache (Stubber on the real model)
GROUP = "redis-cache-dev"


def _group(primary: str, status: str = "available") -> dict[str, Any]:
    members = [
        {
            "CacheClusterId": f"{GROUP}-00{i}",
            "CacheNodeId": "0001",
            "CurrentRole": "primary" if f"{GROUP}-00{i}" == primary else "replica",
            "PreferredAvailabilityZone": f"us-west-2{'abc'[i - 1]}",
        }
        for i in (1, 2, 3)
    ]
    return {
        "ReplicationGroups": [
            {
                "ReplicationGroupId": GROUP,
                "Status": status,
                "AutomaticFailover": "enabled",
                "MultiAZ": "enabled",
                "NodeGroups": [
                    {
                        "NodeGroupId": "0001",
                        "Status": "available",
                        "NodeGroupMembers": members,
                        "PrimaryEndpoint": {"Address": "master.example", "Port": 6379},
                    }
                ],
            }
        ]
    }


def _events(n: int) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "Events": [
            {
                "SourceIdentifier": GROUP,
                "SourceType": "replication-group",
                "Message": f"{TEST_FAILOVER_CALLED} for node group 0001",
                "Date": now - dt.timedelta(hours=i),
            }
            for i in range(n)
        ]
    }


@pytest.fixture
def elasticache() -> Any:
    return boto3.client("elasticache", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def test_elasticache_preconditions_and_quota(elasticache: Any) -> None:
    target = AwsElastiCache(Session(elasticache=elasticache), GROUP)
    with Stubber(elasticache) as stub:
        stub.add_response("describe_replication_groups", _group(f"{GROUP}-001"), {"ReplicationGroupId": GROUP})
        stub.add_response("describe_events", _events(2), {"SourceIdentifier": GROUP, "SourceType": "replication-group", "Duration": 1440})
        assert target.preconditions() == []
        stub.add_response("describe_replication_groups", _group(f"{GROUP}-001"), {"ReplicationGroupId": GROUP})
        stub.add_response("describe_events", _events(15), {"SourceIdentifier": GROUP, "SourceType": "replication-group", "Duration": 1440})
        problems = target.preconditions()
    assert any("TestFailover quota is used up: 15 test failovers" in p for p in problems)


def test_elasticache_not_multi_az_is_refused(elasticache: Any) -> None:
    group = _group(f"{GROUP}-001", status="modifying")
    group["ReplicationGroups"][0]["MultiAZ"] = "disabled"
    with Stubber(elasticache) as stub:
        stub.add_response("describe_replication_groups", group, {"ReplicationGroupId": GROUP})
        stub.add_response("describe_events", _events(0), {"SourceIdentifier": GROUP, "SourceType": "replication-group", "Duration": 1440})
        problems = AwsElastiCache(Session(elasticache=elasticache), GROUP).preconditions()
    assert "Multi-AZ is not enabled" in problems and any("not available" in p for p in problems)


def test_elasticache_test_failover_and_role_flip(elasticache: Any) -> None:
    target = AwsElastiCache(Session(elasticache=elasticache), GROUP)
    with Stubber(elasticache) as stub:
        stub.add_response("describe_replication_groups", _group(f"{GROUP}-001"), {"ReplicationGroupId": GROUP})
        stub.add_response(
            "test_failover", {"ReplicationGroup": {"ReplicationGroupId": GROUP}}, {"ReplicationGroupId": GROUP, "NodeGroupId": "0001"}
        )
        stub.add_response("describe_replication_groups", _group(f"{GROUP}-001", status="modifying"), {"ReplicationGroupId": GROUP})
        stub.add_response("describe_replication_groups", _group(f"{GROUP}-002"), {"ReplicationGroupId": GROUP})
        output = target.inject("failover")
        marks: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=target.watch, args=(marks, stop))
        watcher.start()
        deadline = time.monotonic() + 5
        while "promote" not in marks and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        watcher.join()
    assert output["old_primary"] == f"{GROUP}-001"
    assert marks["detect"] <= marks["promote"]


def test_elasticache_quota_fault_from_the_api_is_not_swallowed(elasticache: Any) -> None:
    target = AwsElastiCache(Session(elasticache=elasticache), GROUP)
    with Stubber(elasticache) as stub:
        stub.add_response("describe_replication_groups", _group(f"{GROUP}-001"), {"ReplicationGroupId": GROUP})
        stub.add_client_error(
            "test_failover", "APICallRateForCustomerExceeded", "quota", expected_params={"ReplicationGroupId": GROUP, "NodeGroupId": ANY}
        )
        with pytest.raises(Exception, match="APICallRateForCustomerExceeded"):
            target.inject("failover")


# ---------------------------------------------------------------- safety
def test_safety_requires_confirmation_matching_the_environment() -> None:
    tags = {"tapguard:drill": "allowed"}
    with pytest.raises(TapguardError, match="add --confirm us-west-2"):
        safety.check("us-west-2", None, "aurora", CLUSTER, "arn:x", tags, set())
    with pytest.raises(TapguardError, match="does not match us-west-2"):
        safety.check("us-west-2", "eu-west-1", "aurora", CLUSTER, "arn:x", tags, set())
    safety.check("us-west-2", "us-west-2", "aurora", CLUSTER, "arn:x", tags, set())


def test_safety_one_failover_per_run() -> None:
    with pytest.raises(TapguardError, match="one failover per run"):
        safety.check("us-west-2", "us-west-2", "all", CLUSTER, "arn:x", {"tapguard:drill": "allowed"}, set())


def test_safety_needs_the_allow_tag_or_the_allow_list(tmp_path: Path) -> None:
    with pytest.raises(TapguardError, match="not allowed for drills: tag it tapguard:drill=allowed"):
        safety.check("us-west-2", "us-west-2", "redis", GROUP, "arn:x", {"tapguard:drill": "no"}, set())
    allow = tmp_path / "allow.txt"
    allow.write_text(f"# drill targets\n{GROUP}  # the dev cache\n")
    safety.check("us-west-2", "us-west-2", "redis", GROUP, "arn:x", {}, safety.read_allow_list(allow))
    with pytest.raises(TapguardError, match="no such file"):
        safety.read_allow_list(tmp_path / "missing.txt")


def test_cli_refuses_an_unconfirmed_aws_drill(rds: Any, endpoint: localaws.LocalAWS, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from tapguard.cli import main

    for key, value in endpoint.env().items():
        monkeypatch.setenv(key, value)
    code = main(["drill", "--target", "aws", "--component", "aurora", "--cluster-id", rds.cluster_name, "--region", "us-west-2"])
    err = capsys.readouterr().err
    assert code == 2 and f"add --confirm {rds.cluster_name}" in err and "Traceback" not in err
    assert AwsAurora(Session(rds=rds), rds.cluster_name).writer() == f"{rds.cluster_name}-1"  # nothing failed over
