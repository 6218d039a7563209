terraform {
  required_version = ">= 1.11.0"

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
    tags = {
      Project     = "tapguard"
      Stack       = "ci-identity"
      Environment = var.environment_suffix
      ManagedBy   = "terraform"
    }
  }
}
