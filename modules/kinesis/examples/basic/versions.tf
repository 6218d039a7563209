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
  region = "eu-west-1"

  default_tags {
    tags = { Project = "tapguard", Example = "kinesis-basic", ManagedBy = "terraform" }
  }
}
