variable "environment_suffix" {
  description = "Suffix of every resource name ({resource-type}-{purpose}-{suffix}): 2-8 lowercase letters or digits."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{2,8}$", var.environment_suffix))
    error_message = "environment_suffix must be 2-8 lowercase letters or digits, e.g. \"dev\" or \"pr123\"."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (/16 to /20)."
  type        = string
  default     = "10.20.0.0/16"
}

variable "az_count" {
  description = "Availability zones to span (2-3); 3 keeps a quorum of replicas through an AZ loss."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "existing_secrets" {
  description = "Names of the EXISTING Secrets Manager secrets this stack reads and rotates (never creates): the Aurora master credentials (JSON with username, password, host, port, dbname, engine) and the Redis AUTH token (JSON with replication_group_id and token)."
  type = object({
    aurora_master = string
    redis_auth    = string
  })
}

variable "alert_emails" {
  description = "Addresses that receive alarm notifications."
  type        = list(string)
  default     = []
}

variable "drill_allowed" {
  description = "Tag Aurora and Redis with tapguard:drill=allowed so failover drills may target them."
  type        = bool
  default     = false
}
