"""Every PCI DSS control of tapguard's catalogue, per environment, on real plans.

Parametrized by the tapguard pytest plugin (tapguard/pytest_plugin.py): one case per
control and environment, marked `pci(<requirement ids>)`, `control(<id>)` and `family(<name>)`.
Select with -k, e.g. `-k "E1 and us-west-2"`.
"""

from tapguard.controls.assessment import Assessment
from tapguard.pytest_plugin import assert_control


def test_control(control_id: str, env: str, compliance_run: Assessment) -> None:
    assert_control(compliance_run, control_id, env)
