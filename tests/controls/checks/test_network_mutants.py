"""The network checks' findings at every violation and boundary address, field by field (see golden.py)."""

from __future__ import annotations

from tests.controls.checks.golden import golden_tests

(
    test_findings_at_the_case_address_are_the_pinned_ones,
    test_findings_on_an_empty_plan_are_the_pinned_ones,
    test_findings_on_the_real_plans_are_the_pinned_kinds,
) = golden_tests("network")
