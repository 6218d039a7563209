# The README example of modules/observability, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "observability" {
  source             = "../.."
  name_suffix        = "dev"
  aurora             = { cluster_id = "aurora-transactions-dev" }
  alerts_kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/6b7ecf6a-ca8c-4ca9-9d6e-cf8d7c7e6a07"
  logs_kms_key_arn   = "arn:aws:kms:us-west-2:123456789012:key/0b1e6f0a-6a2c-4c43-9d0e-6f2d1c1e0a01"
}
