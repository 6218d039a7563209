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
  for_each = var.stacks

  # IAM accepts only "*" for these reads (policy_sentry: no resource type), so listing them one by one is the bound.
  statement {
    sid = "DescribeAndListAccountMetadata"
    actions = [
      "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeRouteTables",
      "ec2:DescribeNatGateways", "ec2:DescribeInternetGateways", "ec2:DescribeVpcEndpoints", "ec2:DescribeNetworkAcls",
      "ec2:DescribeNetworkInterfaces", "ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute", "ec2:DescribeFlowLogs",
      "ec2:DescribeAvailabilityZones", "ec2:DescribePrefixLists", "ec2:DescribeManagedPrefixLists", "ec2:DescribeTags",
      "ec2:DescribeAccountAttributes", "rds:DescribeDBEngineVersions", "rds:DescribeOrderableDBInstanceOptions",
      "elasticache:DescribeCacheEngineVersions", "ecs:DescribeTaskDefinition", "ecs:ListClusters", "elasticloadbalancing:Describe*",
      "application-autoscaling:Describe*", "kinesis:DescribeLimits", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
      "cloudwatch:DescribeAlarmsForMetric", "cloudtrail:DescribeTrails", "secretsmanager:ListSecrets", "ssm:DescribeParameters",
      "kms:ListAliases", "secretsmanager:GetRandomPassword",
    ]
    resources = ["*"]
  }

  # The wildcards grant here only the actions IAM can scope, and only on this account's resources in this stack's region;
  # their unscopable members are not granted unless the statement above names them. The ARNs are literal, not a `for`
  # expression, so that checkov can still evaluate this document in HCL scope.
  statement {
    sid = "DescribeAndListThisAccountsResources"
    actions = [
      "ec2:Describe*", "rds:Describe*", "rds:ListTagsForResource", "elasticache:Describe*", "elasticache:ListTagsForResource",
      "elasticfilesystem:Describe*", "ecs:Describe*", "ecs:List*", "kinesis:Describe*", "kinesis:ListTagsForStream", "kinesis:ListShards",
      "logs:Describe*", "logs:ListTagsForResource", "cloudwatch:Describe*", "cloudwatch:ListTagsForResource", "events:Describe*",
      "events:ListTargetsByRule", "events:ListTagsForResource", "cloudtrail:Describe*", "cloudtrail:ListTags", "secretsmanager:DescribeSecret",
      "cloudformation:Describe*", "wafv2:ListResourcesForWebACL", "wafv2:ListTagsForResource", "sns:ListTagsForResource", "lambda:ListTags",
      "lambda:ListVersionsByFunction",
    ]
    resources = [
      "arn:${local.partition}:ec2:${each.key}:${local.account}:*",
      "arn:${local.partition}:rds:${each.key}:${local.account}:*",
      "arn:${local.partition}:elasticache:${each.key}:${local.account}:*",
      "arn:${local.partition}:elasticfilesystem:${each.key}:${local.account}:*",
      "arn:${local.partition}:ecs:${each.key}:${local.account}:*",
      "arn:${local.partition}:kinesis:${each.key}:${local.account}:*",
      "arn:${local.partition}:logs:${each.key}:${local.account}:*",
      "arn:${local.partition}:cloudwatch:${each.key}:${local.account}:*",
      "arn:${local.partition}:events:${each.key}:${local.account}:*",
      "arn:${local.partition}:cloudtrail:${each.key}:${local.account}:*",
      "arn:${local.partition}:secretsmanager:${each.key}:${local.account}:*",
      "arn:${local.partition}:cloudformation:${each.key}:${local.account}:*",
      "arn:${local.partition}:lambda:${each.key}:${local.account}:*",
      "arn:${local.partition}:sns:${each.key}:${local.account}:*",
      "arn:${local.partition}:wafv2:${each.key}:${local.account}:*",
    ]
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
      # what a real plan of the stacks also reads (aws_codedeploy_*, aws_fis_experiment_template, trail insights, bucket acceleration)
      "s3:GetAccelerateConfiguration", "cloudtrail:GetInsightSelectors", "codedeploy:GetApplication", "codedeploy:GetDeploymentGroup",
      "codedeploy:ListTagsForResource", "fis:GetExperimentTemplate", "fis:ListTagsForResource",
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
      "arn:${local.partition}:codedeploy:${each.key}:${local.account}:application:*",
      "arn:${local.partition}:codedeploy:${each.key}:${local.account}:deploymentgroup:*",
      "arn:${local.partition}:fis:${each.key}:${local.account}:experiment-template/*",
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
  # The event streams have no resource type in IAM: "*" is the only resource it accepts for them.
  statement {
    sid       = "ObserveEvents"
    actions   = ["rds:DescribeEvents", "elasticache:DescribeEvents"]
    resources = ["*"]
  }

  statement {
    sid = "ObserveTheTargets"
    actions = [
      "rds:DescribeDBClusters", "rds:DescribeDBInstances", "rds:ListTagsForResource", "elasticache:DescribeReplicationGroups",
      "elasticache:ListTagsForResource",
    ]
    resources = [
      "arn:${local.partition}:rds:*:${local.account}:cluster:*", "arn:${local.partition}:rds:*:${local.account}:db:*",
      "arn:${local.partition}:elasticache:*:${local.account}:replicationgroup:*",
      "arn:${local.partition}:elasticache:*:${local.account}:cluster:*",
    ]
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
