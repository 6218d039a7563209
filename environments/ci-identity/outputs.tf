output "plan_role_arns" {
  description = "Plan role per stack (repository variables PLAN_ROLE_ARN_<REGION>)."
  value       = { for region, role in aws_iam_role.plan : region => role.arn }
}

output "drill_role_arn" {
  description = "Drill role (repository variable DRILL_ROLE_ARN)."
  value       = aws_iam_role.drill.arn
}
