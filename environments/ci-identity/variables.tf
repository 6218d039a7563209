variable "environment_suffix" {
  description = "Suffix of every resource name ({resource-type}-{purpose}-{suffix}): 2-8 lowercase letters or digits."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{2,8}$", var.environment_suffix))
    error_message = "environment_suffix must be 2-8 lowercase letters or digits."
  }
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "stacks" {
  description = "Stacks the pipeline plans and drills, by region: the names of the secrets the plan reads and the drill connects with."
  type = map(object({
    secret_names = list(string)
  }))

  validation {
    condition     = length(var.stacks) >= 1 && alltrue([for r in keys(var.stacks) : can(regex("^[a-z]{2}-[a-z]+-[0-9]$", r))])
    error_message = "stacks must be keyed by AWS region names, e.g. us-west-2."
  }
}
