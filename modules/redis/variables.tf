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
  description = "Purpose part of names (redis-<purpose>-<suffix>); the replication group id is at most 40 characters."
  type        = string
  default     = "cache"

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

# ---------------------------------------------------------------- network
variable "vpc_id" {
  description = "VPC of the replication group."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one per availability zone (at least 2)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least 2 private subnets for Multi-AZ."
  }
}

variable "availability_zones" {
  description = "Zones the nodes are spread over, in order (node i goes to zone i mod n)."
  type        = list(string)

  validation {
    condition     = length(distinct(var.availability_zones)) >= 2
    error_message = "availability_zones needs at least 2 distinct zones."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 6379, by name of the client tier."
  type        = map(string)
}

# ---------------------------------------------------------------- engine
variable "engine_version" {
  description = "Redis engine version (7.x supports TLS, AUTH and JSON log delivery)."
  type        = string
  default     = "7.1"
}

variable "node_type" {
  description = "Cache node type."
  type        = string
  default     = "cache.r7g.large"
}

variable "node_count" {
  description = "Primary + replicas (cluster mode disabled). At least 2 for automatic failover."
  type        = number
  default     = 3

  validation {
    condition     = var.node_count >= 2 && var.node_count <= 6
    error_message = "node_count must be 2-6: automatic failover needs a replica."
  }
}

# ---------------------------------------------------------------- credentials and keys
variable "auth_secret_arn" {
  description = "ARN of an EXISTING secret whose JSON holds the AUTH token under \"token\". Null creates secret-redisauth-<suffix> with a generated token."
  type        = string
  default     = null
}

variable "secrets_kms_key_arn" {
  description = "Customer-managed key of the AUTH secret the module creates (unused with auth_secret_arn)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed key for at-rest encryption."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "Customer-managed key for the slow/engine log groups."
  type        = string
}

# ---------------------------------------------------------------- backups and logs
variable "snapshot_retention_days" {
  description = "Daily snapshot retention in days, 1-35 (0 would disable backups)."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_days >= 1 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be 1-35."
  }
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
