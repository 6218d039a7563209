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
  description = "Purpose part of names, e.g. aurora-<purpose>-<suffix>. Lowercase letters and digits."
  type        = string
  default     = "transactions"

  validation {
    condition     = can(regex("^[a-z0-9]{2,20}$", var.purpose))
    error_message = "purpose must be 2-20 lowercase letters or digits (RDS identifiers are lowercase)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- network
variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the DB subnet group, one per availability zone (at least 2)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least 2 private subnets in distinct AZs for failover."
  }
}

variable "availability_zones" {
  description = "Zones the instances are spread over, in order (instance i goes to zone i mod n)."
  type        = list(string)

  validation {
    condition     = length(distinct(var.availability_zones)) >= 2
    error_message = "availability_zones needs at least 2 distinct zones."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 5432, by name of the client tier (e.g. app = sg id)."
  type        = map(string)
}

# ---------------------------------------------------------------- engine and instances
variable "engine_version" {
  description = "Aurora PostgreSQL version, e.g. 15.10. The parameter-group family follows its major."
  type        = string
  default     = "15.10"

  validation {
    condition     = can(regex("^1[3-7]\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be an Aurora PostgreSQL major.minor from 13 to 17."
  }
}

variable "instance_class" {
  description = "Instance class of writer and readers (identical so any reader can take the writer's load)."
  type        = string
  default     = "db.r6g.large"
}

variable "instance_count" {
  description = "Writer + readers. At least 2 so a replica can be promoted in seconds."
  type        = number
  default     = 3

  validation {
    condition     = var.instance_count >= 2 && var.instance_count <= 16
    error_message = "instance_count must be 2-16: failover needs at least one reader."
  }
}

variable "database_name" {
  description = "Name of the initial database."
  type        = string
  default     = "transactions"
}

variable "master_username" {
  description = "Master user name (not secret; the password is)."
  type        = string
  default     = "tapguard_admin"
}

# ---------------------------------------------------------------- credentials and keys
variable "master_secret_arn" {
  description = "ARN of an EXISTING secret whose JSON has a password key. Null lets RDS manage the master password in Secrets Manager."
  type        = string
  default     = null
}

variable "master_password_version" {
  description = "Bump to push a new password from master_secret_arn (write-only attributes are only sent when this changes)."
  type        = number
  default     = 1
}

variable "kms_key_arn" {
  description = "Customer-managed key for storage and Performance Insights."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "Customer-managed key for the RDS-managed master secret (used when master_secret_arn is null)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "Customer-managed key for the exported PostgreSQL log group."
  type        = string
}

# ---------------------------------------------------------------- drills
variable "fis_failover_template" {
  description = "Create an AWS FIS experiment template that fails the cluster over (aws:rds:failover-db-cluster), for drills."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- backups and logs
variable "backup_retention_days" {
  description = "Automated backup retention in days, 7-35."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be 7-35: at least a week of point-in-time recovery."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the exported log group (PCI DSS 10.5.1: at least 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch retention value of at least 365."
  }
}
