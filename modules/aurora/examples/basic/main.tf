# The README example of modules/aurora, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

# The master password is read from this EXISTING secret (seeded by the tests' embedded endpoint).
data "aws_secretsmanager_secret" "master" {
  name = "payments/aurora-master"
}

module "aurora" {
  source                    = "../.."
  name_suffix               = "dev"
  vpc_id                    = "vpc-0a1b2c3d4e5f60718"
  subnet_ids                = ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829", "subnet-0c3d4e5f607182930"]
  availability_zones        = ["us-west-2a", "us-west-2b", "us-west-2c"]
  client_security_group_ids = { app = "sg-0a1b2c3d4e5f60718" }
  master_secret_arn         = data.aws_secretsmanager_secret.master.arn
  kms_key_arn               = "arn:aws:kms:us-west-2:123456789012:key/1c2f7a1b-7b3d-4d54-8e1f-7a3e2d2f1b02"
  secrets_kms_key_arn       = "arn:aws:kms:us-west-2:123456789012:key/2d3a8b2c-8c4e-4e65-9f2a-8b4f3e3a2c03"
  logs_kms_key_arn          = "arn:aws:kms:us-west-2:123456789012:key/0b1e6f0a-6a2c-4c43-9d0e-6f2d1c1e0a01"
}
