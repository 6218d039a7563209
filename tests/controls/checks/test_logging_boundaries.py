"""Logging controls (L) at their edges: the last compliant value passes, the first one past it fails."""

from __future__ import annotations

from typing import Any

from tests.conftest import remove, set_after
from tests.controls.violations import AURORA, LOG_FLOW, TASK_API, Boundary, add, boundary_tests, containers

TRAIL = "module.observability.aws_cloudtrail.this[0]"  # the account trail: us-west-2 owns it
FLOW = "module.network.aws_flow_log.this"
METHOD_SETTINGS = "module.api.aws_api_gateway_method_settings.this"
WAF_LOGS = "module.api.aws_cloudwatch_log_group.waf"
FILTERS = "module.observability.aws_cloudwatch_log_metric_filter.security"


def selectors(management: bool) -> list[dict[str, Any]]:
    return [
        {"data_resource": [], "exclude_management_event_sources": None, "include_management_events": management, "read_write_type": "All"}
    ]


def keep_filters(data: dict[str, Any], count: int) -> None:
    """Only the first `count` CloudTrail security metric filters stay in the plan."""
    mine = [rc["address"] for rc in data["resource_changes"] if rc["address"].startswith(FILTERS)]
    assert len(mine) > count, mine
    remove(data, lambda rc: rc["address"] in mine[count:])


def detector(data: dict[str, Any], enable: bool | None) -> None:
    add(data, "aws_guardduty_detector.this", "aws_guardduty_detector", {"enable": enable})


BOUNDARIES: dict[str, Boundary] = {
    # a selector that includes management events passes; one that leaves them out fails
    "L1": Boundary(
        "us-west-2",
        lambda d: set_after(d, TRAIL, "event_selector", selectors(True)),
        lambda d: set_after(d, TRAIL, "event_selector", selectors(False)),
        "aws_cloudtrail.this[0]",
    ),
    # validation on passes; unset (the provider's default: off) fails
    "L2": Boundary(
        "us-west-2",
        lambda d: set_after(d, TRAIL, "enable_log_file_validation", True),
        lambda d: set_after(d, TRAIL, "enable_log_file_validation", None),
        "aws_cloudtrail.this[0]",
    ),
    # flow logs to S3 need no log group in the plan; to Firehose they are not a supported destination here
    "L3": Boundary(
        "eu-west-1",
        lambda d: set_after(d, FLOW, "log_destination_type", "s3"),
        lambda d: set_after(d, FLOW, "log_destination_type", "kinesis-data-firehose"),
        "aws_flow_log.this",
    ),
    # ERROR-level execution logging still passes; OFF fails
    "L4": Boundary(
        "eu-west-1",
        lambda d: set_after(d, METHOD_SETTINGS, "settings.0.logging_level", "ERROR"),
        lambda d: set_after(d, METHOD_SETTINGS, "settings.0.logging_level", "OFF"),
        "aws_api_gateway_method_settings.this",
    ),
    # exporting exactly the postgresql log passes; exporting only another log fails
    "L5": Boundary(
        "eu-west-1",
        lambda d: set_after(d, AURORA, "enabled_cloudwatch_logs_exports", ["postgresql"]),
        lambda d: set_after(d, AURORA, "enabled_cloudwatch_logs_exports", ["iam-db-auth-error"]),
        AURORA,
    ),
    # firelens needs no log group of the stack; awslogs to a group the stack does not create fails
    "L6": Boundary(
        "eu-west-1",
        lambda d: containers(d, TASK_API, lambda c: c.update(logConfiguration={"logDriver": "awsfirelens", "options": {}})),
        lambda d: containers(d, TASK_API, lambda c: c["logConfiguration"]["options"].update({"awslogs-group": "logs-elsewhere-dev"})),
        TASK_API,
    ),
    # the destination must be named aws-waf-logs-*: the shortest such name passes, the name without "aws-" fails
    "L7": Boundary(
        "eu-west-1",
        lambda d: set_after(d, WAF_LOGS, "name", "aws-waf-logs-x"),
        lambda d: set_after(d, WAF_LOGS, "name", "waf-logs-transactions-dev"),
        "aws_wafv2_web_acl_logging_configuration.this",
    ),
    # twelve months is 365 days: 365 passes, 364 fails
    "L8": Boundary(
        "eu-west-1",
        lambda d: set_after(d, LOG_FLOW, "retention_in_days", 365),
        lambda d: set_after(d, LOG_FLOW, "retention_in_days", 364),
        LOG_FLOW,
    ),
    # three security metric filters pass, two fail (they are on the account trail's log group: us-west-2's)
    "L9": Boundary("us-west-2", lambda d: keep_filters(d, 3), lambda d: keep_filters(d, 2), "(security metric filters)"),
    # a detector the stack owns must be enabled explicitly
    "L10": Boundary("eu-west-1", lambda d: detector(d, True), lambda d: detector(d, None), "aws_guardduty_detector.this"),
}

test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge = boundary_tests(BOUNDARIES)
