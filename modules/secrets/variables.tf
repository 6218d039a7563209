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

# ---------------------------------------------------------------- secrets
variable "existing_secrets" {
  description = <<-EOT
    EXISTING secrets, looked up by name and never created (map key = purpose).
    rotation: "rds-postgresql" (this module's single-user PostgreSQL rotation function),
    "elasticache-auth" (this module's Redis AUTH rotation function) or null
    for a secret rotated by its owning service.
  EOT
  type = map(object({
    name     = string
    rotation = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for v in values(var.existing_secrets) : v.rotation == null || contains(["rds-postgresql", "elasticache-auth"], coalesce(v.rotation, "x"))])
    error_message = "rotation must be \"rds-postgresql\", \"elasticache-auth\" or null."
  }
}

variable "created_secrets" {
  description = <<-EOT
    Secrets this stack creates (map key = purpose; name secret-<purpose>-<suffix>).
    The value is template merged with a generated password under value_key.
  EOT
  type = map(object({
    description = string
    template    = optional(map(string), {})
    value_key   = optional(string, "password")
    rotation    = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for v in values(var.created_secrets) : v.rotation == null || contains(["rds-postgresql", "elasticache-auth"], coalesce(v.rotation, "x"))])
    error_message = "rotation must be \"rds-postgresql\", \"elasticache-auth\" or null."
  }
}

variable "other_rotated_secrets" {
  description = "Secrets created by other modules that this module rotates (map key = purpose): ARN and rotation kind."
  type = map(object({
    arn  = string
    kind = string
  }))
  default = {}

  validation {
    condition     = alltrue([for v in values(var.other_rotated_secrets) : contains(["rds-postgresql", "elasticache-auth"], v.kind)])
    error_message = "kind must be \"rds-postgresql\" or \"elasticache-auth\"."
  }
}

variable "rotation_days" {
  description = "Days between automatic rotations (PCI DSS 8.6.3; the stacks require at most 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.rotation_days >= 1 && var.rotation_days <= 30
    error_message = "rotation_days must be 1-30: credentials rotate at least every 30 days."
  }
}

# ---------------------------------------------------------------- network and keys
variable "vpc_id" {
  description = "VPC the rotation functions run in."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (the rotation functions reach PostgreSQL inside it)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the rotation functions."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "Customer-managed key of the secrets."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "Customer-managed key of the log groups."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the audit and function log groups (PCI DSS 10.5.1: at least 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch retention value of at least 365."
  }
}
