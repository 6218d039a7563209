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
  description = "Purpose part of the cluster and load balancer names."
  type        = string
  default     = "transactions"

  validation {
    condition     = can(regex("^[a-z0-9]{2,16}$", var.purpose))
    error_message = "purpose must be 2-16 lowercase letters or digits (load balancer names are at most 32 characters)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- network
variable "vpc_id" {
  description = "VPC of the services."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (NLB ingress, data-tier egress)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one per availability zone; tasks and the NLB spread over them."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least 2 private subnets."
  }
}

variable "listener_port" {
  description = "NLB listener port the API Gateway VPC link calls."
  type        = number
  default     = 80
}

variable "blue_green" {
  description = "Deploy the service behind the NLB blue/green through CodeDeploy (workers keep ECS rolling deployments)."
  type        = bool
  default     = false
}

variable "test_listener_port" {
  description = "NLB port of the test listener that reaches the green task set before the switch."
  type        = number
  default     = 8443
}

variable "keep_blue_minutes" {
  description = "Minutes the old (blue) task set keeps running after a successful switch, so a rollback is a listener swap."
  type        = number
  default     = 15

  validation {
    condition     = var.keep_blue_minutes >= 5 && var.keep_blue_minutes <= 2880
    error_message = "keep_blue_minutes must be 5-2880: the old task set must outlive the first alarms."
  }
}

variable "rollback_alarm_names" {
  description = "More CloudWatch alarms (API 5XX, latency) that stop a deployment and roll it back."
  type        = list(string)
  default     = []
}

variable "alarm_topic_arn" {
  description = "SNS topic the deployment alarms notify."
  type        = string
  default     = null
}

variable "health_check_interval_seconds" {
  description = "Target health check interval (NLB: 10 or 30)."
  type        = number
  default     = 10

  validation {
    condition     = contains([10, 30], var.health_check_interval_seconds)
    error_message = "NLB health checks run every 10 or 30 seconds."
  }
}

variable "health_check_threshold" {
  description = "Consecutive checks to mark a target healthy or unhealthy (2-10)."
  type        = number
  default     = 2

  validation {
    condition     = var.health_check_threshold >= 2 && var.health_check_threshold <= 10
    error_message = "health_check_threshold must be 2-10."
  }
}

variable "deregistration_delay_seconds" {
  description = "Seconds a deregistered task keeps draining in-flight requests (0-300)."
  type        = number
  default     = 10

  validation {
    condition     = var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 300
    error_message = "deregistration_delay_seconds must be 0-300."
  }

  validation {
    condition     = var.deregistration_delay_seconds + var.health_check_threshold * var.health_check_interval_seconds <= 30
    error_message = "The switch budget is 30 s: deregistration delay + health-check threshold x interval must be <= 30 (modules/ecs/README.md)."
  }
}

# ---------------------------------------------------------------- services
variable "services" {
  description = <<-EOT
    Fargate services (map key = service name). container_port null = a worker
    with no load balancer. environment: plain values known at plan time.
    settings: values known only after apply (endpoints), delivered through SSM
    parameters. secrets: environment name -> Secrets Manager secret NAME.
  EOT
  type = map(object({
    image                        = string
    cpu                          = optional(number, 512)
    memory                       = optional(number, 1024)
    desired_count                = optional(number, 3)
    max_count                    = optional(number, 12)
    container_port               = optional(number)
    health_check_path            = optional(string, "/healthz")
    requests_per_task_per_minute = optional(number, 15000)
    environment                  = optional(map(string), {})
    settings                     = optional(map(string), {})
    secrets                      = optional(map(string), {})
  }))

  validation {
    condition     = alltrue([for v in values(var.services) : v.desired_count >= 2 && v.max_count >= v.desired_count])
    error_message = "Every service needs desired_count >= 2 (one task per AZ failure) and max_count >= desired_count."
  }

  validation {
    condition     = alltrue([for v in values(var.services) : alltrue([for s in values(v.secrets) : !startswith(s, "arn:")])])
    error_message = "services[*].secrets take secret names, not ARNs (container definitions must be known at plan time)."
  }

  validation {
    condition     = length([for v in values(var.services) : v if v.container_port != null]) <= 1
    error_message = "At most one service may sit behind the NLB listener."
  }
}

variable "task_policies" {
  description = "The task role's only policy (JSON) by service key; a service without one gets a role with no permissions."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.task_policies) : contains(keys(var.services), k)])
    error_message = "Every task_policies key must name a service."
  }
}

variable "api_request_metric" {
  description = "API Gateway ApiName and Stage whose request count drives the request-based scaling policy. Null disables it."
  type = object({
    api_name   = string
    stage_name = string
  })
  default = null
}

# ---------------------------------------------------------------- storage, secrets, logs
variable "efs_file_system_id" {
  description = "EFS file system mounted at /mnt/shared in every task."
  type        = string
}

variable "efs_access_point_id" {
  description = "EFS access point the tasks mount through (IAM authorization, TLS)."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "Customer-managed key of the injected secrets."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "Customer-managed key of the container log groups."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the container log groups (PCI DSS 10.5.1: at least 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch retention value of at least 365."
  }
}
