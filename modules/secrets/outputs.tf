output "secret_arns" {
  description = "ARN of every secret, existing and created, by purpose."
  value       = { for k, v in local.rotated : k => v.arn }
}

output "rotation_security_group_id" {
  description = "Security group of the rotation functions (a client of the databases)."
  value       = aws_security_group.rotation.id
}
