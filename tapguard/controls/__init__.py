"""Controls: PCI DSS v4.0.1 and availability rules evaluated over a plan.

engine.py holds the vocabulary (Control, Finding, Context, Profile, the @check registry,
evaluate); catalogue.yaml and profiles.yaml are the data; checks/ has one module per
family of controls; waivers.py, checkov.py and assessment.py turn findings into a run.
"""

from tapguard.controls.engine import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    UNKNOWN,
    Context,
    Control,
    Finding,
    as_list,
    catalogue,
    check,
    containers,
    evaluate,
    profile_for,
    profiles,
)
from tapguard.foundation.profile import Profile

__all__ = [
    "FAIL",
    "NOT_APPLICABLE",
    "PASS",
    "UNKNOWN",
    "Context",
    "Control",
    "Finding",
    "Profile",
    "as_list",
    "catalogue",
    "check",
    "containers",
    "evaluate",
    "profile_for",
    "profiles",
]
