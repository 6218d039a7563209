"""targets/aws.py: its faults as data, the lock per account + resource, and Ctrl-C / SIGTERM on a real drill process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tapguard.drill import locks
from tapguard.drill.faults import Fault, registry
from tapguard.drill.targets.aws import AwsAurora, AwsElastiCache
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
