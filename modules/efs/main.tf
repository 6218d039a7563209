resource "aws_efs_file_system" "this" {
  creation_token   = "efs-${var.purpose}-${var.name_suffix}"
  encrypted        = true
  kms_key_id       = var.kms_key_arn
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }

  tags = merge(var.tags, { Name = "efs-${var.purpose}-${var.name_suffix}" })
}

resource "aws_efs_backup_policy" "this" {
  file_system_id = aws_efs_file_system.this.id

  backup_policy {
    status = "ENABLED"
  }
}

resource "aws_security_group" "this" {
  name        = "secgrp-efs-${var.name_suffix}"
  description = "EFS ${var.purpose}: NFS from the application tier only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "secgrp-efs-${var.name_suffix}" })
}

resource "aws_vpc_security_group_ingress_rule" "nfs" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "NFS from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = each.value
}

resource "aws_efs_mount_target" "this" {
  for_each = { for i, s in var.subnet_ids : tostring(i) => s }

  file_system_id  = aws_efs_file_system.this.id
  subnet_id       = each.value
  security_groups = [aws_security_group.this.id]
}

resource "aws_efs_access_point" "this" {
  file_system_id = aws_efs_file_system.this.id

  posix_user {
    uid = var.posix_uid
    gid = var.posix_uid
  }

  root_directory {
    path = "/${var.purpose}"
    creation_info {
      owner_uid   = var.posix_uid
      owner_gid   = var.posix_uid
      permissions = "0750"
    }
  }

  tags = merge(var.tags, { Name = "efsap-${var.purpose}-${var.name_suffix}" })
}

# Deny every request that is not over TLS (PCI DSS 4.2.1) and allow mounts only
# through the access point by the roles that need them.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["*"]
    resources = [aws_efs_file_system.this.arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = length(var.client_role_arns) > 0 ? [1] : []
    content {
      sid       = "MountThroughAccessPoint"
      actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
      resources = [aws_efs_file_system.this.arn]
      principals {
        type        = "AWS"
        identifiers = var.client_role_arns
      }
      condition {
        test     = "StringEquals"
        variable = "elasticfilesystem:AccessPointArn"
        values   = [aws_efs_access_point.this.arn]
      }
    }
  }
}

resource "aws_efs_file_system_policy" "this" {
  file_system_id = aws_efs_file_system.this.id
  policy         = data.aws_iam_policy_document.this.json
}
