"""Each module's deployed contract (outputs, encryption, tags, names), read from its recorded deployment."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pytest_terraform import terraform

from tests.terraform.conftest import HERE, RECORD, RECORD_COMMAND, module_hash, stamp

MODULES = ("kms", "kinesis", "network", "aurora", "redis", "efs", "secrets", "api", "ecs", "observability")

for _module in MODULES:
    terraform(_module, replay=not RECORD)


def outputs(recorded: Any) -> dict[str, Any]:
    return {k: v["value"] for k, v in recorded.outputs.items()}


def test_kms_keys_rotate_under_their_aliases(kms: Any) -> None:
    stamp("kms")
    out = outputs(kms)
    assert sorted(out["key_arns"]) == ["data", "logs"]
    assert out["alias_names"] == {"data": "alias/kms-data-tfmod", "logs": "alias/kms-logs-tfmod"}
    assert all(arn.startswith("arn:aws:kms:us-west-2:") for arn in out["key_arns"].values())
    assert out["data_key"] == {"enabled": True, "key_manager": "CUSTOMER", "key_usage": "ENCRYPT_DECRYPT", "multi_az": False}
    key = kms.resources["aws_kms_key"]["this"]
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 7
    assert key["tags_all"]["Stack"] == "tf-module-kms"
    assert '"kms:ViaService"' in key["policy"] or "kms:ViaService" in key["policy"]


def test_kinesis_streams_are_encrypted_with_the_given_key(kinesis: Any) -> None:
    stamp("kinesis")
    out = outputs(kinesis)
    assert out["stream_names"] == {"ingest": "kinesis-ingest-tfmod", "settled": "kinesis-settled-tfmod"}
    assert out["ingest"]["encryption_type"] == "KMS" and out["ingest"]["kms_key_id"] == out["key_arn"]
    assert out["ingest"]["shards"] == out["shard_count"] >= 1
    assert out["ingest"]["retention_period"] == 168
    stream = kinesis.resources["aws_kinesis_stream"]["this"]
    # moto 5.2 reads a stream's tags back empty: the tags are asserted on the plan (NM1, the stacks' default_tags)
    assert stream["encryption_type"] == "KMS" and stream["name"] == "kinesis-ingest-tfmod" and stream["stream_mode_details"]


def test_network_private_subnets_span_the_zones_without_public_ips(network: Any) -> None:
    stamp("network")
    out = outputs(network)
    assert out["vpc"]["cidr"] == "10.42.0.0/16" and out["vpc"]["name"].startswith("vpc-") and out["vpc"]["name"].endswith("-tfmod")
    assert out["vpc"]["tags"]["Stack"] == "tf-module-network"
    assert sorted(s["az"] for s in out["private_subnets"]) == ["us-west-2a", "us-west-2b"]
    assert not any(s["public_ip_on_launch"] for s in out["private_subnets"])
    assert len(out["public_subnet_ids"]) == 2 and sorted(out["nat_gateway_ids"]) == ["us-west-2a", "us-west-2b"]
    # the account-wide role name carries the region (issue 20)
    assert out["flow_role"] == "role-vpcflow-us-west-2-tfmod"
    flow_log = network.resources["aws_flow_log"]["this"]
    assert flow_log["traffic_type"] == "ALL"


def named(name: str, kind: str) -> bool:
    """`{resource-type}-{purpose}-{suffix}` with this root's suffix."""
    return re.fullmatch(rf"{kind}-[a-z0-9][a-z0-9-]*-tfmod", name) is not None


def tagged(resource: dict[str, Any], module: str) -> bool:
    """The module's own tags and the provider's default tags, both on the deployed resource."""
    tags = resource["tags_all"]
    return tags.get("Owner") == "module-test" and tags.get("Stack") == f"tf-module-{module}" and tags.get("Project") == "tapguard"


def test_aurora_cluster_is_encrypted_tls_only_with_a_replica_in_another_zone(aurora: Any) -> None:
    stamp("aurora")
    out = outputs(aurora)
    keys = out["key_arns"]
    cluster = out["cluster"]
    assert cluster["id"] == "aurora-ledger-tfmod" and named(cluster["id"], "aurora")
    assert cluster["engine"] == "aurora-postgresql" and cluster["storage_encrypted"] is True and cluster["kms_key_id"] == keys["data"]
    assert cluster["backup_retention_period"] == 14 and cluster["iam_auth"] is True and cluster["log_exports"] == ["postgresql"]
    assert cluster["tags"] == {"Owner": "module-test", "Project": "tapguard", "Stack": "tf-module-aurora"}
    # writer + one read replica, in promotion-tier order, each in its own zone, none reachable from outside
    assert out["instance_ids"] == ["aurora-ledger-1-tfmod", "aurora-ledger-2-tfmod"] == sorted(cluster["members"])
    placed = [(i["id"], i["az"]) for i in out["instances"]]
    assert placed == [("aurora-ledger-1-tfmod", "us-west-2a"), ("aurora-ledger-2-tfmod", "us-west-2b")]
    assert not any(i["public"] for i in out["instances"]) and all(i["encrypted"] for i in out["instances"])
    assert ".cluster-ro-" in out["endpoints"]["reader"] and ".cluster-" in out["endpoints"]["writer"]
    resource = aurora.resources["aws_rds_cluster"]["this"]
    # RDS manages the master password under the secrets key: no password in the state
    assert resource["manage_master_user_password"] is True
    assert resource["master_password"] is None and resource["master_password_wo"] is None
    assert resource["master_user_secret"][0]["kms_key_id"] == keys["secrets"]
    assert resource["master_user_secret"][0]["secret_arn"] == out["master_user_secret_arn"]
    assert resource["copy_tags_to_snapshot"] is True and resource["db_cluster_parameter_group_name"] == "clusterparams-ledger-tfmod"
    assert tagged(resource, "aurora")
    params = {p["name"]: p["value"] for p in aurora.resources["aws_rds_cluster_parameter_group"]["this"]["parameter"]}
    assert params["rds.force_ssl"] == "1" and params["ssl_min_protocol_version"] == "TLSv1.2"
    writer = aurora.resources["aws_rds_cluster_instance"]["this"]
    assert writer["identifier"] == "aurora-ledger-1-tfmod" and writer["promotion_tier"] == 0 and writer["kms_key_id"] == keys["data"]
    assert writer["monitoring_interval"] == 15 and writer["monitoring_role_arn"].endswith(":role/role-rdsmonitoring-ledger-us-west-2-tfmod")
    # moto 5.2 reads Performance Insights back off: the module's performance_insights_* are asserted on the plan (controls)
    logs = aurora.resources["aws_cloudwatch_log_group"]["postgresql"]
    assert logs["name"] == "/aws/rds/cluster/aurora-ledger-tfmod/postgresql" and logs["kms_key_id"] == keys["logs"]
    assert logs["retention_in_days"] == 365
    assert aurora.resources["aws_db_subnet_group"]["this"]["name"] == "dbsubnet-ledger-tfmod"
    group = aurora.resources["aws_security_group"]["this"]
    assert group["name"] == "secgrp-aurora-tfmod" and group["id"] == out["security_group_id"] and tagged(group, "aurora")
    ingress = aurora.resources["aws_vpc_security_group_ingress_rule"]["postgres"]
    assert (ingress["from_port"], ingress["to_port"], ingress["cidr_ipv4"]) == (5432, 5432, None)
    assert ingress["referenced_security_group_id"] == aurora.resources["aws_security_group"]["app"]["id"]


def test_redis_is_encrypted_in_transit_with_auth_failover_and_its_key(redis: Any) -> None:
    stamp("redis")
    out = outputs(redis)
    keys = out["key_arns"]
    assert out["replication_group_id"] == "redis-sessions-tfmod" and named(out["replication_group_id"], "redis")
    group = redis.resources["aws_elasticache_replication_group"]["this"]
    assert group["replication_group_id"] == out["replication_group_id"] and group["engine"] == "redis" and group["port"] == 6379
    assert group["kms_key_id"] == keys["data"] and group["transit_encryption_enabled"] is True
    # moto 5.2 reads at_rest_encryption_enabled back as "false", transit_encryption_mode empty and one member whatever
    # num_cache_clusters: those three are asserted on the plan by the controls, not here
    assert group["automatic_failover_enabled"] is True and group["multi_az_enabled"] is True
    assert group["preferred_cache_cluster_azs"] == ["us-west-2a", "us-west-2b"]
    assert group["member_clusters"][0] == "redis-sessions-tfmod-001"
    assert group["snapshot_retention_limit"] == 5 and group["auth_token_update_strategy"] == "ROTATE" and tagged(group, "redis")
    assert group["subnet_group_name"] == "cachesubnet-sessions-tfmod" and group["security_group_ids"] == [out["security_group_id"]]
    assert out["endpoints"]["primary"] == group["primary_endpoint_address"] and "redis-sessions-tfmod" in out["endpoints"]["primary"]
    # the token comes from the fixture's secret, an obviously fake literal; the state holds nothing else of it
    assert group["auth_token"] == "" and out["auth_secret"]["arn"].endswith(":secret:secret-fixtureauth-tfmod")
    read = redis.resources["aws_secretsmanager_secret_version"]["auth"]
    assert json.loads(read["secret_string"]) == {"token": "FAKE-tfmod-auth-token-not-a-secret-0000"}
    assert redis.resources["aws_secretsmanager_secret"]["auth"]["kms_key_id"] == keys["secrets"]
    deliveries = {d["log_type"]: d for d in group["log_delivery_configuration"]}
    assert sorted(deliveries) == ["engine-log", "slow-log"]
    assert deliveries["slow-log"]["destination"] == "logs-redis-slow-log-tfmod"
    assert deliveries["engine-log"]["destination"] == "logs-redis-engine-log-tfmod"
    assert {(d["destination_type"], d["log_format"]) for d in deliveries.values()} == {("cloudwatch-logs", "json")}
    logs = redis.resources["aws_cloudwatch_log_group"]["this"]
    assert logs["kms_key_id"] == keys["logs"] and logs["retention_in_days"] == 365 and tagged(logs, "redis")
    assert redis.resources["aws_elasticache_subnet_group"]["this"]["name"] == "cachesubnet-sessions-tfmod"
    sg = redis.resources["aws_security_group"]["this"]
    assert sg["name"] == "secgrp-redis-tfmod" and tagged(sg, "redis")
    ingress = redis.resources["aws_vpc_security_group_ingress_rule"]["redis"]
    assert (ingress["from_port"], ingress["to_port"]) == (6379, 6379)
    assert ingress["referenced_security_group_id"] == redis.resources["aws_security_group"]["app"]["id"]


def test_efs_is_encrypted_reached_over_tls_through_its_access_point(efs: Any) -> None:
    stamp("efs")
    out = outputs(efs)
    fs = out["file_system"]
    assert fs["encrypted"] is True and fs["kms_key_id"] == out["key_arn"] and fs["throughput"] == "elastic"
    assert fs["tags"] == {"Name": "efs-exports-tfmod", "Owner": "module-test", "Project": "tapguard", "Stack": "tf-module-efs"}
    assert named(fs["tags"]["Name"], "efs")
    resource = efs.resources["aws_efs_file_system"]["this"]
    assert resource["creation_token"] == "efs-exports-tfmod" and resource["lifecycle_policy"][0]["transition_to_ia"] == "AFTER_30_DAYS"
    assert efs.resources["aws_efs_backup_policy"]["this"]["backup_policy"] == [{"status": "ENABLED"}]
    point = out["access_point"]
    assert point["posix_user"][0]["uid"] == point["posix_user"][0]["gid"] == 1001
    assert point["root_directory"][0]["path"] == "/exports" and point["root_directory"][0]["creation_info"][0]["permissions"] == "0750"
    assert point["tags"]["Name"] == "efsap-exports-tfmod" and point["tags"]["Owner"] == "module-test"
    policy = json.loads(efs.resources["aws_efs_file_system_policy"]["this"]["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    deny = by_sid["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Resource"] == fs["arn"]
    mount = by_sid["MountThroughAccessPoint"]
    assert mount["Principal"] == {"AWS": out["client_role_arn"]}
    assert mount["Condition"] == {"StringEquals": {"elasticfilesystem:AccessPointArn": point["arn"]}}
    target = efs.resources["aws_efs_mount_target"]["this"]
    assert target["file_system_id"] == fs["id"] and target["security_groups"] == [out["security_group_id"]]
    sg = efs.resources["aws_security_group"]["this"]
    assert sg["name"] == "secgrp-efs-tfmod" and tagged(sg, "efs")
    ingress = efs.resources["aws_vpc_security_group_ingress_rule"]["nfs"]
    assert (ingress["from_port"], ingress["to_port"]) == (2049, 2049)
    assert ingress["referenced_security_group_id"] == efs.resources["aws_security_group"]["app"]["id"]


def test_secrets_rotate_every_30_days_through_their_own_functions(secrets: Any) -> None:
    stamp("secrets")
    out = outputs(secrets)
    keys = out["key_arns"]
    assert sorted(out["secret_arns"]) == ["ledgerdb", "sessions"]
    created = out["secrets"]["ledgerdb"]
    assert created["name"] == "secret-ledgerdb-tfmod" and named(created["name"], "secret")
    assert created["kms_key_id"] == keys["secrets"] and created["tags"]["Owner"] == "module-test"
    rotations = out["rotations"]
    assert {k: (r["enabled"], r["rules"][0]["automatically_after_days"]) for k, r in rotations.items()} == {
        "ledgerdb": (True, 30),
        "sessions": (True, 30),
    }
    assert rotations["ledgerdb"]["lambda"] == out["rotators"]["pgrotation"]["arn"]
    assert rotations["sessions"]["lambda"] == out["rotators"]["redisrotation"]["arn"]
    for short, fn in out["rotators"].items():
        assert fn["arn"].endswith(f":function:lambda-{short}-tfmod") and fn["role"].endswith(f":role/role-{short}-us-west-2-tfmod")
        assert fn["runtime"] == "python3.12" and fn["tracing"] == "Active" and fn["kms_key_arn"] == keys["secrets"]
        assert sorted(fn["vpc_subnets"]) == sorted(out["subnet_ids"])
    # the generated value is written write-only: nothing of it in the state
    version = secrets.resources["aws_secretsmanager_secret_version"]["created"]
    assert version["secret_string"] == "" and version["has_secret_string_wo"] is True and version["secret_string_wo"] is None
    assert secrets.resources["aws_secretsmanager_secret_rotation"]["this"]["rotate_immediately"] is False
    assert tagged(secrets.resources["aws_secretsmanager_secret"]["created"], "secrets")
    policy = json.loads(secrets.resources["aws_iam_role_policy"]["rotator"]["policy"])
    own = next(s for s in policy["Statement"] if s["Sid"] == "RotateOnlyItsOwnSecrets")
    assert own["Resource"] == out["secret_arns"]["sessions"]
    audit = secrets.resources["aws_cloudwatch_log_group"]["audit"]
    assert audit["name"] == "/aws/events/logs-secretsaudit-tfmod"
    assert audit["kms_key_id"] == keys["logs"] and audit["retention_in_days"] == 365
    assert secrets.resources["aws_cloudwatch_log_group"]["rotator"]["kms_key_id"] == keys["logs"]
    rule = secrets.resources["aws_cloudwatch_event_rule"]["audit"]
    assert rule["name"] == "rule-secretsaudit-tfmod" and json.loads(rule["event_pattern"])["source"] == ["aws.secretsmanager"]
    sg = secrets.resources["aws_security_group"]["rotation"]
    assert sg["name"] == "secgrp-rotation-tfmod" and sg["id"] == out["rotation_security_group_id"] and tagged(sg, "secrets")
    postgres = secrets.resources["aws_vpc_security_group_egress_rule"]["rotation_postgres"]
    assert (postgres["from_port"], postgres["cidr_ipv4"]) == (5432, "10.54.0.0/16")


def test_api_is_signed_throttled_logged_and_behind_waf(api: Any) -> None:
    stamp("api")
    out = outputs(api)
    key = out["key_arn"]
    rest = out["api"]
    assert rest["name"] == "apigw-payments-tfmod" and named(rest["name"], "apigw") and rest["stage_name"] == "live"
    assert rest["invoke_url"] == f"https://{rest['id']}.execute-api.us-west-2.amazonaws.com/live"
    resource = api.resources["aws_api_gateway_rest_api"]["this"]
    assert resource["endpoint_configuration"][0]["types"] == ["REGIONAL"] and tagged(resource, "api")
    method = api.resources["aws_api_gateway_method"]["this"]
    assert method["authorization"] == "AWS_IAM" and method["request_validator_id"]
    integration = api.resources["aws_api_gateway_integration"]["this"]
    assert integration["type"] == "HTTP_PROXY" and integration["connection_type"] == "VPC_LINK"
    assert integration["uri"].startswith("http://nlb-fixture-tfmod-0123456789abcdef.elb.us-west-2.amazonaws.com:8080/")
    # moto 5.2 reads the integration's connection_id and the stage's client certificate back empty (asserted on the plan)
    link = api.resources["aws_api_gateway_vpc_link"]["this"]
    assert link["name"] == "vpclink-payments-tfmod" and link["target_arns"] == [
        "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/nlb-fixture-tfmod/0123456789abcdef"
    ]
    stage = api.resources["aws_api_gateway_stage"]["this"]
    access = api.resources["aws_cloudwatch_log_group"]["access"]
    assert stage["xray_tracing_enabled"] is True and stage["cache_cluster_enabled"] is False and tagged(stage, "api")
    assert stage["access_log_settings"][0]["destination_arn"] == access["arn"]
    assert {"requestId", "ip", "status", "wafStatus"} <= set(json.loads(stage["access_log_settings"][0]["format"]))
    settings = api.resources["aws_api_gateway_method_settings"]["this"]["settings"][0]
    assert settings["logging_level"] == "INFO" and settings["data_trace_enabled"] is False and settings["metrics_enabled"] is True
    # 6,000 requests a minute with headroom 2: 200 a second, bursts of 400
    assert (settings["throttling_rate_limit"], settings["throttling_burst_limit"]) == (200, 400)
    waf_logs = api.resources["aws_cloudwatch_log_group"]["waf"]
    for group in (access, waf_logs):
        assert group["kms_key_id"] == key and group["retention_in_days"] == 365
    assert access["name"] == "logs-apiaccess-tfmod" and waf_logs["name"] == "aws-waf-logs-payments-tfmod"
    acl = api.resources["aws_wafv2_web_acl"]["this"]
    assert acl["name"] == "waf-payments-tfmod" and acl["arn"] == out["web_acl_arn"] and tagged(acl, "api")
    rules = sorted(acl["rule"], key=lambda r: r["priority"])
    assert [r["name"] for r in rules] == [
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAnonymousIpList",
        "AWSManagedRulesCommonRuleSet",
        "rate-limit-per-ip",
    ]
    limit = rules[-1]["statement"][0]["rate_based_statement"][0]
    assert (limit["limit"], limit["aggregate_key_type"]) == (2000, "IP") and rules[-1]["action"][0]["block"]
    assert api.resources["aws_wafv2_web_acl_association"]["this"]["resource_arn"] == stage["arn"]
    logging = api.resources["aws_wafv2_web_acl_logging_configuration"]["this"]
    assert logging["log_destination_configs"] == [waf_logs["arn"]]
    assert logging["redacted_fields"][0]["single_header"] == [{"name": "authorization"}]
    role = api.resources["aws_iam_role"]["cloudwatch"]
    # the account-wide role name carries the region (issue 20)
    assert role["name"] == "role-apigwlogs-us-west-2-tfmod" and tagged(role, "api")
    assert api.resources["aws_api_gateway_account"]["this"]["cloudwatch_role_arn"] == role["arn"]


def test_ecs_services_run_hardened_tasks_blue_green_behind_an_internal_nlb(ecs: Any) -> None:
    stamp("ecs")
    out = outputs(ecs)
    keys = out["key_arns"]
    assert out["cluster_name"] == "ecs-payments-tfmod" and named(out["cluster_name"], "ecs")
    assert out["service_names"] == {"api": "svc-api-tfmod", "worker": "svc-worker-tfmod"}
    running = {k: (s["launch_type"], s["desired_count"]) for k, s in out["services"].items()}
    assert running == {"api": ("FARGATE", 2), "worker": ("FARGATE", 2)}
    assert {k: t["task_role_arn"] for k, t in out["task_definitions"].items()} == out["task_role_arns"]
    assert out["task_role_arns"]["worker"].endswith(":role/role-ecstask-worker-us-west-2-tfmod")
    assert all(t["network_mode"] == "awsvpc" for t in out["task_definitions"].values())
    nlb = out["nlb"]
    assert nlb["internal"] is True and nlb["type"] == "network" and nlb["listener_port"] == 80 and "/nlb-payments-tfmod/" in nlb["arn"]
    cluster = ecs.resources["aws_ecs_cluster"]["this"]
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}] and tagged(cluster, "ecs")
    service = ecs.resources["aws_ecs_service"]["this"]
    assert service["name"] == "svc-api-tfmod" and service["deployment_controller"] == [{"type": "CODE_DEPLOY"}]
    assert service["network_configuration"][0]["assign_public_ip"] is False
    assert service["network_configuration"][0]["security_groups"] == [out["tasks_security_group_id"]]
    assert service["enable_execute_command"] is False and service["propagate_tags"] == "SERVICE"
    assert [(lb["container_name"], lb["container_port"]) for lb in service["load_balancer"]] == [("api", 8080)]
    task = ecs.resources["aws_ecs_task_definition"]["this"]
    assert task["family"] == "task-api-tfmod" and task["requires_compatibilities"] == ["FARGATE"]
    efs = task["volume"][0]["efs_volume_configuration"][0]
    assert efs["transit_encryption"] == "ENABLED" and efs["authorization_config"][0]["iam"] == "ENABLED"
    (container,) = json.loads(task["container_definitions"])
    assert container["readonlyRootFilesystem"] is True and container["privileged"] is False and container["user"] == "1000:1000"
    assert container["logConfiguration"]["options"]["awslogs-group"] == "logs-ecs-api-tfmod"
    logs = ecs.resources["aws_cloudwatch_log_group"]["this"]
    assert logs["kms_key_id"] == keys["logs"] and logs["retention_in_days"] == 365
    setting = ecs.resources["aws_ssm_parameter"]["settings"]
    assert setting["type"] == "SecureString" and setting["key_id"] == keys["secrets"]
    assert setting["name"] == "/payments/tfmod/worker/QUEUE_URL"
    group = ecs.resources["aws_lb_target_group"]["this"]
    check = group["health_check"][0]
    assert group["name"] == "tg-api-tfmod" and group["protocol"] == "TCP" and group["target_type"] == "ip"
    # the switch budget: deregistration + threshold x interval within 30 s
    assert int(group["deregistration_delay"]) + check["healthy_threshold"] * check["interval"] <= 30 and check["path"] == "/healthz"
    test_listener = ecs.resources["aws_lb_listener"]["test"]
    assert test_listener["port"] == 8443 and test_listener["default_action"][0]["target_group_arn"].split("/")[1] == "tg-apigreen-tfmod"
    deploy = ecs.resources["aws_codedeploy_deployment_group"]["this"]
    assert deploy["deployment_style"] == [{"deployment_option": "WITH_TRAFFIC_CONTROL", "deployment_type": "BLUE_GREEN"}]
    assert deploy["auto_rollback_configuration"][0]["enabled"] is True
    assert set(deploy["auto_rollback_configuration"][0]["events"]) == {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}
    blue = deploy["blue_green_deployment_config"][0]["terminate_blue_instances_on_deployment_success"][0]
    assert blue["termination_wait_time_in_minutes"] == 15
    assert deploy["ecs_service"] == [{"cluster_name": "ecs-payments-tfmod", "service_name": "svc-api-tfmod"}]
    requests = ecs.resources["aws_appautoscaling_policy"]["requests"]["target_tracking_scaling_policy_configuration"][0]
    metric = requests["customized_metric_specification"][0]["metrics"][0]["metric_stat"][0]["metric"][0]
    assert {d["name"]: d["value"] for d in metric["dimensions"]} == {"ApiName": "apigw-fixture-tfmod", "Stage": "live"}
    assert ecs.resources["aws_security_group"]["tasks"]["name"] == "secgrp-ecstasks-tfmod"
    assert ecs.resources["aws_vpc_security_group_ingress_rule"]["nlb"]["cidr_ipv4"] == "10.55.0.0/16"


def test_observability_alarms_notify_an_encrypted_topic_and_the_trail_is_validated(observability: Any) -> None:
    stamp("observability")
    out = outputs(observability)
    keys = out["key_arns"]
    expected = [
        *(f"alarm-api-{m}-tfmod" for m in ("5xx", "latency")),
        *(f"alarm-aurora-{m}-tfmod" for m in ("cpu", "memory", "replicalag")),
        "alarm-ecs-cpu-api-tfmod",
        "alarm-ecs-tasks-api-tfmod",
        *(f"alarm-redis-{m}-{n}-tfmod" for m in ("cpu", "replag") for n in ("001", "002")),
        *(
            f"alarm-security-{m}-tfmod"
            for m in ("kms-key-disabled", "root-account-usage", "secret-policy-changed", "security-group-changed", "unauthorized-api-calls")
        ),
    ]
    assert out["alarm_names"] == expected and all(named(n, "alarm") for n in expected)
    topic = observability.resources["aws_sns_topic"]["alerts"]
    assert topic["arn"] == out["alerts_topic_arn"] and topic["name"] == "sns-alerts-tfmod" and topic["kms_master_key_id"] == keys["alerts"]
    assert tagged(topic, "observability")
    subscription = observability.resources["aws_sns_topic_subscription"]["email"]
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "alerts@example.invalid")
    alarm = observability.resources["aws_cloudwatch_metric_alarm"]["this"]
    assert alarm["alarm_actions"] == alarm["ok_actions"] == [out["alerts_topic_arn"]] and alarm["actions_enabled"] is True
    assert tagged(alarm, "observability")
    trail = observability.resources["aws_cloudtrail"]["this"]
    assert trail["arn"] == out["trail_arn"] and trail["name"] == "trail-audit-us-west-2-tfmod"
    assert trail["is_multi_region_trail"] is True and trail["include_global_service_events"] is True
    assert trail["enable_log_file_validation"] is True and trail["enable_logging"] is True and trail["kms_key_id"] == keys["logs"]
    bucket = observability.resources["aws_s3_bucket"]["trail"]
    # the world-wide bucket name carries the account and the region (issue 20)
    assert bucket["bucket"] == "s3-cloudtrail-123456789012-us-west-2-tfmod" == trail["s3_bucket_name"] and tagged(bucket, "observability")
    sse = observability.resources["aws_s3_bucket_server_side_encryption_configuration"]["trail"]["rule"][0]
    assert sse["apply_server_side_encryption_by_default"] == [{"kms_master_key_id": keys["logs"], "sse_algorithm": "aws:kms"}]
    assert sse["bucket_key_enabled"] is True
    block = observability.resources["aws_s3_bucket_public_access_block"]["trail"]
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    assert observability.resources["aws_s3_bucket_versioning"]["trail"]["versioning_configuration"][0]["status"] == "Enabled"
    lifecycle = observability.resources["aws_s3_bucket_lifecycle_configuration"]["trail"]["rule"][0]
    assert lifecycle["expiration"][0]["days"] == 400 and lifecycle["transition"][0]["storage_class"] == "GLACIER_IR"
    policy = json.loads(observability.resources["aws_s3_bucket_policy"]["trail"]["policy"])
    deny = next(s for s in policy["Statement"] if s.get("Sid") == "DenyInsecureTransport")
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    logs = observability.resources["aws_cloudwatch_log_group"]["trail"]
    assert logs["kms_key_id"] == keys["logs"] and logs["retention_in_days"] == 365
    assert trail["cloud_watch_logs_group_arn"] == f"{logs['arn']}:*"
    assert observability.resources["aws_iam_role"]["trail"]["name"] == "role-cloudtrail-us-west-2-tfmod"
    flt = observability.resources["aws_cloudwatch_log_metric_filter"]["security"]
    assert flt["log_group_name"] == logs["name"] and flt["metric_transformation"][0]["namespace"] == "tapguard/security"


# attribute names whose value would be a credential; a recording holds none, or an obviously fake fixture literal
SENSITIVE = frozenset({"password", "master_password", "auth_token", "secret_string", "secret_binary", "random_password", "token"})
# what GetRandomPassword hands the modules (64 letters and digits, mixed case)
GENERATED = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def secret_values(node: Any, path: str = "") -> list[str]:
    """Paths in a recording where a credential is held: a sensitive attribute set to a real value, or a generated password."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SENSITIVE and isinstance(value, str) and value and "FAKE-" not in value:
                found.append(f"{path}/{key}")
            found += secret_values(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += secret_values(value, f"{path}/{i}")
    elif isinstance(node, str) and GENERATED.search(node):
        found.append(path)
    return found


def test_the_secret_scan_finds_a_credential() -> None:
    planted = {"resources": {"aws_secretsmanager_secret_version": {"auth": {"secret_string": '{"token":"x"}'}}}}
    assert secret_values(planted) == ["/resources/aws_secretsmanager_secret_version/auth/secret_string"]
    generated = {"outputs": {"x": {"value": "Ab" + "c1" * 31}}}
    assert secret_values(generated) == ["/outputs/x/value"]
    assert secret_values({"a": {"auth_token": "FAKE-tfmod-auth-token-not-a-secret-0000", "sha": "ab" * 32}}) == []


@pytest.mark.parametrize("module", MODULES)
def test_the_recording_holds_no_secret(module: str) -> None:
    recording = HERE / module / "tf_resources.json"
    if not recording.is_file():
        pytest.skip(f"modules/{module} has no recording yet (test_the_recording_matches_the_module fails)")
    assert secret_values(json.loads(recording.read_text())) == []


# Last in the file: when recording, it checks the stamps the tests above have just written.
@pytest.mark.parametrize("module", MODULES)
def test_the_recording_matches_the_module(module: str) -> None:
    stored = HERE / module / "module.sha256"
    assert (HERE / module / "tf_resources.json").is_file() and stored.is_file(), f"modules/{module} has no recording: {RECORD_COMMAND}"
    recorded = json.loads(stored.read_text())["sha256"]
    assert recorded == module_hash(module), f"the recording of modules/{module} is stale (its *.tf changed): {RECORD_COMMAND}"
