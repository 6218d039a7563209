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

output "auth_secret_name" {
  description = "Name of the secret holding the AUTH token (known at plan time)."
  value       = var.auth_secret_arn != null ? data.aws_secretsmanager_secret_version.auth[0].secret_id : "secret-redisauth-${var.name_suffix}"
}

output "auth_secret_arn" {
  description = "ARN of the secret holding the AUTH token (existing or created)."
  value       = var.auth_secret_arn != null ? var.auth_secret_arn : aws_secretsmanager_secret.auth[0].arn
}
