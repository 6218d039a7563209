locals {
  # A shard takes 1,000 records/s; size for the peak with headroom, never below 2.
  shard_count = max(2, ceil(var.peak_records_per_minute / 60 / 1000 * var.capacity_headroom))
}

resource "aws_kinesis_stream" "this" {
  for_each = toset(var.stages)

  name                      = "kinesis-${each.key}-${var.name_suffix}"
  shard_count               = local.shard_count
  retention_period          = var.retention_hours
  encryption_type           = "KMS"
  kms_key_id                = var.kms_key_arn
  enforce_consumer_deletion = true

  shard_level_metrics = [
    "IncomingRecords",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
  ]

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }

  tags = var.tags
}
