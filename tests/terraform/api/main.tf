# Fixture root for modules/api: literal inputs (the backend NLB is a literal ARN and DNS name: the VPC link only names it),
# a logs key created here, the provider pointed at the embedded endpoint by the environment.
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
    tags = { Project = "tapguard", Stack = "tf-module-api" }
  }
}

resource "aws_kms_key" "fixture" {
  for_each = toset(["logs"])

  description             = "module test: ${each.key} key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

module "api" {
  source = "../../../modules/api"

  name_suffix              = "tfmod"
  purpose                  = "payments"
  backend_nlb_arn          = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/nlb-fixture-tfmod/0123456789abcdef"
  backend_nlb_dns_name     = "nlb-fixture-tfmod-0123456789abcdef.elb.us-west-2.amazonaws.com"
  backend_port             = 8080
  stage_name               = "live"
  peak_requests_per_minute = 6000
  throttle_headroom        = 2
  managed_rule_groups      = ["AWSManagedRulesCommonRuleSet"]
  waf_rate_limit_per_ip    = 2000
  logs_kms_key_arn         = aws_kms_key.fixture["logs"].arn
  tags                     = { Owner = "module-test" }
}

output "api" {
  value = {
    id         = module.api.rest_api_id
    name       = module.api.rest_api_name
    stage_name = module.api.stage_name
    invoke_url = module.api.invoke_url
  }
}

output "web_acl_arn" {
  value = module.api.web_acl_arn
}

output "key_arn" {
  value = aws_kms_key.fixture["logs"].arn
}
