# Fixture root for modules/network: literal inputs, the provider pointed at the embedded endpoint by the environment.
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
    tags = { Project = "tapguard", Stack = "tf-module-network" }
  }
}

resource "aws_kms_key" "logs" {
  description             = "module test: flow log key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

module "network" {
  source = "../../../modules/network"

  name_suffix        = "tfmod"
  cidr_block         = "10.42.0.0/16"
  availability_zones = ["us-west-2a", "us-west-2b"]
  logs_kms_key_arn   = aws_kms_key.logs.arn
}

data "aws_vpc" "this" {
  id = module.network.vpc_id
}

data "aws_subnet" "private" {
  count = 2
  id    = module.network.private_subnet_ids[count.index]
}

data "aws_iam_role" "flow" {
  name = "role-vpcflow-us-west-2-tfmod"

  depends_on = [module.network]
}

output "vpc" {
  value = { id = data.aws_vpc.this.id, cidr = data.aws_vpc.this.cidr_block, name = data.aws_vpc.this.tags["Name"], tags = data.aws_vpc.this.tags }
}

output "private_subnets" {
  value = [for s in data.aws_subnet.private : { az = s.availability_zone, public_ip_on_launch = s.map_public_ip_on_launch }]
}

output "public_subnet_ids" {
  value = module.network.public_subnet_ids
}

output "nat_gateway_ids" {
  value = module.network.nat_gateway_ids
}

output "flow_role" {
  value = data.aws_iam_role.flow.name
}
