"""The AWS drill path against what was just deployed, on the embedded endpoint.

Targets come from the real `terraform output` of the deployment. Safety (confirm, allow tag,
the lock), preconditions and the quota are the drill's own code; Aurora's FailoverDBCluster
flips the writer on the endpoint and the watcher sees it. moto has no database behind the
cluster endpoint, so the write probe cannot run: the verdict is computed from the control-plane
marks only, and the journal says which parts were exercised and which only AWS can exercise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tapguard.drill import safety
from tapguard.drill import verdict as verdicts
from tapguard.drill.journal import now_iso
from tapguard.drill.runner import drill_lock
from tapguard.drill.targets.aws import AwsAurora, AwsElastiCache
from tapguard.foundation.errors import TapguardError

EXERCISED = [
    "targets resolved from terraform output of the deployment",
    "safety: --confirm required and matched, the allow tag read from the deployed cluster, one drill at a time (lock)",
    "Aurora preconditions: cluster available, a writer, an available replica in another AZ (promotion tier order)",
    "rds:FailoverDBCluster against the deployed cluster; the watcher sees the writer change (detect/promote marks)",
    "restore: wait for the cluster to be available again, the promoted replica stays writer",
    "the verdict machinery on the marks: time to detect/promote; no probe data, so it fails for want of writes",
]
AWS_ONLY = [
    "the write probe (moto has no PostgreSQL/Redis behind the endpoints): downtime, latency by phase, lost acknowledged writes",
    "reading the credentials into a connection (TLS to the cluster endpoint)",
    "RDS events 'Started/Completed failover' (moto's DescribeEvents returns none for a failover)",
    "ElastiCache TestFailover and its DescribeEvents quota count (moto implements neither)",
    "FIS experiments (aws:rds:failover-db-cluster)",
]


def _step(journal: dict[str, Any], name: str, fn: Callable[[], Any]) -> Any:
    entry: dict[str, Any] = {"activity": name, "start": now_iso()}
    journal["run"].append(entry)
    try:
        out = fn()
        entry.update(status="succeeded", output=out)
        return out
    except Exception as exc:
        entry.update(status="failed", output=" ".join(f"{type(exc).__name__}: {exc}".split())[:300])
        raise
    finally:
        entry["end"] = now_iso()


def _refused(check: Callable[[], None]) -> str:
    try:
        check()
    except TapguardError as exc:
        return str(exc)
    raise TapguardError("a safety check let an unsafe drill through")


def aurora_failover(
    env: str, session: Any, outputs: dict[str, Any], watch_seconds: float = 20.0, lock_wait_s: float = 300.0
) -> dict[str, Any]:
    """One Aurora failover drill on the deployment; the journal, with what was and was not exercised."""
    journal: dict[str, Any] = {"title": f"{env}: Aurora failover on the embedded endpoint", "start": now_iso(), "run": []}
    journal["exercised"], journal["aws_only"] = EXERCISED, AWS_ONLY
    cluster_id = outputs.get("aurora_cluster_id")
    if not cluster_id:
        raise TapguardError(f"{env}: the deployment has no aurora_cluster_id output")
    rds = session.client("rds")
    cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
    tags = {t["Key"]: t["Value"] for t in cluster.get("TagList", [])} or safety.tags_of(rds, cluster["DBClusterArn"])
    arn = cluster["DBClusterArn"]

    def allowed() -> str:
        safety.check(env, env, "aurora", cluster_id, arn, tags, set())
        return "allowed"

    def safety_checks() -> dict[str, str]:
        return {
            "without --confirm": _refused(lambda: safety.check(env, None, "aurora", cluster_id, arn, tags, set())),
            "wrong --confirm": _refused(lambda: safety.check(env, "prod", "aurora", cluster_id, arn, tags, set())),
            "without the allow tag": _refused(
                lambda: safety.check(
                    env, env, "aurora", cluster_id, arn, {k: v for k, v in tags.items() if k != safety.ALLOW_TAG[0]}, set()
                )
            ),
            "confirmed and tagged": allowed(),
        }

    _step(journal, "safety", safety_checks)
    with _lock_within(lock_wait_s):
        _step(journal, "lock held: a second drill is refused", lambda: _refused(_second_lock))
        target = AwsAurora(session, cluster_id, (outputs.get("secret_arns") or {}).get("aurora_master"))
        journal["target"] = target.describe()
        problems = _step(journal, "preconditions", target.preconditions)
        if problems:
            journal["status"] = "aborted"
            journal["reason"] = "; ".join(problems)
            return journal
        marks: dict[str, float] = {}
        inject_at = time.monotonic()
        marks["inject"] = inject_at
        _step(journal, "inject failover", lambda: target.inject("failover"))
        stop = threading.Event()
        watcher = threading.Thread(target=target.watch, args=(marks, stop), daemon=True)
        watcher.start()
        deadline = time.monotonic() + watch_seconds
        while time.monotonic() < deadline and "promote" not in marks:
            time.sleep(0.2)
        stop.set()
        watcher.join(timeout=5)
        old = target.old_writer
        new = target.writer()
        journal["writer"] = {"before": old, "after": new, "flipped": bool(new and new != old)}
        _step(journal, "restore", target.restore)
        empty: dict[str, list[Any]] = {k: [] for k in ("start", "end", "seq", "status", "replicated", "error", "server")}
        result = verdicts.decide(empty, inject_at, inject_at, marks, None, 30.0, False, 1.0)
        journal["verdict"] = result.as_dict()
        journal["marks"] = {k: round(v - inject_at, 3) for k, v in sorted(marks.items(), key=lambda kv: kv[1])}
    journal["status"] = "completed" if journal["writer"]["flipped"] else "deviated"
    journal["end"] = now_iso()
    return journal


def redis_preconditions(env: str, session: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """The ElastiCache target's preconditions and quota on the deployment (TestFailover itself is AWS-only)."""
    group_id = outputs.get("redis_replication_group_id")
    if not group_id:
        return {"status": "not deployed", "reason": "no redis_replication_group_id output"}
    target = AwsElastiCache(session, group_id, (outputs.get("secret_arns") or {}).get("redis_auth"))
    out: dict[str, Any] = {"target": target.describe()}
    try:
        out["preconditions"] = target.preconditions()
        out["status"] = "met" if not out["preconditions"] else "not met"
    except Exception as exc:  # moto lacks ElastiCache DescribeEvents (the quota count): say so
        out["status"] = "not answerable on the endpoint"
        out["reason"] = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    return out


@contextmanager
def _lock_within(seconds: float) -> Iterator[None]:
    """The machine-wide drill lock, waiting for another drill (a lab drill of the same suite) to end."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with drill_lock():
                yield
            return
        except TapguardError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(2)


def _second_lock() -> None:
    with drill_lock():
        pass
