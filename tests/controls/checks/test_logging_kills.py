"""Logging checks (L1-L10) on small synthetic plans: every branch reached, every finding pinned field by field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from tapguard.controls.checks import logging
from tapguard.controls.engine import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Context, Finding
from tapguard.foundation.profile import Profile
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY
from tests.controls.checks.golden import configured as res

Resource = tuple[dict[str, Any], dict[str, Any]]  # (resource change, configuration entry)
Row = tuple[Any, ...]
Check = Callable[[Context], Iterable[Finding]]
STACK = Profile(name="stack")  # requires None: every resource a control needs is required
GENERIC = Profile(name="elsewhere", requires=(), generic=True)
OK = "as required"


def judge(check: Check, *resources: Resource, profile: Profile = STACK, env: str = "stack") -> list[Row]:
    """(address, attribute, status, actual, expected, message) of every finding of one check on a plan of `resources`."""
    data = {
        **EMPTY,
        "resource_changes": [change for change, _ in resources],
        "configuration": {"root_module": {"resources": [entry for _, entry in resources]}},
    }
    ctx = Context(env=env, plan=model.from_dict(data, "synthetic"), profile=profile, control_id="L")
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in check(ctx)]


# ---------------------------------------------------------------- every check on a plan without what it needs
NEEDS: list[tuple[Check, str, str]] = [
    (
        logging.trail_records_everything,
        "aws_cloudtrail",
        "no CloudTrail trail: API activity (including secret access) is not recorded by this stack",
    ),
    (logging.trail_protected, "aws_cloudtrail", "no CloudTrail trail to protect"),
    (logging.vpc_flow_logs, "aws_vpc", "no VPC to verify"),
    (logging.database_logs, "aws_rds_cluster", "no Aurora cluster to verify"),
    (logging.container_logs, "aws_ecs_task_definition", "no ECS task definitions in this stack"),
    (logging.waf_logging, "aws_wafv2_web_acl", "no web ACL to verify"),
    (logging.log_retention, "aws_cloudwatch_log_group", "no log groups to verify"),
    (logging.alarms_notify, "aws_cloudwatch_metric_alarm", "no alarms: failures of critical controls go unnoticed"),
]


@pytest.mark.parametrize(("check", "rtype", "why"), NEEDS, ids=[c.__name__ for c, _, _ in NEEDS])
def test_a_stack_without_the_resource_fails_and_a_foreign_plan_is_not_applicable(check: Check, rtype: str, why: str) -> None:
    assert judge(check) == [(f"(no {rtype})", "", FAIL, None, f"at least one {rtype}", why)]
    assert judge(check, profile=GENERIC) == [(f"(no {rtype})", "", NOT_APPLICABLE, None, f"at least one {rtype}", why)]


def test_api_logging_without_a_stage_or_account_only_misses_the_stage() -> None:
    missing = ("(no aws_api_gateway_stage)", "", FAIL, None, "at least one aws_api_gateway_stage", "no API stage to verify")
    assert judge(logging.api_logging) == [missing]
    account = res("aws_api_gateway_account.this", {"cloudwatch_role_arn": "arn:aws:iam::1:role/apigw"})
    assert judge(logging.api_logging, account) == [
        missing,
        ("aws_api_gateway_account.this", "cloudwatch_role_arn", PASS, "arn:aws:iam::1:role/apigw", "set", OK),
    ]


# ---------------------------------------------------------------- L1 / L2: the trail, or the stack that owns it
PENDING_EXPECTED = "a multi-region aws_cloudtrail in the plan of us-west-2 (the account trail's owner) that passes there"
PENDING_WHY = "the account's multi-region trail is owned by stack us-west-2, whose plan is not part of this run: check both together"
GOOD_TRAIL = {
    "is_multi_region_trail": True,
    "include_global_service_events": True,
    "enable_logging": True,
    "event_selector": [],
    "enable_log_file_validation": True,
    "cloud_watch_logs_group_arn": "arn:aws:logs:eu-west-1:1:log-group:trail:*",
    "cloud_watch_logs_role_arn": "arn:aws:iam::1:role/trail",
}
KEY = res("aws_kms_key.audit", {"enable_key_rotation": True})


def trail(refs: dict[str, list[str]] | None = None, **after: Any) -> Resource:
    return res("aws_cloudtrail.audit", {**GOOD_TRAIL, **after}, refs if refs is not None else {"kms_key_id": ["aws_kms_key.audit"]})


@pytest.mark.parametrize("check", [logging.trail_records_everything, logging.trail_protected])
def test_a_stack_whose_trail_another_stack_owns_is_pending_on_the_owner(check: Check) -> None:
    owned = Profile(name="eu-west-1", trail_owner="us-west-2")
    pending = ("(account trail)", "aws_cloudtrail", UNKNOWN, None, PENDING_EXPECTED, PENDING_WHY)
    assert judge(check, profile=owned, env="eu-west-1") == [pending]
    # only the pending finding, also when other resources are there
    assert judge(check, KEY, profile=owned, env="eu-west-1") == [pending]


@pytest.mark.parametrize("check", [logging.trail_records_everything, logging.trail_protected])
def test_the_owner_itself_without_a_trail_fails_like_a_stack_without_owner(check: Check) -> None:
    own = Profile(name="us-west-2", trail_owner="us-west-2")
    [(address, attribute, status, *_)] = judge(check, profile=own, env="us-west-2")
    assert (address, attribute, status) == ("(no aws_cloudtrail)", "", FAIL)


def test_a_stack_naming_an_owner_but_declaring_a_trail_is_judged_on_it() -> None:
    owned = Profile(name="eu-west-1", trail_owner="us-west-2")
    found = judge(logging.trail_records_everything, trail(), KEY, profile=owned, env="eu-west-1")
    assert [(a, attr, s) for a, attr, s, *_ in found] == [
        ("aws_cloudtrail.audit", "is_multi_region_trail", PASS),
        ("aws_cloudtrail.audit", "include_global_service_events", PASS),
        ("aws_cloudtrail.audit", "enable_logging", PASS),
        ("aws_cloudtrail.audit", "event_selector", PASS),
    ]


def test_a_compliant_trail_passes_l1_on_every_attribute() -> None:
    assert judge(logging.trail_records_everything, trail(), KEY) == [
        ("aws_cloudtrail.audit", "is_multi_region_trail", PASS, True, True, OK),
        ("aws_cloudtrail.audit", "include_global_service_events", PASS, True, True, OK),
        ("aws_cloudtrail.audit", "enable_logging", PASS, True, True, OK),
        ("aws_cloudtrail.audit", "event_selector", PASS, [], "management events included", OK),
    ]


def test_a_single_region_trail_without_global_events_fails_l1_each_named() -> None:
    found = judge(
        logging.trail_records_everything, trail(is_multi_region_trail=None, include_global_service_events=False, enable_logging=False)
    )
    assert found == [
        ("aws_cloudtrail.audit", "is_multi_region_trail", FAIL, None, True, "trail records one region only"),
        ("aws_cloudtrail.audit", "include_global_service_events", FAIL, False, True, "IAM/STS events are not recorded"),
        ("aws_cloudtrail.audit", "enable_logging", FAIL, False, True, "logging is stopped"),
        ("aws_cloudtrail.audit", "event_selector", PASS, [], "management events included", OK),
    ]


def test_a_trail_with_global_events_unset_fails_and_logging_unset_passes() -> None:
    found = judge(
        logging.trail_records_everything, trail(is_multi_region_trail=False, include_global_service_events=None, enable_logging=None)
    )
    assert found[:3] == [
        ("aws_cloudtrail.audit", "is_multi_region_trail", FAIL, False, True, "trail records one region only"),
        ("aws_cloudtrail.audit", "include_global_service_events", FAIL, None, True, "IAM/STS events are not recorded"),
        ("aws_cloudtrail.audit", "enable_logging", PASS, None, True, OK),  # the provider's default is on
    ]


def selector(management: Any) -> dict[str, Any]:
    return {"include_management_events": management, "read_write_type": "All"}


@pytest.mark.parametrize(
    ("selectors", "good"),
    [
        (None, True),
        ([selector(True)], True),
        ([selector(False), selector(True)], True),  # any selector that records management events is enough
        ([selector(False)], False),
        ([selector(None), selector("true")], False),
        (selector(True), True),  # one block, not in a list
    ],
)
def test_event_selectors_must_record_management_events(selectors: Any, good: bool) -> None:
    found = judge(logging.trail_records_everything, trail(event_selector=selectors))[3]
    shown = [] if selectors is None else selectors if isinstance(selectors, list) else [selectors]  # as a list, however written
    if good:
        assert found == ("aws_cloudtrail.audit", "event_selector", PASS, shown, "management events included", OK)
    else:
        assert found == (
            "aws_cloudtrail.audit",
            "event_selector",
            FAIL,
            shown,
            "management events included",
            "management events are excluded",
        )


def test_two_trails_are_each_judged() -> None:
    second = res("aws_cloudtrail.region", {**GOOD_TRAIL, "is_multi_region_trail": False})
    found = judge(logging.trail_records_everything, trail(), second, KEY)
    assert [(a, attr, s) for a, attr, s, *_ in found if attr == "is_multi_region_trail"] == [
        ("aws_cloudtrail.audit", "is_multi_region_trail", PASS),
        ("aws_cloudtrail.region", "is_multi_region_trail", FAIL),
    ]


def test_a_protected_trail_passes_l2_on_every_attribute() -> None:
    assert judge(logging.trail_protected, trail(), KEY) == [
        ("aws_cloudtrail.audit", "enable_log_file_validation", PASS, True, True, OK),
        ("aws_cloudtrail.audit", "kms_key_id", PASS, "aws_kms_key.audit", "a customer-managed aws_kms_key", OK),
        ("aws_cloudtrail.audit", "cloud_watch_logs_group_arn", PASS, GOOD_TRAIL["cloud_watch_logs_group_arn"], "set", OK),
        ("aws_cloudtrail.audit", "cloud_watch_logs_role_arn", PASS, GOOD_TRAIL["cloud_watch_logs_role_arn"], "set", OK),
    ]


def test_an_unvalidated_unencrypted_trail_outside_cloudwatch_fails_l2_each_named() -> None:
    bare = trail({}, enable_log_file_validation=None, cloud_watch_logs_group_arn=None, cloud_watch_logs_role_arn=None)
    review = "trail is not delivered to CloudWatch Logs for automated review"
    assert judge(logging.trail_protected, bare) == [
        ("aws_cloudtrail.audit", "enable_log_file_validation", FAIL, None, True, "log files can be altered undetected"),
        (
            "aws_cloudtrail.audit",
            "kms_key_id",
            FAIL,
            None,
            "a customer-managed aws_kms_key",
            "no customer-managed key (AWS-managed or none)",
        ),
        ("aws_cloudtrail.audit", "cloud_watch_logs_group_arn", FAIL, None, "set", review),
        ("aws_cloudtrail.audit", "cloud_watch_logs_role_arn", FAIL, None, "set", review),
    ]


def test_a_trail_delivered_to_a_group_known_only_after_apply_passes_l2() -> None:
    later = res(
        "aws_cloudtrail.audit",
        {**GOOD_TRAIL, "enable_log_file_validation": False, "cloud_watch_logs_group_arn": None},
        {"kms_key_id": ["aws_kms_key.audit"]},
        {"cloud_watch_logs_group_arn": True},
    )
    found = judge(logging.trail_protected, later, KEY)
    assert found[0] == ("aws_cloudtrail.audit", "enable_log_file_validation", FAIL, False, True, "log files can be altered undetected")
    assert found[2] == ("aws_cloudtrail.audit", "cloud_watch_logs_group_arn", PASS, None, "set", OK)
    assert len(found) == 4


def test_every_trail_is_protected_not_only_the_first() -> None:
    second = res("aws_cloudtrail.region", {**GOOD_TRAIL, "enable_log_file_validation": None})
    found = judge(logging.trail_protected, trail(), second, KEY)
    assert [(a, s) for a, attr, s, *_ in found if attr == "enable_log_file_validation"] == [
        ("aws_cloudtrail.audit", PASS),
        ("aws_cloudtrail.region", FAIL),
    ]


# ---------------------------------------------------------------- L3: VPC flow logs
LOGS = res("aws_cloudwatch_log_group.flow", {"name": "/vpc/flow", "retention_in_days": 365})
FLOW_OK = {"traffic_type": "ALL", "log_destination_type": "cloud-watch-logs", "iam_role_arn": "arn:aws:iam::1:role/flow"}


def flow(name: str, vpc: str, refs: dict[str, list[str]] | None = None, **after: Any) -> Resource:
    return res(f"aws_flow_log.{name}", {**FLOW_OK, **after}, {"vpc_id": [vpc], **(refs or {})})


def test_a_vpc_with_a_complete_flow_log_passes_and_one_without_fails() -> None:
    logged = flow("main", "aws_vpc.main", {"log_destination": ["aws_cloudwatch_log_group.flow"]})
    found = judge(logging.vpc_flow_logs, res("aws_vpc.main", {}), res("aws_vpc.spare", {}), logged, LOGS)
    assert found == [
        ("aws_flow_log.main", "traffic_type", PASS, "ALL", "ALL", OK),
        ("aws_flow_log.main", "log_destination_type", PASS, "cloud-watch-logs", "cloud-watch-logs or s3", OK),
        (
            "aws_flow_log.main",
            "log_destination",
            PASS,
            ["aws_cloudwatch_log_group.flow"],
            "a log group in this plan (KMS-encrypted, see E6)",
            OK,
        ),
        ("aws_flow_log.main", "iam_role_arn", PASS, "arn:aws:iam::1:role/flow", "set", OK),
        ("aws_vpc.spare", "flow_log", FAIL, None, "an aws_flow_log with traffic_type ALL", "no flow log for this VPC"),
    ]


def test_a_flow_log_of_rejected_traffic_to_s3_fails_only_on_its_traffic() -> None:
    to_s3 = flow("main", "aws_vpc.main", traffic_type="REJECT", log_destination_type="s3", iam_role_arn=None)
    assert judge(logging.vpc_flow_logs, res("aws_vpc.main", {}), to_s3) == [
        ("aws_flow_log.main", "traffic_type", FAIL, "REJECT", "ALL", "only part of the traffic is logged"),
        ("aws_flow_log.main", "log_destination_type", PASS, "s3", "cloud-watch-logs or s3", OK),
        ("aws_flow_log.main", "log_destination", PASS, [], "a log group in this plan (KMS-encrypted, see E6)", OK),
    ]


def test_a_flow_log_to_firehose_without_group_or_role_fails_on_each() -> None:
    firehose = flow("main", "aws_vpc.main", log_destination_type="kinesis-data-firehose", iam_role_arn=None)
    assert judge(logging.vpc_flow_logs, res("aws_vpc.main", {}), firehose) == [
        ("aws_flow_log.main", "traffic_type", PASS, "ALL", "ALL", OK),
        ("aws_flow_log.main", "log_destination_type", FAIL, "kinesis-data-firehose", "cloud-watch-logs or s3", "unsupported destination"),
        (
            "aws_flow_log.main",
            "log_destination",
            FAIL,
            [],
            "a log group in this plan (KMS-encrypted, see E6)",
            "flow log destination not traceable",
        ),
        ("aws_flow_log.main", "iam_role_arn", FAIL, None, "set", "flow log cannot deliver"),
    ]


def test_a_flow_log_to_cloudwatch_needs_a_group_of_the_plan_not_an_arn() -> None:
    outside = flow("main", "aws_vpc.main", log_destination="arn:aws:logs:eu-west-1:1:log-group:elsewhere")
    found = judge(logging.vpc_flow_logs, res("aws_vpc.main", {}), outside, LOGS)
    assert found[2] == (
        "aws_flow_log.main",
        "log_destination",
        FAIL,
        [],
        "a log group in this plan (KMS-encrypted, see E6)",
        "flow log destination not traceable",
    )


def test_a_flow_log_to_a_bucket_of_the_plan_is_not_a_log_group() -> None:
    bucket = res("aws_s3_bucket.flow", {"bucket": "flow"})
    wrong = flow("main", "aws_vpc.main", {"log_destination": ["aws_s3_bucket.flow"]})
    found = judge(logging.vpc_flow_logs, res("aws_vpc.main", {}), wrong, bucket)
    assert found[2][:4] == ("aws_flow_log.main", "log_destination", FAIL, [])


def test_each_vpc_is_judged_on_its_own_flow_logs() -> None:
    a = flow("a", "aws_vpc.a", {"log_destination": ["aws_cloudwatch_log_group.flow"]})
    b = flow("b", "aws_vpc.b", {"log_destination": ["aws_cloudwatch_log_group.flow"]}, traffic_type="ACCEPT")
    b2 = flow("b2", "aws_vpc.b", {"log_destination": ["aws_cloudwatch_log_group.flow"]})
    found = judge(logging.vpc_flow_logs, res("aws_vpc.a", {}), res("aws_vpc.b", {}), a, b, b2, LOGS)
    assert [(addr, status) for addr, attr, status, *_ in found if attr == "traffic_type"] == [
        ("aws_flow_log.a", PASS),
        ("aws_flow_log.b", FAIL),
        ("aws_flow_log.b2", PASS),
    ]
    assert len(found) == 12


# ---------------------------------------------------------------- L4: API Gateway logging
STAGE = "aws_api_gateway_stage.live"
ACCESS = [{"destination_arn": "arn:aws:logs:eu-west-1:1:log-group:api", "format": "$context.requestId"}]
SETTINGS_OK = {"logging_level": "INFO", "metrics_enabled": True, "data_trace_enabled": False}
ACCOUNT = res("aws_api_gateway_account.this", {"cloudwatch_role_arn": "arn:aws:iam::1:role/apigw"})
NO_ACCOUNT = (
    "(no aws_api_gateway_account)",
    "cloudwatch_role_arn",
    FAIL,
    None,
    "an aws_api_gateway_account with a CloudWatch role",
    "execution logs need the regional account setting",
)


def stage(name: str = "live", unknown: dict[str, Any] | None = None, **after: Any) -> Resource:
    return res(f"aws_api_gateway_stage.{name}", {"stage_name": name, "access_log_settings": ACCESS, **after}, unknown=unknown)


def method_settings(name: str, of: str, **settings: Any) -> Resource:
    return res(
        f"aws_api_gateway_method_settings.{name}", {"method_path": "*/*", "settings": [{**SETTINGS_OK, **settings}]}, {"stage_name": [of]}
    )


def test_a_logged_stage_with_settings_and_an_account_passes_l4() -> None:
    found = judge(logging.api_logging, stage(), method_settings("all", STAGE), ACCOUNT)
    assert found == [
        (STAGE, "access_log_settings", PASS, ACCESS, "destination_arn and format", OK),
        ("aws_api_gateway_method_settings.all", "settings.0.logging_level", PASS, "INFO", "ERROR or INFO", OK),
        ("aws_api_gateway_method_settings.all", "settings.0.metrics_enabled", PASS, True, True, OK),
        ("aws_api_gateway_method_settings.all", "settings.0.data_trace_enabled", PASS, False, False, OK),
        ("aws_api_gateway_account.this", "cloudwatch_role_arn", PASS, "arn:aws:iam::1:role/apigw", "set", OK),
    ]


def test_a_stage_without_access_log_settings_or_account_fails_l4() -> None:
    found = judge(logging.api_logging, stage(access_log_settings=None))
    assert found == [
        (STAGE, "access_log_settings", FAIL, None, "destination_arn and format", "no access log"),
        (STAGE, "method_settings", FAIL, None, "aws_api_gateway_method_settings for */*", "no execution logging or metrics"),
        NO_ACCOUNT,
    ]


@pytest.mark.parametrize(
    ("access", "unknown", "good"),
    [
        ([{"destination_arn": "arn:aws:logs:x", "format": ""}], None, False),  # a format must say something
        ([{"destination_arn": None, "format": "$context.requestId"}], None, False),
        ([{"destination_arn": None, "format": "$context.requestId"}], {"access_log_settings": [{"destination_arn": True}]}, True),
    ],
)
def test_an_access_log_needs_both_a_destination_and_a_format(access: Any, unknown: dict[str, Any] | None, good: bool) -> None:
    found = judge(logging.api_logging, stage(access_log_settings=access, unknown=unknown), method_settings("all", STAGE), ACCOUNT)[0]
    assert found == (
        STAGE,
        "access_log_settings",
        PASS if good else FAIL,
        access,
        "destination_arn and format",
        OK if good else "no access log",
    )


def test_execution_logging_off_without_metrics_and_with_data_trace_fails_l4() -> None:
    loud = method_settings("all", STAGE, logging_level="OFF", metrics_enabled=None, data_trace_enabled=True)
    found = judge(logging.api_logging, stage(), loud, ACCOUNT)
    assert found[1:4] == [
        ("aws_api_gateway_method_settings.all", "settings.0.logging_level", FAIL, "OFF", "ERROR or INFO", "execution logging is off"),
        ("aws_api_gateway_method_settings.all", "settings.0.metrics_enabled", FAIL, None, True, "metrics are off"),
        (
            "aws_api_gateway_method_settings.all",
            "settings.0.data_trace_enabled",
            FAIL,
            True,
            False,
            "full request/response logging can capture PAN",
        ),
    ]


def test_error_level_logging_with_data_trace_unset_passes_l4() -> None:
    quiet = method_settings("all", STAGE, logging_level="ERROR", data_trace_enabled=None, metrics_enabled=False)
    found = judge(logging.api_logging, stage(), quiet, ACCOUNT)
    assert [f[2] for f in found[1:4]] == [PASS, FAIL, PASS]


def test_each_stage_is_judged_on_its_own_method_settings_and_every_account() -> None:
    other = res("aws_api_gateway_account.other", {"cloudwatch_role_arn": None})
    found = judge(
        logging.api_logging,
        stage(),
        stage("canary"),
        method_settings("live", STAGE),
        method_settings("canary", "aws_api_gateway_stage.canary", logging_level="OFF"),
        ACCOUNT,
        other,
    )
    assert [(a, attr, s) for a, attr, s, *_ in found] == [
        (STAGE, "access_log_settings", PASS),
        ("aws_api_gateway_method_settings.live", "settings.0.logging_level", PASS),
        ("aws_api_gateway_method_settings.live", "settings.0.metrics_enabled", PASS),
        ("aws_api_gateway_method_settings.live", "settings.0.data_trace_enabled", PASS),
        ("aws_api_gateway_stage.canary", "access_log_settings", PASS),
        ("aws_api_gateway_method_settings.canary", "settings.0.logging_level", FAIL),
        ("aws_api_gateway_method_settings.canary", "settings.0.metrics_enabled", PASS),
        ("aws_api_gateway_method_settings.canary", "settings.0.data_trace_enabled", PASS),
        ("aws_api_gateway_account.this", "cloudwatch_role_arn", PASS),
        ("aws_api_gateway_account.other", "cloudwatch_role_arn", FAIL),
    ]
    assert found[-1] == ("aws_api_gateway_account.other", "cloudwatch_role_arn", FAIL, None, "set", "API Gateway cannot write logs")


# ---------------------------------------------------------------- L5: database logs
PG = res(
    "aws_rds_cluster_parameter_group.pg",
    {
        "parameter": [
            {"name": "log_statement", "value": "ddl"},
            {"name": "log_min_duration_statement", "value": "1000"},
            {"name": "rds.force_ssl"},
        ]
    },
)
GROUP_NAME = "/aws/rds/cluster/ledger/postgresql"
DB_LOGS = res("aws_cloudwatch_log_group.ledger", {"name": GROUP_NAME})


def cluster(name: str = "ledger", groups: tuple[str, ...] = ("aws_rds_cluster_parameter_group.pg",), **after: Any) -> Resource:
    body = {"cluster_identifier": name, "enabled_cloudwatch_logs_exports": ["postgresql"], **after}
    return res(f"aws_rds_cluster.{name}", body, {"db_cluster_parameter_group_name": list(groups)})


def test_a_cluster_exporting_statement_logs_to_its_group_passes_l5() -> None:
    needed = ["log_min_duration_statement", "log_statement"]
    assert judge(logging.database_logs, cluster(), PG, DB_LOGS) == [
        ("aws_rds_cluster.ledger", "enabled_cloudwatch_logs_exports", PASS, ["postgresql"], ["postgresql"], OK),
        ("aws_rds_cluster_parameter_group.pg", "parameter", PASS, needed, needed, OK),
        ("aws_rds_cluster.ledger", "log_group", PASS, GROUP_NAME, GROUP_NAME, OK),
    ]


def test_a_cluster_without_export_statement_logging_or_group_fails_l5() -> None:
    partial = res("aws_rds_cluster_parameter_group.pg", {"parameter": [{"name": "log_statement", "value": "all"}]})
    elsewhere = res("aws_cloudwatch_log_group.other", {"name": "/aws/rds/cluster/other/postgresql"})
    found = judge(logging.database_logs, cluster(enabled_cloudwatch_logs_exports=["upgrade"]), partial, elsewhere)
    assert found == [
        ("aws_rds_cluster.ledger", "enabled_cloudwatch_logs_exports", FAIL, ["upgrade"], ["postgresql"], "PostgreSQL log is not exported"),
        (
            "aws_rds_cluster_parameter_group.pg",
            "parameter",
            FAIL,
            ["log_statement"],
            ["log_min_duration_statement", "log_statement"],
            "statement logging is not configured",
        ),
        (
            "aws_rds_cluster.ledger",
            "log_group",
            FAIL,
            None,
            GROUP_NAME,
            "exported log group is created by RDS with no retention and no CMK",
        ),
    ]


def test_a_single_exported_log_named_as_a_string_passes_and_no_parameters_fail() -> None:
    empty = res("aws_rds_cluster_parameter_group.pg", {"parameter": None})
    found = judge(logging.database_logs, cluster(enabled_cloudwatch_logs_exports="postgresql"), empty, DB_LOGS)
    assert found[:2] == [
        ("aws_rds_cluster.ledger", "enabled_cloudwatch_logs_exports", PASS, "postgresql", ["postgresql"], OK),
        (
            "aws_rds_cluster_parameter_group.pg",
            "parameter",
            FAIL,
            [],
            ["log_min_duration_statement", "log_statement"],
            "statement logging is not configured",
        ),
    ]


def test_a_parameter_group_setting_exactly_the_two_statement_parameters_passes() -> None:
    exact = res("aws_rds_cluster_parameter_group.pg", {"parameter": [{"name": "log_min_duration_statement"}, {"name": "log_statement"}]})
    needed = ["log_min_duration_statement", "log_statement"]
    found = judge(logging.database_logs, cluster(), exact, DB_LOGS)
    assert found[1] == ("aws_rds_cluster_parameter_group.pg", "parameter", PASS, needed, needed, OK)


def test_only_cluster_parameter_groups_are_judged_for_statement_logging() -> None:
    legacy = res("aws_db_parameter_group.legacy", {"parameter": []})
    found = judge(
        logging.database_logs, cluster(groups=("aws_rds_cluster_parameter_group.pg", "aws_db_parameter_group.legacy")), PG, legacy, DB_LOGS
    )
    assert [(a, attr, s) for a, attr, s, *_ in found] == [
        ("aws_rds_cluster.ledger", "enabled_cloudwatch_logs_exports", PASS),
        ("aws_rds_cluster_parameter_group.pg", "parameter", PASS),
        ("aws_rds_cluster.ledger", "log_group", PASS),
    ]


def test_every_cluster_needs_its_own_exported_group() -> None:
    found = judge(logging.database_logs, cluster(), cluster("audit", groups=()), PG, DB_LOGS)
    assert [(a, attr, s, actual) for a, attr, s, actual, *_ in found if attr == "log_group"] == [
        ("aws_rds_cluster.ledger", "log_group", PASS, GROUP_NAME),
        ("aws_rds_cluster.audit", "log_group", FAIL, None),
    ]


# ---------------------------------------------------------------- L6: container logs
TASK = "aws_ecs_task_definition.api"
CAPTURED, NOT_CAPTURED = "awslogs to a log group of this stack", "container output is not captured"
ECS_LOGS = res("aws_cloudwatch_log_group.api", {"name": "/ecs/api"})


def task(name: str, *defs: dict[str, Any]) -> Resource:
    return res(f"aws_ecs_task_definition.{name}", {"container_definitions": json.dumps(list(defs))})


def awslogs(name: str, driver: str, group: str | None = None) -> dict[str, Any]:
    options = {"awslogs-group": group} if group is not None else None
    return {"name": name, "logConfiguration": {"logDriver": driver, "options": options}}


def test_each_container_must_send_its_output_to_a_group_of_the_stack_or_firelens() -> None:
    defs = [
        awslogs("app", "awslogs", "/ecs/api"),
        awslogs("router", "awsfirelens"),
        awslogs("proxy", "awslogs", "/ecs/elsewhere"),
        awslogs("debug", "splunk", "/ecs/api"),
        awslogs("blind", "awslogs"),
        {"name": "bare"},
        {"name": "nulls", "logConfiguration": None},
    ]
    found = judge(logging.container_logs, task("api", *defs), ECS_LOGS)
    assert found == [
        (TASK, "container[app].logConfiguration", PASS, {"driver": "awslogs", "group": "/ecs/api"}, CAPTURED, OK),
        (TASK, "container[router].logConfiguration", PASS, {"driver": "awsfirelens", "group": None}, CAPTURED, OK),
        (TASK, "container[proxy].logConfiguration", FAIL, {"driver": "awslogs", "group": "/ecs/elsewhere"}, CAPTURED, NOT_CAPTURED),
        (TASK, "container[debug].logConfiguration", FAIL, {"driver": "splunk", "group": "/ecs/api"}, CAPTURED, NOT_CAPTURED),
        (TASK, "container[blind].logConfiguration", FAIL, {"driver": "awslogs", "group": None}, CAPTURED, NOT_CAPTURED),
        (TASK, "container[bare].logConfiguration", FAIL, {"driver": None, "group": None}, CAPTURED, NOT_CAPTURED),
        (TASK, "container[nulls].logConfiguration", FAIL, {"driver": None, "group": None}, CAPTURED, NOT_CAPTURED),
    ]


def test_unreadable_container_definitions_are_unknown_and_the_next_task_is_still_judged() -> None:
    later = res("aws_ecs_task_definition.batch", {}, unknown={"container_definitions": True})
    found = judge(logging.container_logs, later, task("api", awslogs("app", "awslogs", "/ecs/api")), ECS_LOGS)
    assert found == [
        (
            "aws_ecs_task_definition.batch",
            "container_definitions",
            UNKNOWN,
            "(known after apply)",
            "known container definitions",
            "cannot read the container definitions at plan time",
        ),
        (TASK, "container[app].logConfiguration", PASS, {"driver": "awslogs", "group": "/ecs/api"}, CAPTURED, OK),
    ]


def test_firelens_passes_with_any_group_and_awslogs_needs_the_group_by_name() -> None:
    named_by_address = res("aws_cloudwatch_log_group.other", {"name": "/ecs/other"})
    found = judge(
        logging.container_logs,
        task("api", awslogs("router", "awsfirelens", "/ecs/unknown"), awslogs("app", "awslogs", "other")),
        named_by_address,
    )
    assert [f[2] for f in found] == [PASS, FAIL]


# ---------------------------------------------------------------- L7: WAF logging
ACL = "aws_wafv2_web_acl.edge"
WAF_CONFIG = "aws_wafv2_web_acl_logging_configuration.edge"
WAF_NAMED = "a log group named aws-waf-logs-*"


def waf_config(acl: str, *groups: str, name: str = "edge") -> Resource:
    return res(f"aws_wafv2_web_acl_logging_configuration.{name}", {}, {"resource_arn": [acl], "log_destination_configs": list(groups)})


def log_group(name: str, group_name: str | None) -> Resource:
    return res(f"aws_cloudwatch_log_group.{name}", {"name": group_name} if group_name is not None else {})


def test_a_web_acl_logging_to_an_aws_waf_logs_group_passes_and_one_without_config_fails() -> None:
    found = judge(
        logging.waf_logging,
        res(ACL, {}),
        res("aws_wafv2_web_acl.spare", {}),
        waf_config(ACL, "aws_cloudwatch_log_group.waf"),
        log_group("waf", "aws-waf-logs-edge"),
    )
    assert found == [
        (WAF_CONFIG, "log_destination_configs", PASS, ["aws-waf-logs-edge"], WAF_NAMED, OK),
        ("aws_wafv2_web_acl.spare", "logging", FAIL, None, "an aws_wafv2_web_acl_logging_configuration", "WAF decisions are not logged"),
    ]


@pytest.mark.parametrize(
    ("groups", "names"),
    [
        ((), []),  # a destination outside the plan cannot be proven
        (("aws_cloudwatch_log_group.waf", "aws_cloudwatch_log_group.app"), ["app-logs", "aws-waf-logs-edge"]),  # every group, not any
        (("aws_cloudwatch_log_group.anon",), [None]),
        (("aws_cloudwatch_log_group.infix",), ["x-aws-waf-logs-edge"]),
    ],
)
def test_waf_logs_to_anything_but_aws_waf_logs_groups_fail(groups: tuple[str, ...], names: list[Any]) -> None:
    plan = [
        log_group("waf", "aws-waf-logs-edge"),
        log_group("app", "app-logs"),
        log_group("anon", None),
        log_group("infix", "x-aws-waf-logs-edge"),
    ]
    found = judge(logging.waf_logging, res(ACL, {}), waf_config(ACL, *groups), *plan)
    assert found == [(WAF_CONFIG, "log_destination_configs", FAIL, names, WAF_NAMED, "WAF log destination invalid")]


def test_every_logging_configuration_of_an_acl_is_judged() -> None:
    found = judge(
        logging.waf_logging,
        res(ACL, {}),
        waf_config(ACL, "aws_cloudwatch_log_group.app", name="first"),
        waf_config(ACL, "aws_cloudwatch_log_group.waf", name="second"),
        log_group("waf", "aws-waf-logs-edge"),
        log_group("app", "app-logs"),
    )
    assert [(a, s) for a, _, s, *_ in found] == [
        ("aws_wafv2_web_acl_logging_configuration.first", FAIL),
        ("aws_wafv2_web_acl_logging_configuration.second", PASS),
    ]


def test_a_log_destination_of_another_type_is_not_a_log_group() -> None:
    bucket = res("aws_s3_bucket.aws-waf-logs-edge", {"name": "aws-waf-logs-edge"})
    found = judge(logging.waf_logging, res(ACL, {}), waf_config(ACL, "aws_s3_bucket.aws-waf-logs-edge"), bucket)
    assert found == [(WAF_CONFIG, "log_destination_configs", FAIL, [], WAF_NAMED, "WAF log destination invalid")]


# ---------------------------------------------------------------- L8: log retention
@pytest.mark.parametrize(
    ("minimum", "days", "good"),
    [
        (365, 365, True),
        (365, 3653, True),
        (365, 364, False),
        (365, 0, False),  # never expire: still to be set
        (365, None, False),
        (365, "400", False),
        (30, 30, True),  # the profile's minimum, not a constant
        (30, 29, False),
    ],
)
def test_log_groups_keep_logs_at_least_the_profiles_minimum(minimum: int, days: Any, good: bool) -> None:
    profile = Profile(name="stack", min_log_retention_days=minimum)
    found = judge(logging.log_retention, res("aws_cloudwatch_log_group.a", {"retention_in_days": days}), profile=profile)
    expected = f">= {minimum} days (0 = never expire is not allowed: set a retention)"
    message = OK if good else "audit logs expire before 12 months"
    assert found == [("aws_cloudwatch_log_group.a", "retention_in_days", PASS if good else FAIL, days, expected, message)]


def test_every_log_group_is_judged_for_retention() -> None:
    found = judge(
        logging.log_retention,
        res("aws_cloudwatch_log_group.a", {"retention_in_days": 400}),
        res("aws_cloudwatch_log_group.b", {"retention_in_days": 7}),
    )
    assert [(a, s) for a, _, s, *_ in found] == [("aws_cloudwatch_log_group.a", PASS), ("aws_cloudwatch_log_group.b", FAIL)]


# ---------------------------------------------------------------- L9: alarms and security metric filters
TOPIC = res("aws_sns_topic.ops", {"name": "ops"})
NOBODY = "alarm notifies nobody"
FILTERS_EXPECTED = ">= 3 CloudTrail metric filters (unauthorized calls, KMS, security groups)"


def alarm(name: str, refs: list[str] | None = None, **after: Any) -> Resource:
    return res(f"aws_cloudwatch_metric_alarm.{name}", after, {"alarm_actions": refs} if refs else None)


def test_alarms_must_be_enabled_and_notify_a_topic() -> None:
    arn = ["arn:aws:sns:eu-west-1:1:ops"]
    found = judge(
        logging.alarms_notify,
        alarm("cpu", ["aws_sns_topic.ops"], alarm_actions=arn),
        alarm("disk", actions_enabled=False, alarm_actions=arn),
        alarm("mute", actions_enabled=True, alarm_actions=[]),
        alarm("unset"),
        TOPIC,
    )
    assert found == [
        ("aws_cloudwatch_metric_alarm.cpu", "actions_enabled", PASS, None, True, OK),
        ("aws_cloudwatch_metric_alarm.cpu", "alarm_actions", PASS, ["aws_sns_topic.ops"], "an SNS topic", OK),
        ("aws_cloudwatch_metric_alarm.disk", "actions_enabled", FAIL, False, True, "alarm actions disabled"),
        ("aws_cloudwatch_metric_alarm.disk", "alarm_actions", PASS, arn, "an SNS topic", OK),
        ("aws_cloudwatch_metric_alarm.mute", "actions_enabled", PASS, True, True, OK),
        ("aws_cloudwatch_metric_alarm.mute", "alarm_actions", FAIL, [], "an SNS topic", NOBODY),
        ("aws_cloudwatch_metric_alarm.unset", "actions_enabled", PASS, None, True, OK),
        ("aws_cloudwatch_metric_alarm.unset", "alarm_actions", FAIL, None, "an SNS topic", NOBODY),
    ]


def test_an_alarm_acting_only_on_a_scaling_policy_notifies_nobody() -> None:
    policy = res("aws_appautoscaling_policy.scale", {"name": "scale"})
    scaling = ["arn:aws:autoscaling:eu-west-1:1:scalingPolicy:x"]
    found = judge(logging.alarms_notify, alarm("cpu", ["aws_appautoscaling_policy.scale"], alarm_actions=scaling), policy)
    assert found[1] == ("aws_cloudwatch_metric_alarm.cpu", "alarm_actions", FAIL, scaling, "an SNS topic", NOBODY)


@pytest.mark.parametrize(
    ("actions", "good"),
    [
        (["arn:aws:sns:eu-west-1:1:ops"], True),
        (["arn:aws:autoscaling:eu-west-1:1:scalingPolicy:x", "arn:aws:sns:eu-west-1:1:ops"], True),
        (["arn:aws:swf:eu-west-1:1:action/actions/AWS_EC2.InstanceId.Stop/1.0"], False),
        (["ops"], False),
        (["sns:ops"], False),
    ],
)
def test_only_an_sns_topic_among_an_alarms_actions_notifies_someone(actions: list[str], good: bool) -> None:
    found = judge(logging.alarms_notify, alarm("cpu", alarm_actions=actions))
    assert found[1] == (
        "aws_cloudwatch_metric_alarm.cpu",
        "alarm_actions",
        PASS if good else FAIL,
        actions,
        "an SNS topic",
        OK if good else NOBODY,
    )


def test_an_alarm_whose_topic_is_known_only_after_apply_passes_through_the_reference() -> None:
    later = res("aws_cloudwatch_metric_alarm.cpu", {}, {"alarm_actions": ["aws_sns_topic.ops"]}, {"alarm_actions": True})
    found = judge(logging.alarms_notify, later, TOPIC)
    assert found[1] == ("aws_cloudwatch_metric_alarm.cpu", "alarm_actions", PASS, ["aws_sns_topic.ops"], "an SNS topic", OK)


TRAIL_LOGS = res("aws_cloudwatch_log_group.trail", {"name": "/aws/cloudtrail/audit"})
OTHER_LOGS = res("aws_cloudwatch_log_group.app", {"name": "/app"})


def delivering_trail() -> Resource:
    return trail({"kms_key_id": ["aws_kms_key.audit"], "cloud_watch_logs_group_arn": ["aws_cloudwatch_log_group.trail"]})


def metric_filters(count: int, group: str = "aws_cloudwatch_log_group.trail") -> list[Resource]:
    return [res(f"aws_cloudwatch_log_metric_filter.f{i}", {"name": f"f{i}"}, {"log_group_name": [group]}) for i in range(count)]


def test_only_filters_on_the_log_group_the_trail_delivers_to_count() -> None:
    """Three filters on an application's log group see none of the trail's events."""
    on_trail = metric_filters(2)
    elsewhere = [
        res(f"aws_cloudwatch_log_metric_filter.app{i}", {}, {"log_group_name": ["aws_cloudwatch_log_group.app"]}) for i in range(3)
    ]
    by_name = res("aws_cloudwatch_log_metric_filter.named", {"log_group_name": "/aws/cloudtrail/audit"})
    unrelated_name = res("aws_cloudwatch_log_metric_filter.other", {"log_group_name": "/app"})
    base = (alarm("cpu", ["aws_sns_topic.ops"]), TOPIC, delivering_trail(), KEY, TRAIL_LOGS, OTHER_LOGS)
    assert judge(logging.alarms_notify, *base, *on_trail, *elsewhere, unrelated_name)[2][2:4] == (FAIL, 2)
    assert judge(logging.alarms_notify, *base, *on_trail, *elsewhere, by_name)[2][2:4] == (PASS, 3)


@pytest.mark.parametrize(("count", "good"), [(3, True), (4, True), (2, False), (0, False)])
def test_a_stack_with_a_trail_turns_at_least_three_security_events_into_metrics(count: int, good: bool) -> None:
    found = judge(
        logging.alarms_notify, alarm("cpu", ["aws_sns_topic.ops"]), TOPIC, delivering_trail(), KEY, TRAIL_LOGS, *metric_filters(count)
    )
    message = OK if good else "security events in the trail are not turned into alarms"
    assert found[2:] == [("(security metric filters)", "count", PASS if good else FAIL, count, FILTERS_EXPECTED, message)]


def test_a_stack_without_a_trail_is_not_asked_for_metric_filters() -> None:
    found = judge(logging.alarms_notify, alarm("cpu", ["aws_sns_topic.ops"]), TOPIC, *metric_filters(1))
    assert [f[0] for f in found] == ["aws_cloudwatch_metric_alarm.cpu", "aws_cloudwatch_metric_alarm.cpu"]


def test_a_stack_without_alarms_still_has_its_trail_filters_judged() -> None:
    found = judge(logging.alarms_notify, delivering_trail(), KEY, TRAIL_LOGS, *metric_filters(3))
    assert found == [
        (
            "(no aws_cloudwatch_metric_alarm)",
            "",
            FAIL,
            None,
            "at least one aws_cloudwatch_metric_alarm",
            "no alarms: failures of critical controls go unnoticed",
        ),
        ("(security metric filters)", "count", PASS, 3, FILTERS_EXPECTED, OK),
    ]


# ---------------------------------------------------------------- L10: intrusion detection
def test_an_account_baseline_detector_outside_the_stack_is_not_applicable() -> None:
    assert judge(logging.intrusion_detection) == [
        (
            "(account baseline)",
            "aws_guardduty_detector",
            NOT_APPLICABLE,
            None,
            "GuardDuty enabled in the account",
            "GuardDuty is an account-level baseline, not owned by this stack: attest it separately",
        )
    ]


def test_a_detector_the_stack_owns_must_be_enabled_explicitly() -> None:
    detectors = [
        res(f"aws_guardduty_detector.{n}", {"enable": v}) for n, v in (("on", True), ("unset", None), ("off", False), ("text", "true"))
    ]
    assert judge(logging.intrusion_detection, *detectors) == [
        ("aws_guardduty_detector.on", "enable", PASS, True, True, OK),
        ("aws_guardduty_detector.unset", "enable", FAIL, None, True, "GuardDuty detector disabled"),
        ("aws_guardduty_detector.off", "enable", FAIL, False, True, "GuardDuty detector disabled"),
        ("aws_guardduty_detector.text", "enable", FAIL, "true", True, "GuardDuty detector disabled"),
    ]


# ---------------------------------------------------------------- values known only after apply: never a pass by default
def test_an_access_log_whose_format_is_known_only_after_apply_is_unknown() -> None:
    later = stage(
        access_log_settings=[{"destination_arn": "arn:aws:logs:eu-west-1:1:log-group:api"}],
        unknown={"access_log_settings": [{"format": True}]},
    )
    found = judge(logging.api_logging, later, method_settings("all", STAGE), ACCOUNT)
    expected = (
        STAGE,
        "access_log_settings",
        UNKNOWN,
        "(known after apply)",
        "destination_arn and format",
        "access log format unknown at plan time",
    )
    assert found[0] == expected


def test_a_cluster_named_at_apply_passes_with_a_log_group_named_from_it_and_is_unknown_without() -> None:
    anonymous = res(
        "aws_rds_cluster.ledger",
        {"enabled_cloudwatch_logs_exports": ["postgresql"]},
        {"db_cluster_parameter_group_name": ["aws_rds_cluster_parameter_group.pg"]},
        {"cluster_identifier": True},
    )
    named = res("aws_cloudwatch_log_group.ledger", {}, {"name": ["aws_rds_cluster.ledger"]}, {"name": True})
    expected = "/aws/rds/cluster/<cluster_identifier>/postgresql"
    assert judge(logging.database_logs, anonymous, PG, named)[-1] == (
        "aws_rds_cluster.ledger",
        "log_group",
        PASS,
        "aws_cloudwatch_log_group.ledger",
        expected,
        OK,
    )
    unrelated = res("aws_cloudwatch_log_group.other", {"name": "/app"})
    assert judge(logging.database_logs, anonymous, PG, unrelated)[-1] == (
        "aws_rds_cluster.ledger",
        "log_group",
        UNKNOWN,
        "(known after apply)",
        expected,
        "cluster identifier unknown at plan time",
    )


def test_every_cluster_after_one_named_at_apply_is_still_judged() -> None:
    anonymous = res(
        "aws_rds_cluster.a_anonymous",
        {"enabled_cloudwatch_logs_exports": ["postgresql"]},
        {"db_cluster_parameter_group_name": ["aws_rds_cluster_parameter_group.pg"]},
        {"cluster_identifier": True},
    )
    found = judge(logging.database_logs, anonymous, cluster(), PG, DB_LOGS)
    assert found[-1] == ("aws_rds_cluster.ledger", "log_group", PASS, GROUP_NAME, GROUP_NAME, OK)
    assert [f[0] for f in found].count("aws_rds_cluster.ledger") == 2


def test_only_log_groups_the_trail_delivers_to_lend_their_names_to_metric_filters() -> None:
    """The trail's log-group ARN pointing at something that is no log group gives the filters nothing to match."""
    stream = res("aws_kinesis_stream.audit", {"name": "/aws/cloudtrail/audit"})
    odd_trail = trail({"kms_key_id": ["aws_kms_key.audit"], "cloud_watch_logs_group_arn": ["aws_kinesis_stream.audit"]})
    named = [res(f"aws_cloudwatch_log_metric_filter.n{i}", {"log_group_name": "/aws/cloudtrail/audit"}) for i in range(3)]
    found = judge(logging.alarms_notify, alarm("cpu", ["aws_sns_topic.ops"]), TOPIC, odd_trail, KEY, stream, *named)
    assert found[2][2:4] == (FAIL, 0)


def test_a_log_group_whose_name_is_not_text_is_skipped_not_a_crash() -> None:
    odd_logs = res("aws_cloudwatch_log_group.trail", {"name": ["/aws/cloudtrail/audit"]})
    found = judge(logging.alarms_notify, alarm("cpu", ["aws_sns_topic.ops"]), TOPIC, delivering_trail(), KEY, odd_logs, *metric_filters(3))
    assert found[2][2:4] == (PASS, 3)


def test_a_metric_filter_whose_log_group_name_is_not_text_is_judged_not_a_control_error() -> None:
    odd = res("aws_cloudwatch_log_metric_filter.odd", {"log_group_name": ["/aws/cloudtrail/audit"]})
    found = judge(
        logging.alarms_notify, alarm("cpu", ["aws_sns_topic.ops"]), TOPIC, delivering_trail(), KEY, TRAIL_LOGS, odd, *metric_filters(3)
    )
    assert found[2] == ("(security metric filters)", "count", PASS, 3, FILTERS_EXPECTED, OK)
