# Fixture root for modules/ecs: literal inputs (the EFS ids and the secret name are literals: task definitions only name
# them), its VPC, subnets and keys created here, the provider pointed at the embedded endpoint by the environment.
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
    tags = { Project = "tapguard", Stack = "tf-module-ecs" }
  }
}

resource "aws_vpc" "fixture" {
  cidr_block = "10.55.0.0/16"
}

resource "aws_subnet" "fixture" {
  count = 2

  vpc_id            = aws_vpc.fixture.id
  cidr_block        = cidrsubnet(aws_vpc.fixture.cidr_block, 8, count.index)
  availability_zone = ["us-west-2a", "us-west-2b"][count.index]
}

resource "aws_kms_key" "fixture" {
  for_each = toset(["secrets", "logs"])

  description             = "module test: ${each.key} key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

module "ecs" {
  source = "../../../modules/ecs"

  name_suffix    = "tfmod"
  purpose        = "payments"
  vpc_id         = aws_vpc.fixture.id
  vpc_cidr_block = aws_vpc.fixture.cidr_block
  subnet_ids     = aws_subnet.fixture[*].id
  services = {
    api = { image = "public.ecr.aws/docker/library/nginx:1.27-alpine", container_port = 8080, desired_count = 2, max_count = 4 }
    worker = {
      image         = "public.ecr.aws/docker/library/busybox:1.36"
      desired_count = 2
      max_count     = 3
      environment   = { MODE = "fixture" }
      settings      = { QUEUE_URL = "https://queue.fixture.invalid/tfmod" }
      secrets       = { DB_CREDENTIALS = "secret-fixturedb-tfmod" }
    }
  }
  blue_green          = true
  api_request_metric  = { api_name = "apigw-fixture-tfmod", stage_name = "live" }
  efs_file_system_id  = "fs-0f1e2d3c4b5a69788"
  efs_access_point_id = "fsap-0f1e2d3c4b5a69788"
  secrets_kms_key_arn = aws_kms_key.fixture["secrets"].arn
  logs_kms_key_arn    = aws_kms_key.fixture["logs"].arn
  tags                = { Owner = "module-test" }
}

data "aws_ecs_service" "deployed" {
  for_each = module.ecs.service_names

  service_name = each.value
  cluster_arn  = module.ecs.cluster_name

  depends_on = [module.ecs]
}

data "aws_ecs_task_definition" "deployed" {
  for_each = toset(["api", "worker"])

  task_definition = "task-${each.key}-tfmod"

  depends_on = [module.ecs]
}

data "aws_lb" "deployed" {
  arn = module.ecs.nlb_arn
}

output "cluster_name" {
  value = module.ecs.cluster_name
}

output "service_names" {
  value = module.ecs.service_names
}

output "services" {
  value = { for k, s in data.aws_ecs_service.deployed : k => { desired_count = s.desired_count, launch_type = s.launch_type, task_definition = s.task_definition } }
}

output "task_definitions" {
  value = { for k, t in data.aws_ecs_task_definition.deployed : k => { family = t.family, network_mode = t.network_mode, task_role_arn = t.task_role_arn } }
}

output "task_role_arns" {
  value = module.ecs.task_role_arns
}

output "nlb" {
  value = { arn = module.ecs.nlb_arn, dns_name = module.ecs.nlb_dns_name, internal = data.aws_lb.deployed.internal, type = data.aws_lb.deployed.load_balancer_type, listener_port = module.ecs.listener_port }
}

output "tasks_security_group_id" {
  value = module.ecs.tasks_security_group_id
}

output "key_arns" {
  value = { for k, v in aws_kms_key.fixture : k => v.arn }
}
