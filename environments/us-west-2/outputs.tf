output "region" {
  description = "Region of the stack."
  value       = "us-west-2"
}

output "aurora_cluster_id" {
  description = "Aurora cluster identifier (drill target)."
  value       = module.aurora.cluster_id
}

output "aurora_writer_endpoint" {
  description = "Aurora writer endpoint."
  value       = module.aurora.writer_endpoint
}

output "aurora_reader_endpoint" {
  description = "Aurora reader endpoint."
  value       = module.aurora.reader_endpoint
}

output "aurora_instance_ids" {
  description = "Aurora instance identifiers in promotion order."
  value       = module.aurora.instance_ids
}

output "aurora_fis_template_id" {
  description = "FIS experiment template that fails Aurora over (tapguard drill --fis-template)."
  value       = module.aurora.fis_failover_template_id
}

output "redis_replication_group_id" {
  description = "Redis replication group id (drill target)."
  value       = module.redis.replication_group_id
}

output "redis_primary_endpoint" {
  description = "Redis primary endpoint."
  value       = module.redis.primary_endpoint
}

output "secret_arns" {
  description = "ARNs of the secrets the drills read credentials from."
  value = {
    aurora_master = module.aurora.master_user_secret_arn
    redis_auth    = module.redis.auth_secret_arn
  }
}

output "api_invoke_url" {
  description = "Invoke URL of the transaction API."
  value       = module.api.invoke_url
}
