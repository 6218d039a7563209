# eu-west-1: the transaction processing API. API Gateway -> ECS Fargate (EFS volumes)
# -> Kinesis multi-stage pipeline -> Aurora, Redis for sessions, secrets created and
# rotated here, CMKs per data domain, over 3 AZs with a NAT gateway each.
# Spec: shared/seeds/stack-eu-west-1.txt.

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  suffix = var.environment_suffix
  azs    = slice(sort(data.aws_availability_zones.available.names), 0, 3)
  tags = {
    Project     = "tapguard"
    Stack       = "eu-west-1"
    Environment = var.environment_suffix
    Compliance  = "pci-dss-v4.0.1"
    ManagedBy   = "terraform"
  }
  drill_tags = var.drill_allowed ? { "tapguard:drill" = "allowed" } : {}
}

module "kms" {
  source = "../../modules/kms"

  name_suffix = local.suffix
  keys = {
    aurora  = { description = "Aurora storage and Performance Insights", via_services = ["rds"] }
    redis   = { description = "ElastiCache at-rest encryption", via_services = ["elasticache"] }
    efs     = { description = "EFS at-rest encryption", via_services = ["elasticfilesystem"] }
    kinesis = { description = "Kinesis Data Streams", via_services = ["kinesis"] }
    secrets = { description = "Secrets Manager secrets and rotation functions", via_services = ["secretsmanager", "lambda", "rds"] }
    logs    = { description = "CloudWatch Logs and CloudTrail", service_principals = ["logs.REGION.amazonaws.com", "cloudtrail.amazonaws.com"] }
    alerts  = { description = "SNS alert topic", via_services = ["sns"], service_principals = ["cloudwatch.amazonaws.com", "cloudtrail.amazonaws.com"] }
  }
}

module "network" {
  source = "../../modules/network"

  name_suffix        = local.suffix
  cidr_block         = var.vpc_cidr
  availability_zones = local.azs
  logs_kms_key_arn   = module.kms.key_arns["logs"]
}

module "kinesis" {
  source = "../../modules/kinesis"

  name_suffix             = local.suffix
  stages                  = ["ingest", "enriched", "settled"]
  peak_records_per_minute = 100000
  kms_key_arn             = module.kms.key_arns["kinesis"]
}

# RDS manages the master password in Secrets Manager (rotated by RDS every 7 days);
# the Redis AUTH secret is created by the redis module and rotated every 30 days here.
module "secrets" {
  source = "../../modules/secrets"

  name_suffix = local.suffix
  other_rotated_secrets = {
    redis_auth = { arn = module.redis.auth_secret_arn, kind = "elasticache-auth" }
  }
  vpc_id           = module.network.vpc_id
  vpc_cidr_block   = module.network.vpc_cidr_block
  subnet_ids       = module.network.private_subnet_ids
  kms_key_arn      = module.kms.key_arns["secrets"]
  logs_kms_key_arn = module.kms.key_arns["logs"]
}

module "aurora" {
  source = "../../modules/aurora"

  name_suffix        = local.suffix
  purpose            = "ledger"
  vpc_id             = module.network.vpc_id
  subnet_ids         = module.network.private_subnet_ids
  availability_zones = local.azs
  instance_count     = 3
  client_security_group_ids = {
    app = module.ecs.tasks_security_group_id
  }
  kms_key_arn         = module.kms.key_arns["aurora"]
  secrets_kms_key_arn = module.kms.key_arns["secrets"]
  logs_kms_key_arn    = module.kms.key_arns["logs"]
  tags                = local.drill_tags

  fis_failover_template = true
}

module "redis" {
  source = "../../modules/redis"

  name_suffix        = local.suffix
  purpose            = "sessions"
  vpc_id             = module.network.vpc_id
  subnet_ids         = module.network.private_subnet_ids
  availability_zones = local.azs
  node_count         = 3
  client_security_group_ids = {
    app = module.ecs.tasks_security_group_id
  }
  kms_key_arn         = module.kms.key_arns["redis"]
  secrets_kms_key_arn = module.kms.key_arns["secrets"]
  logs_kms_key_arn    = module.kms.key_arns["logs"]
  tags                = local.drill_tags
}

module "efs" {
  source = "../../modules/efs"

  name_suffix               = local.suffix
  purpose                   = "shared"
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = { app = module.ecs.tasks_security_group_id }
  client_role_arns          = values(module.ecs.task_role_arns)
  kms_key_arn               = module.kms.key_arns["efs"]
}

# Least privilege per stage: each service may only read its input stream and write its output.
data "aws_iam_policy_document" "stage" {
  for_each = {
    api       = { reads = [], writes = ["ingest"] }
    processor = { reads = ["ingest"], writes = ["enriched"] }
    settler   = { reads = ["enriched"], writes = ["settled"] }
  }

  dynamic "statement" {
    for_each = length(each.value.writes) > 0 ? [1] : []
    content {
      sid       = "WriteOutputStream"
      actions   = ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"]
      resources = [for s in each.value.writes : module.kinesis.stream_arns[s]]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.reads) > 0 ? [1] : []
    content {
      sid = "ReadInputStream"
      actions = [
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListShards",
      ]
      resources = [for s in each.value.reads : module.kinesis.stream_arns[s]]
    }
  }

  statement {
    sid       = "UseStreamKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [module.kms.key_arns["kinesis"]]
  }
}

module "ecs" {
  source = "../../modules/ecs"

  name_suffix    = local.suffix
  purpose        = "transactions"
  vpc_id         = module.network.vpc_id
  vpc_cidr_block = module.network.vpc_cidr_block
  subnet_ids     = module.network.private_subnet_ids
  services = {
    api = {
      image          = var.container_images.api
      container_port = 8080
      desired_count  = 3
      environment    = { INGEST_STREAM = module.kinesis.stream_names["ingest"], PRODUCER_MAX_RETRIES = "8", IDEMPOTENCY_KEY = "transaction_id" }
      settings       = { SESSION_REDIS_HOST = module.redis.primary_endpoint }
      secrets        = { SESSION_REDIS_AUTH = module.redis.auth_secret_name }
    }
    processor = {
      image         = var.container_images.processor
      desired_count = 3
      environment   = { INPUT_STREAM = module.kinesis.stream_names["ingest"], OUTPUT_STREAM = module.kinesis.stream_names["enriched"], PRODUCER_MAX_RETRIES = "8", IDEMPOTENCY_KEY = "transaction_id" }
    }
    settler = {
      image         = var.container_images.settler
      desired_count = 3
      # IAM database authentication: the settler holds no database password at all.
      environment = { INPUT_STREAM = module.kinesis.stream_names["enriched"], OUTPUT_STREAM = module.kinesis.stream_names["settled"], DB_USER = "settler", DB_WRITE_MODE = "insert-on-conflict-do-nothing", IDEMPOTENCY_KEY = "transaction_id" }
      settings    = { DB_HOST = module.aurora.writer_endpoint }
    }
  }
  task_policies = { for k, d in data.aws_iam_policy_document.stage : k => d.json }
  blue_green    = true
  rollback_alarm_names = [
    "alarm-api-5xx-${local.suffix}",
    "alarm-api-latency-${local.suffix}",
  ]
  alarm_topic_arn     = module.observability.alerts_topic_arn
  api_request_metric  = { api_name = module.api.rest_api_name, stage_name = module.api.stage_name }
  efs_file_system_id  = module.efs.file_system_id
  efs_access_point_id = module.efs.access_point_id
  secrets_kms_key_arn = module.kms.key_arns["secrets"]
  logs_kms_key_arn    = module.kms.key_arns["logs"]
}

module "api" {
  source = "../../modules/api"

  name_suffix              = local.suffix
  purpose                  = "transactions"
  backend_nlb_arn          = module.ecs.nlb_arn
  backend_nlb_dns_name     = module.ecs.nlb_dns_name
  backend_port             = module.ecs.listener_port
  peak_requests_per_minute = 100000
  logs_kms_key_arn         = module.kms.key_arns["logs"]
}

module "observability" {
  source = "../../modules/observability"

  name_suffix        = local.suffix
  aurora             = { cluster_id = module.aurora.cluster_id }
  redis              = { replication_group_id = module.redis.replication_group_id, node_count = 3 }
  api                = { api_name = module.api.rest_api_name, stage_name = module.api.stage_name }
  ecs                = { cluster_name = module.ecs.cluster_name, services = module.ecs.service_names }
  alert_emails       = var.alert_emails
  alerts_kms_key_arn = module.kms.key_arns["alerts"]
  logs_kms_key_arn   = module.kms.key_arns["logs"]
  # the account's multi-region CloudTrail is owned by the us-west-2 stack (README: account-level singletons)
  account_trail = 0
}
