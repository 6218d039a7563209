"""Every control has two violation cases (its violation and the edge just past its limit) and a compliant edge that passes."""

from __future__ import annotations

from types import ModuleType

from tapguard import controls
from tests.controls import test_classes, test_classes_boundaries
from tests.controls.checks import (
    test_accounts,
    test_accounts_boundaries,
    test_availability,
    test_availability_boundaries,
    test_data_protection,
    test_data_protection_boundaries,
    test_identity,
    test_identity_boundaries,
    test_lifecycle,
    test_lifecycle_boundaries,
    test_logging,
    test_logging_boundaries,
    test_network,
    test_network_boundaries,
)

FAMILIES: tuple[tuple[ModuleType, ModuleType], ...] = (
    (test_network, test_network_boundaries),
    (test_data_protection, test_data_protection_boundaries),
    (test_logging, test_logging_boundaries),
    (test_identity, test_identity_boundaries),
    (test_availability, test_availability_boundaries),
    (test_lifecycle, test_lifecycle_boundaries),
    (test_classes, test_classes_boundaries),
    (test_accounts, test_accounts_boundaries),
)


def cases() -> tuple[dict[str, int], dict[str, int]]:
    """Per control id: how many plans must make it fail, how many compliant edges must let it pass."""
    failing: dict[str, int] = {}
    passing: dict[str, int] = {}
    for violations, boundaries in FAMILIES:
        for cid in violations.VIOLATIONS:
            failing[cid] = failing.get(cid, 0) + 1
        for cid in boundaries.BOUNDARIES:
            failing[cid] = failing.get(cid, 0) + 1
            passing[cid] = passing.get(cid, 0) + 1
    # D1 reads HCL, not the plan: its violation is test_lifecycle's prevent_destroy test, its edges HCL_BOUNDARIES
    assert callable(test_lifecycle.test_prevent_destroy_in_hcl_fails_d1)
    for cid in test_lifecycle_boundaries.HCL_BOUNDARIES:
        failing[cid] = failing.get(cid, 0) + 2
        passing[cid] = passing.get(cid, 0) + 1
    return failing, passing


def test_every_control_has_two_violation_cases_and_a_passing_edge() -> None:
    failing, passing = cases()
    catalogue = set(controls.catalogue())
    assert sorted(cid for cid in catalogue if failing.get(cid, 0) < 2) == []
    assert sorted(cid for cid in catalogue if passing.get(cid, 0) < 1) == []
    assert set(failing) <= catalogue, sorted(set(failing) - catalogue)


def test_each_boundary_sits_with_its_family() -> None:
    for _, boundaries in FAMILIES:
        family = boundaries.__name__.rsplit(".", 1)[-1].removeprefix("test_").removesuffix("_boundaries")
        assert {controls.catalogue()[cid].family for cid in boundaries.BOUNDARIES} == {family}
