# Fixture root for modules/secrets: literal inputs, its VPC, subnets and keys created here, the provider pointed at the
# embedded endpoint. The created secret is seeded write-only by the module; the Redis-kind secret made here holds a fake token.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = "us-west-2"

  default_tags {
    tags = { Project = "tapguard", Stack = "tf-module-secrets" }
  }
}

resource "aws_vpc" "fixture" {
  cidr_block = "10.54.0.0/16"
}

resource "aws_subnet" "fixture" {
  count = 2

  vpc_id            = aws_vpc.fixture.id
  cidr_block        = cidrsubnet(aws_vpc.fixture.cidr_block, 8, count.index)
  availability_zone = ["us-west-2a", "us-west-2b"][count.index]
}

resource "aws_kms_key" "fixture" {
  for_each = toset(["secrets", "logs"])

  description             = "module test: ${each.key} key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

resource "aws_secretsmanager_secret" "redis" {
  name                    = "secret-fixtureredis-tfmod"
  kms_key_id              = aws_kms_key.fixture["secrets"].arn
  recovery_window_in_days = 0
}

# Rotation needs a current value (moto answers 500 to RotateSecret on a secret without one): an obviously fake token.
resource "aws_secretsmanager_secret_version" "redis" {
  secret_id     = aws_secretsmanager_secret.redis.id
  secret_string = jsonencode({ token = "FAKE-tfmod-auth-token-not-a-secret-0000" })
}

module "secrets" {
  source = "../../../modules/secrets"

  name_suffix = "tfmod"
  created_secrets = {
    ledgerdb = { description = "module test: database login", template = { username = "fixture_user" }, rotation = "rds-postgresql" }
  }
  other_rotated_secrets = {
    sessions = { arn = aws_secretsmanager_secret_version.redis.arn, kind = "elasticache-auth" }
  }
  vpc_id           = aws_vpc.fixture.id
  vpc_cidr_block   = aws_vpc.fixture.cidr_block
  subnet_ids       = aws_subnet.fixture[*].id
  kms_key_arn      = aws_kms_key.fixture["secrets"].arn
  logs_kms_key_arn = aws_kms_key.fixture["logs"].arn
  tags             = { Owner = "module-test" }
}

data "aws_secretsmanager_secret" "deployed" {
  for_each = toset(["ledgerdb", "sessions"])

  arn = module.secrets.secret_arns[each.key]

  depends_on = [module.secrets]
}

data "aws_secretsmanager_secret_rotation" "deployed" {
  for_each = toset(["ledgerdb", "sessions"])

  secret_id = module.secrets.secret_arns[each.key]

  depends_on = [module.secrets]
}

data "aws_lambda_function" "rotator" {
  for_each = toset(["pgrotation", "redisrotation"])

  function_name = "lambda-${each.key}-tfmod"

  depends_on = [module.secrets]
}

output "secret_arns" {
  value = module.secrets.secret_arns
}

output "secrets" {
  value = { for k, s in data.aws_secretsmanager_secret.deployed : k => { name = s.name, kms_key_id = s.kms_key_id, tags = s.tags } }
}

output "rotations" {
  value = { for k, r in data.aws_secretsmanager_secret_rotation.deployed : k => { enabled = r.rotation_enabled, lambda = r.rotation_lambda_arn, rules = r.rotation_rules } }
}

output "rotators" {
  value = { for k, f in data.aws_lambda_function.rotator : k => { arn = f.arn, role = f.role, kms_key_arn = f.kms_key_arn, runtime = f.runtime, vpc_subnets = f.vpc_config[0].subnet_ids, tracing = f.tracing_config[0].mode } }
}

output "rotation_security_group_id" {
  value = module.secrets.rotation_security_group_id
}

output "subnet_ids" {
  value = aws_subnet.fixture[*].id
}

output "key_arns" {
  value = { for k, v in aws_kms_key.fixture : k => v.arn }
}
