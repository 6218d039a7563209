"""Requirements 3 and 4 — stored account data, keys, and data in transit (E, K, T)."""

from compliance_tests.conftest import assert_control
from tapguard.check import CheckRun

FAMILY = "data_protection"


def test_control(control_id: str, env: str, compliance_run: CheckRun) -> None:
    assert_control(compliance_run, control_id, env)
