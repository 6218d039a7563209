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
  description = "Tags added to every stream."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- pipeline
variable "stages" {
  description = "Pipeline stages, one stream each (kinesis-<stage>-<suffix>), in processing order."
  type        = list(string)
  default     = ["ingest", "enriched", "settled"]

  validation {
    condition     = length(var.stages) >= 1 && alltrue([for s in var.stages : can(regex("^[a-z0-9]{2,20}$", s))])
    error_message = "stages must be 1 or more names of 2-20 lowercase letters or digits."
  }
}

variable "peak_records_per_minute" {
  description = "Expected peak records per minute per stream; shard count is sized from it."
  type        = number
  default     = 100000
}

variable "capacity_headroom" {
  description = "Factor over the peak the shards must absorb. 1.2-5."
  type        = number
  default     = 2

  validation {
    condition     = var.capacity_headroom >= 1.2 && var.capacity_headroom <= 5
    error_message = "capacity_headroom must be 1.2-5."
  }
}

variable "retention_hours" {
  description = "Record retention in hours (24-8760); long enough to replay a day of failed processing."
  type        = number
  default     = 168

  validation {
    condition     = var.retention_hours >= 24 && var.retention_hours <= 8760
    error_message = "retention_hours must be 24-8760 (Kinesis limits)."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed key of the streams."
  type        = string
}
