"""Logging controls (L): audit trails, flow logs, log retention and encryption."""

from __future__ import annotations

from tests.conftest import drop_reference, remove, set_after
from tests.controls.violations import AURORA, LOG_FLOW, TASK_API, Violations, add, containers, violation_tests

# the account's multi-region trail is us-west-2's (eu-west-1's L1/L2 are judged on it: test_account_trail.py)
TRAIL = "module.observability.aws_cloudtrail.this[0]"

VIOLATIONS: Violations = {
    "L1": ("us-west-2", lambda d: set_after(d, TRAIL, "is_multi_region_trail", False), "aws_cloudtrail.this[0]"),
    "L2": ("us-west-2", lambda d: set_after(d, TRAIL, "enable_log_file_validation", False), "aws_cloudtrail.this[0]"),
    "L3": ("eu-west-1", lambda d: set_after(d, "module.network.aws_flow_log.this", "traffic_type", "REJECT"), "aws_flow_log.this"),
    "L4": (
        "eu-west-1",
        lambda d: set_after(d, "module.api.aws_api_gateway_method_settings.this", "settings.0.data_trace_enabled", True),
        "aws_api_gateway_method_settings.this",
    ),
    "L5": ("eu-west-1", lambda d: set_after(d, AURORA, "enabled_cloudwatch_logs_exports", []), AURORA),
    "L6": ("eu-west-1", lambda d: containers(d, TASK_API, lambda c: c.pop("logConfiguration")), TASK_API),
    "L7": ("eu-west-1", lambda d: remove(d, lambda rc: rc["type"] == "aws_wafv2_web_acl_logging_configuration"), "aws_wafv2_web_acl.this"),
    "L8": ("eu-west-1", lambda d: set_after(d, LOG_FLOW, "retention_in_days", 30), LOG_FLOW),
    "L9": (
        "eu-west-1",
        lambda d: (
            drop_reference(d, "module.observability.aws_cloudwatch_metric_alarm.this", "alarm_actions"),
            set_after(d, 'module.observability.aws_cloudwatch_metric_alarm.this["aurora-cpu"]', "alarm_actions", []),
        ),
        'alarm.this["aurora-cpu"]',
    ),
    "L10": (
        "eu-west-1",
        lambda d: add(d, "aws_guardduty_detector.this", "aws_guardduty_detector", {"enable": False}),
        "aws_guardduty_detector.this",
    ),
}

test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan = violation_tests(VIOLATIONS)
