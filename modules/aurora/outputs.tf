output "cluster_id" {
  description = "Cluster identifier (drills fail it over)."
  value       = aws_rds_cluster.this.id
}

output "cluster_arn" {
  description = "Cluster ARN."
  value       = aws_rds_cluster.this.arn
}

output "writer_endpoint" {
  description = "Cluster (writer) endpoint."
  value       = aws_rds_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint, load-balanced over the replicas."
  value       = aws_rds_cluster.this.reader_endpoint
}

output "instance_ids" {
  description = "Instance identifiers in promotion-tier order."
  value       = aws_rds_cluster_instance.this[*].identifier
}

output "fis_failover_template_id" {
  description = "FIS experiment template that fails the cluster over (null when not created)."
  value       = var.fis_failover_template ? aws_fis_experiment_template.failover[0].id : null
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}

output "master_user_secret_arn" {
  description = "ARN of the secret holding the master credentials (existing or RDS-managed)."
  value       = var.master_secret_arn != null ? var.master_secret_arn : aws_rds_cluster.this.master_user_secret[0].secret_arn
}
