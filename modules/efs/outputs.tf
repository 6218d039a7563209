output "file_system_id" {
  description = "File system id."
  value       = aws_efs_file_system.this.id
}

output "file_system_arn" {
  description = "File system ARN."
  value       = aws_efs_file_system.this.arn
}

output "access_point_id" {
  description = "Access point id for task definitions."
  value       = aws_efs_access_point.this.id
}

output "access_point_arn" {
  description = "Access point ARN."
  value       = aws_efs_access_point.this.arn
}

output "security_group_id" {
  description = "Security group of the mount targets."
  value       = aws_security_group.this.id
}
