# ---------------------------------------------------------------- naming
variable "name_suffix" {
  description = "Suffix appended to every name. Lowercase letters and digits, 2-12 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{2,12}$", var.name_suffix))
    error_message = "name_suffix must be 2-12 lowercase letters or digits."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- what is watched (null = not in this stack)
variable "aurora" {
  description = "Aurora cluster to alarm on."
  type = object({
    cluster_id = string
  })
  default = null
}

variable "redis" {
  description = "Redis replication group to alarm on, with its node count (node ids are <id>-001...)."
  type = object({
    replication_group_id = string
    node_count           = number
  })
  default = null
}

variable "api" {
  description = "API Gateway REST API name and stage to alarm on."
  type = object({
    api_name   = string
    stage_name = string
  })
  default = null
}

variable "ecs" {
  description = "ECS cluster name and service names (by service key) to alarm on."
  type = object({
    cluster_name = string
    services     = map(string)
  })
  default = null
}

# ---------------------------------------------------------------- alerts
variable "alert_emails" {
  description = "Addresses subscribed to the alert topic (each must confirm)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@ ]+@[^@ ]+\\.[a-z]{2,}$", e))])
    error_message = "alert_emails must be e-mail addresses."
  }
}

variable "alerts_kms_key_arn" {
  description = "Customer-managed key of the alert topic (its policy must let CloudWatch use it)."
  type        = string
}

# ---------------------------------------------------------------- audit trail
variable "account_trail" {
  description = "1 in the one stack of the account that owns its multi-region CloudTrail (an account-level singleton), 0 in the others: they rely on it."
  type        = number
  default     = 1

  validation {
    condition     = contains([0, 1], var.account_trail)
    error_message = "account_trail must be 1 (this stack owns the account's trail) or 0 (another stack of the account does)."
  }
}

variable "trail_retention_days" {
  description = "Days trail objects are kept in S3 (PCI DSS 10.5.1: at least 365)."
  type        = number
  default     = 400

  validation {
    condition     = var.trail_retention_days >= 365
    error_message = "trail_retention_days must be at least 365."
  }
}

variable "logs_kms_key_arn" {
  description = "Customer-managed key of the trail and its log group (its policy must allow cloudtrail and logs)."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the trail log group (PCI DSS 10.5.1: at least 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch retention value of at least 365."
  }
}
