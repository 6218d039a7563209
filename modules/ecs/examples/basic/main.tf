# The README example of modules/ecs, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "ecs" {
  source         = "../.."
  name_suffix    = "dev"
  vpc_id         = "vpc-0f1e2d3c4b5a69788"
  vpc_cidr_block = "10.30.0.0/16"
  subnet_ids     = ["subnet-0d4e5f60718293a41", "subnet-0e5f60718293a4b52", "subnet-0f60718293a4b5c63"]
  services = {
    api = { image = "public.ecr.aws/docker/library/nginx:1.27-alpine", container_port = 8080 }
  }
  blue_green          = true
  efs_file_system_id  = "fs-0a1b2c3d4e5f60718"
  efs_access_point_id = "fsap-0a1b2c3d4e5f60718"
  secrets_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/2d3a8b2c-8c4e-4e65-9f2a-8b4f3e3a2c03"
  logs_kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/0b1e6f0a-6a2c-4c43-9d0e-6f2d1c1e0a01"
}
