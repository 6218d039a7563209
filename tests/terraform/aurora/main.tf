# Fixture root for modules/aurora: literal inputs, its VPC, subnets, client group and keys created here, the provider
# pointed at the embedded endpoint by the environment. RDS manages the master password (no password in the recording).
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
    tags = { Project = "tapguard", Stack = "tf-module-aurora" }
  }
}

resource "aws_vpc" "fixture" {
  cidr_block = "10.51.0.0/16"
}

resource "aws_subnet" "fixture" {
  count = 2

  vpc_id            = aws_vpc.fixture.id
  cidr_block        = cidrsubnet(aws_vpc.fixture.cidr_block, 8, count.index)
  availability_zone = ["us-west-2a", "us-west-2b"][count.index]
}

resource "aws_security_group" "app" {
  name   = "secgrp-app-tfmod"
  vpc_id = aws_vpc.fixture.id
}

resource "aws_kms_key" "fixture" {
  for_each = toset(["data", "secrets", "logs"])

  description             = "module test: ${each.key} key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

module "aurora" {
  source = "../../../modules/aurora"

  name_suffix               = "tfmod"
  purpose                   = "ledger"
  vpc_id                    = aws_vpc.fixture.id
  subnet_ids                = aws_subnet.fixture[*].id
  availability_zones        = ["us-west-2a", "us-west-2b"]
  client_security_group_ids = { app = aws_security_group.app.id }
  instance_class            = "db.r6g.large"
  instance_count            = 2
  backup_retention_days     = 14
  kms_key_arn               = aws_kms_key.fixture["data"].arn
  secrets_kms_key_arn       = aws_kms_key.fixture["secrets"].arn
  logs_kms_key_arn          = aws_kms_key.fixture["logs"].arn
  tags                      = { Owner = "module-test" }
}

data "aws_rds_cluster" "deployed" {
  cluster_identifier = module.aurora.cluster_id

  depends_on = [module.aurora]
}

data "aws_db_instance" "members" {
  count = 2

  db_instance_identifier = module.aurora.instance_ids[count.index]

  depends_on = [module.aurora]
}

output "cluster" {
  value = {
    id                      = module.aurora.cluster_id
    arn                     = module.aurora.cluster_arn
    engine                  = data.aws_rds_cluster.deployed.engine
    storage_encrypted       = data.aws_rds_cluster.deployed.storage_encrypted
    kms_key_id              = data.aws_rds_cluster.deployed.kms_key_id
    backup_retention_period = data.aws_rds_cluster.deployed.backup_retention_period
    iam_auth                = data.aws_rds_cluster.deployed.iam_database_authentication_enabled
    log_exports             = data.aws_rds_cluster.deployed.enabled_cloudwatch_logs_exports
    members                 = data.aws_rds_cluster.deployed.cluster_members
    tags                    = data.aws_rds_cluster.deployed.tags
  }
}

output "instances" {
  value = [for i in data.aws_db_instance.members : { id = i.db_instance_identifier, az = i.availability_zone, public = i.publicly_accessible, encrypted = i.storage_encrypted }]
}

output "instance_ids" {
  value = module.aurora.instance_ids
}

output "endpoints" {
  value = { writer = module.aurora.writer_endpoint, reader = module.aurora.reader_endpoint }
}

output "security_group_id" {
  value = module.aurora.security_group_id
}

output "master_user_secret_arn" {
  value = module.aurora.master_user_secret_arn
}

output "key_arns" {
  value = { for k, v in aws_kms_key.fixture : k => v.arn }
}
