output "key_arns" {
  description = "ARN of each key by data domain."
  value       = { for k, v in aws_kms_key.this : k => v.arn }
}

output "key_ids" {
  description = "Key id of each key by data domain."
  value       = { for k, v in aws_kms_key.this : k => v.key_id }
}

output "alias_names" {
  description = "Alias of each key by data domain."
  value       = { for k, v in aws_kms_alias.this : k => v.name }
}
