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
  default     = "10.30.0.0/16"
}

variable "container_images" {
  description = "Image of each pipeline service: api (receives transactions), processor (ingest -> enriched), settler (enriched -> settled + Aurora)."
  type = object({
    api       = string
    processor = string
    settler   = string
  })
  default = {
    api       = "public.ecr.aws/docker/library/nginx:1.27-alpine"
    processor = "public.ecr.aws/docker/library/busybox:1.37"
    settler   = "public.ecr.aws/docker/library/busybox:1.37"
  }
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
