# The README example of modules/api, planned by tests/planning/test_module_examples.py.
# Inputs are literal: in a stack they come from other modules' outputs (see environments/).

module "api" {
  source               = "../.."
  name_suffix          = "dev"
  backend_nlb_arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/nlb-api-dev/50dc6c495c0c9188"
  backend_nlb_dns_name = "nlb-api-dev-50dc6c495c0c9188.elb.eu-west-1.amazonaws.com"
  logs_kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/0b1e6f0a-6a2c-4c43-9d0e-6f2d1c1e0a01"
}
