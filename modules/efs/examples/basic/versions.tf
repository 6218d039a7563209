terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

# Credentials and endpoint come from the environment: the tests point AWS_ENDPOINT_URL
# at the embedded endpoint (tapguard.localaws), as for the environments.
provider "aws" {
  region = "us-west-2"

  default_tags {
    tags = { Project = "tapguard", Example = "efs-basic", ManagedBy = "terraform" }
  }
}
