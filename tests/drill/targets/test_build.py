"""targets/build.py: a fault is checked once, by its target's registry, before the lab starts or AWS is called."""

from __future__ import annotations

from typing import Any

import pytest

from tapguard.drill.targets import build
from tapguard.drill.targets.build import TargetParams, build_targets
from tapguard.foundation.errors import TapguardError


def _no_lab() -> Any:
    raise AssertionError("the lab was started for a fault that does not exist")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (TargetParams(target="lab", component="all", fault="failover"), "--fault failover is not a lab fault for aurora"),
        (TargetParams(target="lab", component="redis", fault="x; rm -rf /"), "--fault x; rm -rf / is not a lab fault for redis"),
        (
            TargetParams(target="aws", component="aurora", fault="kill", confirm="c", cluster_id="c"),
            "--fault kill is not an aws fault for aurora",
        ),
        (TargetParams(target="aws", component="redis", fault="hang", confirm="g", replication_group_id="g"), "not an aws fault for redis"),
    ],
)
def test_an_unknown_fault_is_refused_before_anything_starts(params: TargetParams, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "project_lab", _no_lab)
    monkeypatch.setattr(build, "terraform_outputs", lambda env: _no_lab())
    with pytest.raises(TapguardError, match="choose") as raised:
        build_targets(params)
    assert message in str(raised.value)


def test_no_fault_means_the_targets_default() -> None:
    from tapguard.drill.targets.aws import AwsAurora, AwsElastiCache
    from tapguard.drill.targets.lab import LabPostgres, LabRedis

    assert TargetParams().fault is None
    assert [c.fault_named(None).name for c in (LabPostgres, LabRedis, AwsAurora, AwsElastiCache)] == [
        "kill",
        "kill",
        "failover",
        "failover",
    ]
