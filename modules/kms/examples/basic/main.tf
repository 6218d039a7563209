# The README example of modules/kms, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "kms" {
  source      = "../.."
  name_suffix = "dev"
  keys = {
    aurora = { description = "Aurora storage", via_services = ["rds"] }
    logs   = { description = "CloudWatch Logs", service_principals = ["logs.REGION.amazonaws.com"] }
  }
}
