output "alerts_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alerts.arn
}

output "alarm_names" {
  description = "Names of all alarms."
  value       = [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]
}

output "trail_arn" {
  description = "CloudTrail trail ARN (null in a stack that does not own the account's trail)."
  value       = one(aws_cloudtrail.this[*].arn)
}
