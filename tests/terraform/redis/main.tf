# Fixture root for modules/redis: literal inputs, its VPC, subnets, client group, keys and AUTH secret created here
# (an obviously fake literal token: the provider keeps auth_token in state; the module is given its partial ARN,
# known when planning as in the stacks), the provider pointed at the embedded endpoint.
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
    tags = { Project = "tapguard", Stack = "tf-module-redis" }
  }
}

resource "aws_vpc" "fixture" {
  cidr_block = "10.52.0.0/16"
}

resource "aws_subnet" "fixture" {
  count = 2

  vpc_id            = aws_vpc.fixture.id
  cidr_block        = cidrsubnet(aws_vpc.fixture.cidr_block, 8, count.index)
  availability_zone = ["us-west-2a", "us-west-2b"][count.index]
}

resource "aws_kms_key" "fixture" {
  for_each = toset(["data", "secrets", "logs"])

  description             = "module test: ${each.key} key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

resource "aws_security_group" "app" {
  name   = "secgrp-app-tfmod"
  vpc_id = aws_vpc.fixture.id
}

resource "aws_secretsmanager_secret" "auth" {
  name                    = "secret-fixtureauth-tfmod"
  kms_key_id              = aws_kms_key.fixture["secrets"].arn
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "auth" {
  secret_id     = aws_secretsmanager_secret.auth.id
  secret_string = jsonencode({ token = "FAKE-tfmod-auth-token-not-a-secret-0000" })
}

module "redis" {
  source = "../../../modules/redis"

  name_suffix               = "tfmod"
  purpose                   = "sessions"
  vpc_id                    = aws_vpc.fixture.id
  subnet_ids                = aws_subnet.fixture[*].id
  availability_zones        = ["us-west-2a", "us-west-2b"]
  client_security_group_ids = { app = aws_security_group.app.id }
  node_type                 = "cache.r7g.large"
  node_count                = 2
  snapshot_retention_days   = 5
  auth_secret_arn           = "arn:aws:secretsmanager:us-west-2:123456789012:secret:secret-fixtureauth-tfmod"
  kms_key_arn               = aws_kms_key.fixture["data"].arn
  secrets_kms_key_arn       = aws_kms_key.fixture["secrets"].arn
  logs_kms_key_arn          = aws_kms_key.fixture["logs"].arn
  tags                      = { Owner = "module-test" }

  # the module reads the secret when it plans: a literal (partial) ARN, read once the fixture's version exists
  depends_on = [aws_secretsmanager_secret_version.auth]
}

# data "aws_elasticache_replication_group" is left out: provider 5.100 panics reading moto's replication group (a nil
# field, replication_group_data_source.go:169); the tests read the deployed group from the recorded state instead.
output "replication_group_id" {
  value = module.redis.replication_group_id
}

output "endpoints" {
  value = { primary = module.redis.primary_endpoint, reader = module.redis.reader_endpoint }
}

output "auth_secret" {
  value = { name = module.redis.auth_secret_name, arn = module.redis.auth_secret_arn }
}

output "security_group_id" {
  value = module.redis.security_group_id
}

output "key_arns" {
  value = { for k, v in aws_kms_key.fixture : k => v.arn }
}
