output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "service_names" {
  description = "Service name by service key."
  value       = { for k, v in aws_ecs_service.this : k => v.name }
}

output "task_role_arns" {
  description = "Task role ARN by service key (EFS clients)."
  value       = { for k, v in aws_iam_role.task : k => v.arn }
}

output "tasks_security_group_id" {
  description = "Security group of the tasks (a client of the data tier)."
  value       = aws_security_group.tasks.id
}

output "nlb_arn" {
  description = "Internal NLB ARN (API Gateway VPC link target)."
  value       = aws_lb.this.arn
}

output "nlb_dns_name" {
  description = "Internal NLB DNS name."
  value       = aws_lb.this.dns_name
}

output "listener_port" {
  description = "NLB listener port."
  value       = var.listener_port
}
