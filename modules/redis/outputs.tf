output "replication_group_id" {
  description = "Replication group id (drills call TestFailover on its node group)."
  value       = aws_elasticache_replication_group.this.id
}

output "primary_endpoint" {
  description = "Primary endpoint address."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint" {
  description = "Reader endpoint address."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "security_group_id" {
  description = "Security group of the replication group."
  value       = aws_security_group.this.id
}

output "auth_secret_arn" {
  description = "ARN of the secret holding the AUTH token (existing or created)."
  value       = local.auth_secret_arn
}
