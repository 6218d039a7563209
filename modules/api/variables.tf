# ---------------------------------------------------------------- naming
variable "name_suffix" {
  description = "Suffix appended to every name. Lowercase letters and digits, 2-12 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{2,12}$", var.name_suffix))
    error_message = "name_suffix must be 2-12 lowercase letters or digits."
  }
}

variable "purpose" {
  description = "Purpose part of names (apigw-<purpose>-<suffix>)."
  type        = string
  default     = "transactions"

  validation {
    condition     = can(regex("^[a-z0-9]{2,20}$", var.purpose))
    error_message = "purpose must be 2-20 lowercase letters or digits."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- backend
variable "backend_nlb_arn" {
  description = "ARN of the internal Network Load Balancer the VPC link targets."
  type        = string
}

variable "backend_nlb_dns_name" {
  description = "DNS name of that load balancer."
  type        = string
}

variable "backend_port" {
  description = "Listener port of that load balancer."
  type        = number
  default     = 80
}

# ---------------------------------------------------------------- stage
variable "stage_name" {
  description = "Stage name (part of the invoke URL)."
  type        = string
  default     = "live"
}

variable "logging_level" {
  description = "Execution logging level: INFO or ERROR (OFF is not allowed: PCI DSS 10.2.1)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["INFO", "ERROR"], var.logging_level)
    error_message = "logging_level must be INFO or ERROR."
  }
}

variable "peak_requests_per_minute" {
  description = "Expected peak load in requests per minute; throttling is sized from it."
  type        = number
  default     = 100000

  validation {
    condition     = var.peak_requests_per_minute >= 60
    error_message = "peak_requests_per_minute must be at least 60."
  }
}

variable "throttle_headroom" {
  description = "Factor over the peak the steady-state throttle allows (burst is twice that). 1.2-5."
  type        = number
  default     = 1.5

  validation {
    condition     = var.throttle_headroom >= 1.2 && var.throttle_headroom <= 5
    error_message = "throttle_headroom must be 1.2-5: at least 20 % over the peak."
  }
}

# ---------------------------------------------------------------- WAF and logs
variable "managed_rule_groups" {
  description = "AWS managed rule groups evaluated in this order, after the baseline the module always adds (KnownBadInputs, AnonymousIpList)."
  type        = list(string)
  default = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesSQLiRuleSet",
  ]

  validation {
    condition     = length(var.managed_rule_groups) >= 1 && length(setintersection(var.managed_rule_groups, ["AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAnonymousIpList"])) == 0
    error_message = "List at least one managed rule group besides AWSManagedRulesKnownBadInputsRuleSet and AWSManagedRulesAnonymousIpList, which the module always adds (PCI DSS 6.4.2)."
  }
}

variable "waf_rate_limit_per_ip" {
  description = "Requests per 5 minutes one IP may send before WAF blocks it."
  type        = number
  default     = 20000
}

variable "logs_kms_key_arn" {
  description = "Customer-managed key of the access and WAF log groups."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the log groups (PCI DSS 10.5.1: at least 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch retention value of at least 365."
  }
}
