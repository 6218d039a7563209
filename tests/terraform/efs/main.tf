# Fixture root for modules/efs: literal inputs, its VPC, subnets, client group, client role and key created here,
# the provider pointed at the embedded endpoint by the environment.
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
    tags = { Project = "tapguard", Stack = "tf-module-efs" }
  }
}

resource "aws_vpc" "fixture" {
  cidr_block = "10.53.0.0/16"
}

resource "aws_subnet" "fixture" {
  count = 2

  vpc_id            = aws_vpc.fixture.id
  cidr_block        = cidrsubnet(aws_vpc.fixture.cidr_block, 8, count.index)
  availability_zone = ["us-west-2a", "us-west-2b"][count.index]
}

resource "aws_kms_key" "fixture" {
  for_each = toset(["data"])

  description             = "module test: ${each.key} key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

resource "aws_security_group" "app" {
  name   = "secgrp-app-tfmod"
  vpc_id = aws_vpc.fixture.id
}

resource "aws_iam_role" "client" {
  name = "role-efsclient-us-west-2-tfmod"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

module "efs" {
  source = "../../../modules/efs"

  name_suffix               = "tfmod"
  purpose                   = "exports"
  vpc_id                    = aws_vpc.fixture.id
  subnet_ids                = aws_subnet.fixture[*].id
  client_security_group_ids = { app = aws_security_group.app.id }
  client_role_arns          = [aws_iam_role.client.arn]
  kms_key_arn               = aws_kms_key.fixture["data"].arn
  posix_uid                 = 1001
  tags                      = { Owner = "module-test" }
}

data "aws_efs_file_system" "deployed" {
  file_system_id = module.efs.file_system_id
}

data "aws_efs_access_point" "deployed" {
  access_point_id = module.efs.access_point_id
}

output "file_system" {
  value = {
    id         = module.efs.file_system_id
    arn        = module.efs.file_system_arn
    encrypted  = data.aws_efs_file_system.deployed.encrypted
    kms_key_id = data.aws_efs_file_system.deployed.kms_key_id
    throughput = data.aws_efs_file_system.deployed.throughput_mode
    tags       = data.aws_efs_file_system.deployed.tags
  }
}

output "access_point" {
  value = {
    id             = module.efs.access_point_id
    arn            = module.efs.access_point_arn
    posix_user     = data.aws_efs_access_point.deployed.posix_user
    root_directory = data.aws_efs_access_point.deployed.root_directory
    tags           = data.aws_efs_access_point.deployed.tags
  }
}

output "security_group_id" {
  value = module.efs.security_group_id
}

output "client_role_arn" {
  value = aws_iam_role.client.arn
}

output "key_arn" {
  value = aws_kms_key.fixture["data"].arn
}
