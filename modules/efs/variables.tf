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
  description = "Purpose part of names (efs-<purpose>-<suffix>) and the access point's root directory."
  type        = string
  default     = "shared"

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
  description = "VPC of the mount targets."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one mount target each; one per availability zone (at least 2)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least 2 subnets so the file system stays reachable when an AZ fails."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to mount on 2049, by name of the client tier."
  type        = map(string)
}

variable "client_role_arns" {
  description = "IAM roles allowed to mount and write through the access point (e.g. ECS task roles)."
  type        = list(string)
  default     = []
}

# ---------------------------------------------------------------- storage
variable "kms_key_arn" {
  description = "Customer-managed key for encryption at rest."
  type        = string
}

variable "posix_uid" {
  description = "POSIX uid/gid the access point maps every client to (non-root)."
  type        = number
  default     = 1000

  validation {
    condition     = var.posix_uid > 0
    error_message = "posix_uid must not be 0: clients never act as root on the share."
  }
}
