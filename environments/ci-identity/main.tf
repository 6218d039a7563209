# The pipeline's identity: GitHub's OIDC provider, a read-only plan role per stack and one
# drill role that can fail over only resources tagged tapguard:drill=allowed.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  issuer    = "token.actions.githubusercontent.com"
  repo      = "repo:${var.github_repository}"
  secret_arns = distinct(flatten([
    for region, stack in var.stacks : [for name in stack.secret_names : "arn:${local.partition}:secretsmanager:${region}:${local.account}:secret:${name}-??????"]
  ]))
}

resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]

  tags = { Name = "oidc-github-${var.environment_suffix}" }
}

# ---------------------------------------------------------------- who may assume which role
# Plan roles: pull requests and main. The drill role: only jobs in a GitHub environment
# drill-<region>, which carries the required reviewers.
locals {
  trusted_subjects = merge(
    { for region in keys(var.stacks) : "plan-${region}" => ["${local.repo}:pull_request", "${local.repo}:ref:refs/heads/main"] },
    { drill = [for region in keys(var.stacks) : "${local.repo}:environment:drill-${region}"] },
  )
}

data "aws_iam_policy_document" "trust" {
  for_each = local.trusted_subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = each.value
    }
  }
}

# ---------------------------------------------------------------- plan roles: read-only, one per stack
resource "aws_iam_role" "plan" {
  for_each = var.stacks

  name                 = "role-planreader-${each.key}-${var.environment_suffix}"
  description          = "Plans ${each.key} from pull requests and nightly runs: reads, never writes"
  assume_role_policy   = data.aws_iam_policy_document.trust["plan-${each.key}"].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "plan" {
  #checkov:skip=CKV_AWS_356:Resource "*" only for Describe*/List* metadata reads, which IAM does not scope to resources
  for_each = var.stacks

  statement {
    sid = "DescribeAndListMetadata"
    actions = [
      "ec2:Describe*", "rds:Describe*", "rds:ListTagsForResource", "elasticache:Describe*", "elasticache:ListTagsForResource",
      "elasticfilesystem:Describe*", "ecs:Describe*", "ecs:List*", "elasticloadbalancing:Describe*", "kinesis:Describe*",
      "kinesis:ListTagsForStream", "kinesis:ListShards", "logs:Describe*", "logs:ListTagsForResource", "cloudwatch:Describe*",
      "cloudwatch:ListTagsForResource", "events:Describe*", "events:ListTargetsByRule", "events:ListTagsForResource",
      "cloudtrail:Describe*", "cloudtrail:ListTags", "secretsmanager:DescribeSecret", "secretsmanager:ListSecrets",
      "ssm:DescribeParameters", "kms:ListAliases", "application-autoscaling:Describe*", "cloudformation:Describe*",
      "wafv2:ListResourcesForWebACL", "wafv2:ListTagsForResource", "sns:ListTagsForResource", "lambda:ListTags",
      "lambda:ListVersionsByFunction",
    ]
    resources = ["*"]
  }

  statement {
    sid = "ReadConfigurationOfThisAccount"
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "iam:GetRole", "iam:GetRolePolicy",
      "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion",
      "secretsmanager:GetResourcePolicy", "ssm:GetParameter", "ssm:ListTagsForResource", "sns:GetTopicAttributes", "sns:GetSubscriptionAttributes",
      "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket",
      "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetPolicy", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
      "cloudtrail:GetTrail", "wafv2:GetWebACL", "wafv2:GetLoggingConfiguration", "wafv2:GetWebACLForResource", "apigateway:GET",
      "logs:GetResourcePolicy", "serverlessrepo:GetApplication", "serverlessrepo:GetCloudFormationTemplate",
    ]
    resources = [
      "arn:${local.partition}:kms:${each.key}:${local.account}:key/*",
      "arn:${local.partition}:iam::${local.account}:role/*",
      "arn:${local.partition}:iam::${local.account}:policy/*",
      "arn:${local.partition}:iam::${local.account}:oidc-provider/*",
      "arn:${local.partition}:secretsmanager:${each.key}:${local.account}:secret:*",
      "arn:${local.partition}:ssm:${each.key}:${local.account}:parameter/*",
      "arn:${local.partition}:sns:${each.key}:${local.account}:*",
      "arn:${local.partition}:s3:::s3-cloudtrail-${local.account}-*",
      "arn:${local.partition}:lambda:${each.key}:${local.account}:function:*",
      "arn:${local.partition}:cloudtrail:${each.key}:${local.account}:trail/*",
      "arn:${local.partition}:wafv2:${each.key}:${local.account}:regional/*",
      "arn:${local.partition}:apigateway:${each.key}::/*",
      "arn:${local.partition}:logs:${each.key}:${local.account}:*",
      "arn:${local.partition}:serverlessrepo:us-east-1:297356227824:applications/*",
    ]
  }

  statement {
    sid       = "ReadTheExistingSecretsThePlanNeeds"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for name in each.value.secret_names : "arn:${local.partition}:secretsmanager:${each.key}:${local.account}:secret:${name}-??????"]
  }

  statement {
    sid       = "DecryptThemThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = ["arn:${local.partition}:kms:${each.key}:${local.account}:key/*"]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${each.key}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "plan" {
  for_each = var.stacks

  name   = "policy-planreader-${each.key}-${var.environment_suffix}"
  role   = aws_iam_role.plan[each.key].id
  policy = data.aws_iam_policy_document.plan[each.key].json
}

# ---------------------------------------------------------------- drill role: fail over allow-tagged resources only
resource "aws_iam_role" "drill" {
  name                 = "role-drill-${var.environment_suffix}"
  description          = "Scheduled failover drills: fails over resources tagged tapguard:drill=allowed, nothing else"
  assume_role_policy   = data.aws_iam_policy_document.trust["drill"].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "drill" {
  #checkov:skip=CKV_AWS_356:Resource "*" only for Describe*/List* of the drill targets, which IAM does not scope to resources
  statement {
    sid = "ObserveTheTargets"
    actions = [
      "rds:DescribeDBClusters", "rds:DescribeDBInstances", "rds:DescribeEvents", "rds:ListTagsForResource",
      "elasticache:DescribeReplicationGroups", "elasticache:DescribeEvents", "elasticache:ListTagsForResource",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "FailOverAllowTaggedAuroraClusters"
    actions   = ["rds:FailoverDBCluster"]
    resources = ["arn:${local.partition}:rds:*:${local.account}:cluster:*", "arn:${local.partition}:rds:*:${local.account}:db:*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/tapguard:drill"
      values   = ["allowed"]
    }
  }

  statement {
    sid       = "TestFailoverAllowTaggedReplicationGroups"
    actions   = ["elasticache:TestFailover"]
    resources = ["arn:${local.partition}:elasticache:*:${local.account}:replicationgroup:*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/tapguard:drill"
      values   = ["allowed"]
    }
  }

  statement {
    sid       = "StartAllowTaggedFisExperiments"
    actions   = ["fis:StartExperiment", "fis:GetExperiment", "fis:TagResource"]
    resources = ["arn:${local.partition}:fis:*:${local.account}:experiment-template/*", "arn:${local.partition}:fis:*:${local.account}:experiment/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/tapguard:drill"
      values   = ["allowed"]
    }
  }

  statement {
    sid       = "ReadTheProbeCredentials"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = local.secret_arns
  }

  statement {
    sid       = "DecryptThemThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = ["arn:${local.partition}:kms:*:${local.account}:key/*"]
    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["secretsmanager.*.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "drill" {
  name   = "policy-drill-${var.environment_suffix}"
  role   = aws_iam_role.drill.id
  policy = data.aws_iam_policy_document.drill.json
}
