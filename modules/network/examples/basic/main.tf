# The README example of modules/network, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "network" {
  source             = "../.."
  name_suffix        = "dev"
  cidr_block         = "10.30.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  logs_kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/0b1e6f0a-6a2c-4c43-9d0e-6f2d1c1e0a01"
}
