# An AWS FIS experiment that fails the cluster over (aws:rds:failover-db-cluster): what
# `tapguard drill --target aws --fis-template <id>` starts instead of calling
# FailoverDBCluster itself, with FIS's own audit log. Tagged so only the drill role may start it.

resource "aws_cloudwatch_log_group" "fis" {
  count = var.fis_failover_template ? 1 : 0

  name              = "logs-fisaurora-${var.purpose}-${var.name_suffix}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "fis_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["fis.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fis" {
  count = var.fis_failover_template ? 1 : 0

  name               = "role-fisaurora-${var.purpose}-${data.aws_region.current.name}-${var.name_suffix}"
  assume_role_policy = data.aws_iam_policy_document.fis_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "fis" {
  #checkov:skip=CKV_AWS_356:Resource "*" only for DescribeDBClusters and CloudWatch Logs delivery actions, which IAM does not scope to resources
  count = var.fis_failover_template ? 1 : 0

  statement {
    sid       = "FailOverThisClusterOnly"
    actions   = ["rds:FailoverDBCluster"]
    resources = [aws_rds_cluster.this.arn]
  }
  statement {
    sid       = "SeeTheCluster"
    actions   = ["rds:DescribeDBClusters"]
    resources = ["*"]
  }
  statement {
    sid       = "WriteTheExperimentLog"
    actions   = ["logs:CreateLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:PutResourcePolicy"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "fis" {
  count = var.fis_failover_template ? 1 : 0

  name   = "policy-fisaurora-${var.purpose}-${var.name_suffix}"
  role   = aws_iam_role.fis[0].id
  policy = data.aws_iam_policy_document.fis[0].json
}

resource "aws_fis_experiment_template" "failover" {
  count = var.fis_failover_template ? 1 : 0

  description = "Fail ${local.cluster_identifier} over to a replica (tapguard drill)"
  role_arn    = aws_iam_role.fis[0].arn

  action {
    name      = "failover"
    action_id = "aws:rds:failover-db-cluster"

    target {
      key   = "Clusters"
      value = "cluster"
    }
  }

  target {
    name           = "cluster"
    resource_type  = "aws:rds:cluster"
    resource_arns  = [aws_rds_cluster.this.arn]
    selection_mode = "ALL"
  }

  stop_condition {
    source = "none"
  }

  log_configuration {
    log_schema_version = 2

    cloudwatch_logs_configuration {
      log_group_arn = "${aws_cloudwatch_log_group.fis[0].arn}:*"
    }
  }

  tags = merge(var.tags, { Name = "fis-aurorafailover-${var.purpose}-${var.name_suffix}", "tapguard:drill" = "allowed" })
}
