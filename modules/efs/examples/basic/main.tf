# The README example of modules/efs, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "efs" {
  source                    = "../.."
  name_suffix               = "dev"
  vpc_id                    = "vpc-0a1b2c3d4e5f60718"
  subnet_ids                = ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829", "subnet-0c3d4e5f607182930"]
  client_security_group_ids = { app = "sg-0a1b2c3d4e5f60718" }
  client_role_arns          = ["arn:aws:iam::123456789012:role/ecs-task-api-dev"]
  kms_key_arn               = "arn:aws:kms:us-west-2:123456789012:key/3e4b9c3d-9d5f-4f76-8a3b-9c5a4f4b3d04"
}
