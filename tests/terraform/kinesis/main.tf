# Fixture root for modules/kinesis: literal inputs, the provider pointed at the embedded endpoint by the environment.
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
    tags = { Project = "tapguard", Stack = "tf-module-kinesis" }
  }
}

resource "aws_kms_key" "streams" {
  description             = "module test: stream key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

module "kinesis" {
  source = "../../../modules/kinesis"

  name_suffix             = "tfmod"
  stages                  = ["ingest", "settled"]
  peak_records_per_minute = 60000
  kms_key_arn             = aws_kms_key.streams.arn
}

data "aws_kinesis_stream" "ingest" {
  name = module.kinesis.stream_names["ingest"]

  depends_on = [module.kinesis]
}

output "stream_names" {
  value = module.kinesis.stream_names
}

output "shard_count" {
  value = module.kinesis.shard_count
}

output "ingest" {
  value = {
    encryption_type  = data.aws_kinesis_stream.ingest.encryption_type
    kms_key_id       = data.aws_kinesis_stream.ingest.kms_key_id
    retention_period = data.aws_kinesis_stream.ingest.retention_period
    shards           = length(data.aws_kinesis_stream.ingest.open_shards)
    tags             = data.aws_kinesis_stream.ingest.tags
  }
}

output "key_arn" {
  value = aws_kms_key.streams.arn
}
