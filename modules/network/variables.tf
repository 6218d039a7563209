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
  description = "Purpose part of the VPC name (vpc-<purpose>-<suffix>)."
  type        = string
  default     = "cde"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- VPC and subnets
variable "cidr_block" {
  description = "IPv4 CIDR of the VPC, /16 to /20. Public subnets take the first /4 slices, private the slices from 8."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) <= 20 && tonumber(split("/", var.cidr_block)[1]) >= 16
    error_message = "cidr_block must be a valid IPv4 CIDR from /16 to /20."
  }
}

variable "availability_zones" {
  description = "Availability zones to span; one public subnet, one private subnet and one NAT gateway each. 2-8 distinct zones."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 8 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list 2-8 distinct zones: a single-AZ network cannot fail over."
  }
}

# ---------------------------------------------------------------- flow logs
variable "logs_kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the flow-log group."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the flow-log group in days (PCI DSS 10.5.1: at least 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch retention value of at least 365 (365, 400, 545, 731, 1096, ...)."
  }
}
