"""The stacks' promise: a writer failure is survived in under 30 s and no acknowledged write is lost."""

from __future__ import annotations

from typing import Any

import pytest

from chaos.conftest import explain


def test_aurora_failover_within_30s(drills: dict[str, dict[str, Any]]) -> None:
    journal = drills["aurora"]
    verdict = journal["verdict"]
    assert journal["status"] == "completed", explain(journal)
    assert verdict["downtime_s"] is not None and verdict["downtime_s"] <= verdict["max_downtime_s"], explain(journal)
    assert verdict["new_writer"] != verdict["old_writer"], explain(journal)


def test_redis_failover_within_30s(drills: dict[str, dict[str, Any]]) -> None:
    journal = drills["redis"]
    verdict = journal["verdict"]
    assert journal["status"] == "completed", explain(journal)
    assert verdict["downtime_s"] is not None and verdict["downtime_s"] <= verdict["max_downtime_s"], explain(journal)
    assert verdict["new_writer"] != verdict["old_writer"], explain(journal)


@pytest.mark.parametrize("component", ["aurora", "redis"])
def test_no_acknowledged_write_lost(component: str, drills: dict[str, dict[str, Any]]) -> None:
    journal = drills[component]
    verdict = journal["verdict"]
    assert verdict["acknowledged"] > 1000, explain(journal)
    assert verdict["lost"] == 0, explain(journal)
    assert verdict["passed"], explain(journal)
    read_back = next(a for a in journal["run"] if a["activity"]["name"].startswith("read back"))
    assert read_back["status"] == "succeeded" and read_back["output"]["present"] >= verdict["acknowledged"], explain(journal)
