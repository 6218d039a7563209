# The README example of modules/secrets, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "secrets" {
  source      = "../.."
  name_suffix = "dev"
  existing_secrets = {
    aurora_master = { name = "payments/aurora-master", rotation = "rds-postgresql" }
  }
  vpc_id           = "vpc-0a1b2c3d4e5f60718"
  vpc_cidr_block   = "10.20.0.0/16"
  subnet_ids       = ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829", "subnet-0c3d4e5f607182930"]
  kms_key_arn      = "arn:aws:kms:us-west-2:123456789012:key/2d3a8b2c-8c4e-4e65-9f2a-8b4f3e3a2c03"
  logs_kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/0b1e6f0a-6a2c-4c43-9d0e-6f2d1c1e0a01"
}
