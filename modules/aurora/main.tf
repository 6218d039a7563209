# The region goes into account-wide names (IAM roles): two stacks of one account in different regions never collide.
data "aws_region" "current" {}

locals {
  cluster_identifier  = "aurora-${var.purpose}-${var.name_suffix}"
  use_existing_secret = var.master_secret_arn != null
}

# The master password is read as an ephemeral value and passed write-only, so it
# never lands in the plan or the state (PCI DSS 8.6.2, 8.3.2).
ephemeral "aws_secretsmanager_secret_version" "master" {
  count = local.use_existing_secret ? 1 : 0

  secret_id = var.master_secret_arn
}

resource "aws_db_subnet_group" "this" {
  name       = "dbsubnet-${var.purpose}-${var.name_suffix}"
  subnet_ids = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "this" {
  name        = "secgrp-aurora-${var.name_suffix}"
  description = "Aurora ${var.purpose}: PostgreSQL from the application tier only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "secgrp-aurora-${var.name_suffix}" })
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
}

resource "aws_rds_cluster_parameter_group" "this" {
  name        = "clusterparams-${var.purpose}-${var.name_suffix}"
  family      = "aurora-postgresql${split(".", var.engine_version)[0]}"
  description = "TLS-only connections and statement logging for ${local.cluster_identifier}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "ssl_min_protocol_version"
    value = "TLSv1.2"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  tags = var.tags
}

# Created before the cluster so the exported log group has our retention and key.
resource "aws_cloudwatch_log_group" "postgresql" {
  name              = "/aws/rds/cluster/${local.cluster_identifier}/postgresql"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

resource "aws_rds_cluster" "this" {
  cluster_identifier              = local.cluster_identifier
  engine                          = "aurora-postgresql"
  engine_version                  = var.engine_version
  database_name                   = var.database_name
  master_username                 = var.master_username
  master_password_wo              = local.use_existing_secret ? jsondecode(ephemeral.aws_secretsmanager_secret_version.master[0].secret_string)["password"] : null
  master_password_wo_version      = local.use_existing_secret ? var.master_password_version : null
  manage_master_user_password     = local.use_existing_secret ? null : true
  master_user_secret_kms_key_id   = local.use_existing_secret ? null : var.secrets_kms_key_arn
  db_subnet_group_name            = aws_db_subnet_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this.name
  port                            = 5432

  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql"]

  backup_retention_period      = var.backup_retention_days
  preferred_backup_window      = "03:00-04:00"
  preferred_maintenance_window = "sun:05:00-sun:06:00"
  copy_tags_to_snapshot        = true

  # Destroyable by design (seed requirement). The checkov skip is the documented
  # trade-off; production accounts add deletion protection out of band.
  #checkov:skip=CKV_AWS_139:The stacks must be fully destroyable (seed requirement)
  #checkov:skip=CKV2_AWS_8:Continuous backups (point-in-time recovery, 7+ days) are the recovery path; an AWS Backup vault would block destroy
  deletion_protection = false
  skip_final_snapshot = true

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.postgresql]
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "role-rdsmonitoring-${var.purpose}-${data.aws_region.current.name}-${var.name_suffix}"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# Writer + readers spread over distinct AZs; promotion tiers make the failover
# target deterministic (tier 0 first).
resource "aws_rds_cluster_instance" "this" {
  count = var.instance_count

  identifier                      = "aurora-${var.purpose}-${count.index + 1}-${var.name_suffix}"
  cluster_identifier              = aws_rds_cluster.this.id
  engine                          = aws_rds_cluster.this.engine
  engine_version                  = aws_rds_cluster.this.engine_version
  instance_class                  = var.instance_class
  availability_zone               = var.availability_zones[count.index % length(var.availability_zones)]
  promotion_tier                  = count.index
  publicly_accessible             = false
  auto_minor_version_upgrade      = true
  db_subnet_group_name            = aws_db_subnet_group.this.name
  performance_insights_enabled    = true
  performance_insights_kms_key_id = var.kms_key_arn
  monitoring_interval             = 15
  monitoring_role_arn             = aws_iam_role.monitoring.arn

  tags = var.tags
}
