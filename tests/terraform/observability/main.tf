# Fixture root for modules/observability: literal inputs (the watched cluster, replication group, API and services are
# literal names: alarms only name them), keys created here, the provider pointed at the embedded endpoint by the environment.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = "us-west-2"

  default_tags {
    tags = { Project = "tapguard", Stack = "tf-module-observability" }
  }
}

resource "aws_kms_key" "fixture" {
  for_each = toset(["alerts", "logs"])

  description             = "module test: ${each.key} key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

module "observability" {
  source = "../../../modules/observability"

  name_suffix          = "tfmod"
  aurora               = { cluster_id = "aurora-ledger-tfmod" }
  redis                = { replication_group_id = "redis-sessions-tfmod", node_count = 2 }
  api                  = { api_name = "apigw-payments-tfmod", stage_name = "live" }
  ecs                  = { cluster_name = "ecs-payments-tfmod", services = { api = "svc-api-tfmod" } }
  alert_emails         = ["alerts@example.invalid"]
  alerts_kms_key_arn   = aws_kms_key.fixture["alerts"].arn
  logs_kms_key_arn     = aws_kms_key.fixture["logs"].arn
  trail_retention_days = 400
  tags                 = { Owner = "module-test" }
}

output "alerts_topic_arn" {
  value = module.observability.alerts_topic_arn
}

output "alarm_names" {
  value = module.observability.alarm_names
}

output "trail_arn" {
  value = module.observability.trail_arn
}

output "key_arns" {
  value = { for k, v in aws_kms_key.fixture : k => v.arn }
}
