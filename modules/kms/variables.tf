# ---------------------------------------------------------------- naming
variable "name_suffix" {
  description = "Suffix appended to every name: kms-<domain>-<suffix>. Lowercase letters and digits, 2-12 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{2,12}$", var.name_suffix))
    error_message = "name_suffix must be 2-12 lowercase letters or digits."
  }
}

variable "tags" {
  description = "Tags added to every key."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- keys
variable "keys" {
  description = <<-EOT
    One customer-managed key per data domain (map key = domain, e.g. "aurora").
    via_services: AWS services (e.g. "rds") allowed to use the key on behalf of
    principals of this account (kms:ViaService). service_principals: service
    principals allowed to use the key directly; "REGION" is replaced with the
    key's region (e.g. "logs.REGION.amazonaws.com").
  EOT
  type = map(object({
    description        = string
    via_services       = optional(list(string), [])
    service_principals = optional(list(string), [])
  }))

  validation {
    condition     = alltrue([for k in keys(var.keys) : can(regex("^[a-z0-9]{2,20}$", k))])
    error_message = "Key domains must be 2-20 lowercase letters or digits."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic rotation period in days (PCI DSS 3.7.4 cryptoperiod). 90-365."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 365
    error_message = "rotation_period_in_days must be 90-365: KMS accepts 90-2560 and the cryptoperiod is at most a year."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a destroyed key is deleted. 7 keeps the stack destroyable quickly."
  type        = number
  default     = 7

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be 7-30 (KMS limit)."
  }
}
