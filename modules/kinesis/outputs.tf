output "stream_arns" {
  description = "Stream ARN by stage."
  value       = { for k, v in aws_kinesis_stream.this : k => v.arn }
}

output "stream_names" {
  description = "Stream name by stage."
  value       = { for k, v in aws_kinesis_stream.this : k => v.name }
}

output "shard_count" {
  description = "Shards per stream."
  value       = local.shard_count
}
