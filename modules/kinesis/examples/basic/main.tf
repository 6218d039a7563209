# The README example of modules/kinesis, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "kinesis" {
  source      = "../.."
  name_suffix = "dev"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/5a6dbe5f-bf7b-4b98-8c5d-be7c6b6d5f06"
}
