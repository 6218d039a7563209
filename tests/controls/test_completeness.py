"""Completeness: every control has a violation test, none passes when its resources are missing, a crash is a failure."""

from __future__ import annotations

from typing import Any

import pytest

from tapguard import controls
from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, engine
from tests.controls import test_classes
from tests.controls.checks import (
    test_accounts,
    test_availability,
    test_data_protection,
    test_identity,
    test_lifecycle,
    test_logging,
    test_network,
)
from tests.controls.violations import evaluate

FAMILIES = (test_network, test_data_protection, test_logging, test_identity, test_availability, test_lifecycle, test_classes, test_accounts)


def test_every_control_has_a_violation_test() -> None:
    covered = {cid for module in FAMILIES for cid in module.VIOLATIONS}
    assert covered | {"D1"} == set(controls.catalogue())


def test_each_violation_sits_with_its_family() -> None:
    for module in FAMILIES:
        family = module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
        assert {controls.catalogue()[cid].family for cid in module.VIOLATIONS} == {family}


@pytest.mark.parametrize("control_id", sorted(controls.catalogue()))
def test_control_never_passes_when_its_resources_are_missing(control_id: str, fresh: Any) -> None:
    data = fresh("eu-west-1")
    data["resource_changes"] = []
    data["prior_state"] = {}
    data["configuration"]["provider_config"] = {}
    findings = evaluate("eu-west-1", data, control_id)
    assert findings
    assert not [f for f in findings if f.status == PASS], [f.describe() for f in findings]
    assert any(f.status in (FAIL, NOT_APPLICABLE, UNKNOWN) for f in findings)


def test_a_crashing_check_is_a_failure_not_silence(fresh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: controls.Context) -> list[controls.Finding]:
        raise RuntimeError("bug")

    monkeypatch.setitem(engine._CHECKS, "E1", boom)
    findings = evaluate("eu-west-1", fresh("eu-west-1"), "E1")
    assert [(f.status, f.actual) for f in findings] == [(FAIL, "RuntimeError")]
