data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name
  partition = data.aws_partition.current.partition

  # Keys must be known at plan time: node numbers and service keys, not ids.
  redis_nodes = var.redis == null ? {} : { for i in range(var.redis.node_count) : format("%03d", i + 1) => format("%s-%03d", var.redis.replication_group_id, i + 1) }

  # Every alarm as data: one resource block below creates them all.
  alarms = merge(
    var.aurora == null ? {} : {
      "aurora-cpu"        = { namespace = "AWS/RDS", metric = "CPUUtilization", stat = "Average", op = "GreaterThanThreshold", threshold = 80, dims = { DBClusterIdentifier = var.aurora.cluster_id }, what = "Aurora cluster CPU above 80 %" }
      "aurora-replicalag" = { namespace = "AWS/RDS", metric = "AuroraReplicaLagMaximum", stat = "Maximum", op = "GreaterThanThreshold", threshold = 1000, dims = { DBClusterIdentifier = var.aurora.cluster_id }, what = "Aurora replica lag above 1 s: a failover could lose the lagging reader's freshness" }
      "aurora-memory"     = { namespace = "AWS/RDS", metric = "FreeableMemory", stat = "Minimum", op = "LessThanThreshold", threshold = 536870912, dims = { DBClusterIdentifier = var.aurora.cluster_id }, what = "Aurora freeable memory below 512 MiB" }
    },
    { for i, n in local.redis_nodes : "redis-cpu-${i}" => { namespace = "AWS/ElastiCache", metric = "EngineCPUUtilization", stat = "Average", op = "GreaterThanThreshold", threshold = 75, dims = { CacheClusterId = n }, what = "Redis engine CPU above 75 % on ${n}" } },
    { for i, n in local.redis_nodes : "redis-replag-${i}" => { namespace = "AWS/ElastiCache", metric = "ReplicationLag", stat = "Maximum", op = "GreaterThanThreshold", threshold = 1, dims = { CacheClusterId = n }, what = "Redis replication lag above 1 s on ${n}" } },
    var.api == null ? {} : {
      "api-5xx"     = { namespace = "AWS/ApiGateway", metric = "5XXError", stat = "Sum", op = "GreaterThanThreshold", threshold = 50, dims = { ApiName = var.api.api_name, Stage = var.api.stage_name }, what = "More than 50 API 5XX responses a minute" }
      "api-latency" = { namespace = "AWS/ApiGateway", metric = "Latency", stat = "p99", op = "GreaterThanThreshold", threshold = 1000, dims = { ApiName = var.api.api_name, Stage = var.api.stage_name }, what = "API p99 latency above 1 s (sub-second SLO)" }
    },
    var.ecs == null ? {} : { for k, s in var.ecs.services : "ecs-cpu-${k}" => { namespace = "AWS/ECS", metric = "CPUUtilization", stat = "Average", op = "GreaterThanThreshold", threshold = 85, dims = { ClusterName = var.ecs.cluster_name, ServiceName = s }, what = "ECS service ${s} CPU above 85 %" } },
    var.ecs == null ? {} : { for k, s in var.ecs.services : "ecs-tasks-${k}" => { namespace = "ECS/ContainerInsights", metric = "RunningTaskCount", stat = "Minimum", op = "LessThanThreshold", threshold = 2, dims = { ClusterName = var.ecs.cluster_name, ServiceName = s }, what = "ECS service ${s} below 2 running tasks" } },
    { for k, v in local.security_filters : "security-${k}" => { namespace = "tapguard/security", metric = k, stat = "Sum", op = "GreaterThanOrEqualToThreshold", threshold = 1, dims = {}, what = v.what } if var.account_trail == 1 },
  )

  # CloudTrail metric filters for the security events PCI DSS 10.4.1.1 wants reviewed.
  security_filters = {
    unauthorized-api-calls = { pattern = "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }", what = "Unauthorized API calls" }
    kms-key-disabled       = { pattern = "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }", what = "A KMS key was disabled or scheduled for deletion" }
    security-group-changed = { pattern = "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }", what = "A security group changed" }
    secret-policy-changed  = { pattern = "{ ($.eventSource = secretsmanager.amazonaws.com) && (($.eventName = PutResourcePolicy) || ($.eventName = DeleteSecret) || ($.eventName = CancelRotateSecret)) }", what = "A secret's policy, rotation or existence changed" }
    root-account-usage     = { pattern = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }", what = "The root account was used" }
  }
}

# ---------------------------------------------------------------- notifications
resource "aws_sns_topic" "alerts" {
  name              = "sns-alerts-${var.name_suffix}"
  kms_master_key_id = var.alerts_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AccountOwner"
    actions   = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }
  statement {
    sid       = "AlarmsAndTrailPublish"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "alarm-${each.key}-${var.name_suffix}"
  alarm_description   = each.value.what
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = contains(["Sum", "Average", "Minimum", "Maximum", "SampleCount"], each.value.stat) ? each.value.stat : null
  extended_statistic  = contains(["Sum", "Average", "Minimum", "Maximum", "SampleCount"], each.value.stat) ? null : each.value.stat
  comparison_operator = each.value.op
  threshold           = each.value.threshold
  dimensions          = each.value.dims
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = startswith(each.key, "security-") ? "notBreaching" : "missing"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  tags = var.tags
}

# ---------------------------------------------------------------- CloudTrail (PCI DSS 10.2, 10.3)
# The multi-region trail is an account-level singleton: only the stack that owns it (account_trail = 1) declares the
# trail, its bucket, role and log group, and the metric filters on it; the other stacks of the account rely on it.
resource "aws_s3_bucket" "trail" {
  count = var.account_trail

  #checkov:skip=CKV_AWS_18:This is the access-log sink; logging it into itself would loop
  #checkov:skip=CKV_AWS_144:Cross-region replication is an account-level decision outside this stack
  #checkov:skip=CKV2_AWS_62:Trail integrity comes from log file validation, not bucket notifications
  #checkov:skip=CKV2_AWS_6:The public access block below; checkov's HCL graph does not follow count-indexed references (trail[0]); its scan of the plan JSON passes it
  #checkov:skip=CKV2_AWS_61:The lifecycle configuration below; checkov's HCL graph does not follow count-indexed references (trail[0]); its scan of the plan JSON passes it
  #checkov:skip=CKV_AWS_145:The KMS encryption configuration below; checkov's HCL graph does not follow count-indexed references (trail[0]); its scan of the plan JSON passes it
  #checkov:skip=CKV_AWS_21:The versioning below; checkov's HCL graph does not follow count-indexed references (trail[0]); its scan of the plan JSON passes it
  bucket        = "s3-cloudtrail-${local.account}-${local.region}-${var.name_suffix}"
  force_destroy = true

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "trail" {
  count = var.account_trail

  bucket                  = aws_s3_bucket.trail[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "trail" {
  count = var.account_trail

  bucket = aws_s3_bucket.trail[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  count = var.account_trail

  bucket = aws_s3_bucket.trail[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.logs_kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "trail" {
  count = var.account_trail

  bucket = aws_s3_bucket.trail[0].id
  rule {
    id     = "retain-then-expire"
    status = "Enabled"
    filter {}
    transition {
      days          = 90
      storage_class = "GLACIER_IR"
    }
    expiration {
      days = var.trail_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "trail_bucket" {
  count = var.account_trail

  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.trail[0].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudtrail:${local.region}:${local.account}:trail/trail-audit-${local.region}-${var.name_suffix}"]
    }
  }
  statement {
    sid       = "CloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.trail[0].arn}/AWSLogs/${local.account}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudtrail:${local.region}:${local.account}:trail/trail-audit-${local.region}-${var.name_suffix}"]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.trail[0].arn, "${aws_s3_bucket.trail[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "trail" {
  count = var.account_trail

  bucket = aws_s3_bucket.trail[0].id
  policy = data.aws_iam_policy_document.trail_bucket[0].json
}

resource "aws_cloudwatch_log_group" "trail" {
  count = var.account_trail

  name              = "logs-cloudtrail-${var.name_suffix}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "trail_assume" {
  count = var.account_trail

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "trail" {
  count = var.account_trail

  name               = "role-cloudtrail-${local.region}-${var.name_suffix}"
  assume_role_policy = data.aws_iam_policy_document.trail_assume[0].json

  tags = var.tags
}

data "aws_iam_policy_document" "trail_logs" {
  count = var.account_trail

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.trail[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "trail" {
  count = var.account_trail

  name   = "policy-cloudtrail-${var.name_suffix}"
  role   = aws_iam_role.trail[0].id
  policy = data.aws_iam_policy_document.trail_logs[0].json
}

resource "aws_cloudtrail" "this" {
  count = var.account_trail

  #checkov:skip=CKV2_AWS_10:Delivered to the log group below; checkov's HCL graph does not follow count-indexed references (trail[0]); its scan of the plan JSON passes it

  name                          = "trail-audit-${local.region}-${var.name_suffix}"
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  kms_key_id                    = var.logs_kms_key_arn
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail[0].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail[0].arn
  sns_topic_name                = aws_sns_topic.alerts.name

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }

  tags = var.tags

  depends_on = [aws_s3_bucket_policy.trail, aws_iam_role_policy.trail, aws_sns_topic_policy.alerts]
}

resource "aws_cloudwatch_log_metric_filter" "security" {
  for_each = { for k, v in local.security_filters : k => v if var.account_trail == 1 }

  name           = "filter-${each.key}-${var.name_suffix}"
  log_group_name = aws_cloudwatch_log_group.trail[0].name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.key
    namespace = "tapguard/security"
    value     = "1"
  }
}
