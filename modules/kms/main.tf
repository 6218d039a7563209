data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  region       = data.aws_region.current.name
}

# One key per data domain keeps a compromised grant or a bad policy edit from
# exposing every store at once (PCI DSS 3.6.1: fewest custodians per key).
data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_111:In a key policy Resource "*" means this key only
  #checkov:skip=CKV_AWS_356:In a key policy Resource "*" means this key only
  #checkov:skip=CKV_AWS_109:Key administration stays with the account root, as AWS requires to avoid unmanageable keys
  for_each = var.keys

  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.via_services) > 0 ? [1] : []
    content {
      sid = "UseThroughDataServices"
      actions = [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:CreateGrant",
        "kms:DescribeKey",
      ]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = [local.account_root]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [for s in each.value.via_services : "${s}.${local.region}.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = length(each.value.service_principals) > 0 ? [1] : []
    content {
      sid = "UseByServicePrincipals"
      actions = [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
      ]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = [for s in each.value.service_principals : replace(s, "REGION", local.region)]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = var.keys

  description             = "kms-${each.key}-${var.name_suffix}: ${each.value.description}"
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this[each.key].json

  tags = merge(var.tags, { Name = "kms-${each.key}-${var.name_suffix}", DataDomain = each.key })
}

resource "aws_kms_alias" "this" {
  for_each = var.keys

  name          = "alias/kms-${each.key}-${var.name_suffix}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
