# us-west-2: the card-transaction data tier. Aurora PostgreSQL with read replicas,
# EFS, EXISTING secrets rotated every 30 days, Redis, and a throttled API Gateway in
# front of a Fargate service. Spec: shared/seeds/stack-us-west-2.txt.

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  suffix = var.environment_suffix
  azs    = slice(sort(data.aws_availability_zones.available.names), 0, var.az_count)
  tags = {
    Project     = "tapguard"
    Stack       = "us-west-2"
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
    secrets = { description = "Secrets Manager secrets and rotation functions", via_services = ["secretsmanager", "lambda"] }
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

module "secrets" {
  source = "../../modules/secrets"

  name_suffix = local.suffix
  existing_secrets = {
    aurora_master = { name = var.existing_secrets.aurora_master, rotation = "rds-postgresql" }
    redis_auth    = { name = var.existing_secrets.redis_auth, rotation = "elasticache-auth" }
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
  purpose            = "transactions"
  vpc_id             = module.network.vpc_id
  subnet_ids         = module.network.private_subnet_ids
  availability_zones = local.azs
  instance_count     = 3
  client_security_group_ids = {
    app      = module.ecs.tasks_security_group_id
    rotation = module.secrets.rotation_security_group_id
  }
  master_secret_arn   = module.secrets.secret_arns["aurora_master"]
  kms_key_arn         = module.kms.key_arns["aurora"]
  secrets_kms_key_arn = module.kms.key_arns["secrets"]
  logs_kms_key_arn    = module.kms.key_arns["logs"]
  tags                = local.drill_tags

  fis_failover_template = true
}

module "redis" {
  source = "../../modules/redis"

  name_suffix        = local.suffix
  purpose            = "cache"
  vpc_id             = module.network.vpc_id
  subnet_ids         = module.network.private_subnet_ids
  availability_zones = local.azs
  node_count         = 3
  client_security_group_ids = {
    app = module.ecs.tasks_security_group_id
  }
  auth_secret_arn     = module.secrets.secret_arns["redis_auth"]
  kms_key_arn         = module.kms.key_arns["redis"]
  secrets_kms_key_arn = module.kms.key_arns["secrets"]
  logs_kms_key_arn    = module.kms.key_arns["logs"]
  tags                = local.drill_tags
}

module "efs" {
  source = "../../modules/efs"

  name_suffix               = local.suffix
  purpose                   = "documents"
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = { app = module.ecs.tasks_security_group_id }
  client_role_arns          = values(module.ecs.task_role_arns)
  kms_key_arn               = module.kms.key_arns["efs"]
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
      image          = "public.ecr.aws/docker/library/nginx:1.27-alpine"
      container_port = 8080
      desired_count  = 3
      settings = {
        DB_HOST    = module.aurora.writer_endpoint
        REDIS_HOST = module.redis.primary_endpoint
      }
      secrets = {
        DB_CREDENTIALS = var.existing_secrets.aurora_master
        REDIS_AUTH     = var.existing_secrets.redis_auth
      }
    }
  }
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
}
