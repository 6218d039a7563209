# The README example of modules/redis, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "redis" {
  source                    = "../.."
  name_suffix               = "dev"
  vpc_id                    = "vpc-0f1e2d3c4b5a69788"
  subnet_ids                = ["subnet-0d4e5f60718293a41", "subnet-0e5f60718293a4b52", "subnet-0f60718293a4b5c63"]
  availability_zones        = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  client_security_group_ids = { app = "sg-0f1e2d3c4b5a69788" }
  kms_key_arn               = "arn:aws:kms:eu-west-1:123456789012:key/4f5cad4e-ae6a-4a87-9b4c-ad6b5a5c4e05"
  secrets_kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/2d3a8b2c-8c4e-4e65-9f2a-8b4f3e3a2c03"
  logs_kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/0b1e6f0a-6a2c-4c43-9d0e-6f2d1c1e0a01"
}
