# Fixture root for modules/kms: literal inputs, the provider pointed at the embedded endpoint by the environment
# (AWS_ENDPOINT_URL, set by tests/terraform/conftest.py when recording). Outputs are what the tests read back.
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
    tags = { Project = "tapguard", Stack = "tf-module-kms" }
  }
}

module "kms" {
  source = "../../../modules/kms"

  name_suffix = "tfmod"
  keys = {
    data = { description = "module test: data key", via_services = ["rds"] }
    logs = { description = "module test: logs key", service_principals = ["logs.REGION.amazonaws.com"] }
  }
}

data "aws_kms_key" "data" {
  key_id = module.kms.key_arns["data"]
}

output "key_arns" {
  value = module.kms.key_arns
}

output "alias_names" {
  value = module.kms.alias_names
}

output "data_key" {
  value = {
    enabled     = data.aws_kms_key.data.enabled
    key_manager = data.aws_kms_key.data.key_manager
    key_usage   = data.aws_kms_key.data.key_usage
    multi_az    = data.aws_kms_key.data.multi_region
  }
}
