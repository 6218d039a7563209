terraform {
  required_version = ">= 1.11.0"

  # State lives where the deployment pipeline keeps it; tapguard plans with -backend=false
  # unless TAPGUARD_BACKEND_CONFIG names a backend config file (nightly drift runs).
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = local.tags
  }
}
