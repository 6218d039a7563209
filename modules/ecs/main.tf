data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region    = data.aws_region.current.name
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  exposed   = { for k, v in var.services : k => v if v.container_port != null }

  # Container definitions must be known at plan time so their security settings can
  # be proven before apply: values only known after apply (endpoints) travel through
  # SSM parameters, secrets are referenced by name (a partial ARN ECS resolves).
  settings = merge([for svc, v in var.services : { for k, val in v.settings : "${svc}/${k}" => { service = svc, key = k, value = val } }]...)
  secret_arn = {
    for svc, v in var.services : svc => {
      for k, name in v.secrets : k => "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:${name}"
    }
  }
}

resource "aws_ssm_parameter" "settings" {
  for_each = local.settings

  name        = "/${var.purpose}/${var.name_suffix}/${each.key}"
  description = "Setting ${each.value.key} of service ${each.value.service} (not secret)"
  type        = "SecureString"
  key_id      = var.secrets_kms_key_arn
  value       = each.value.value

  tags = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = "ecs-${var.purpose}-${var.name_suffix}"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.services

  name              = "logs-ecs-${each.key}-${var.name_suffix}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

# ---------------------------------------------------------------- roles: execution (pull, logs, secrets) and task (the app)
data "aws_iam_policy_document" "tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  for_each = var.services

  name               = "role-ecsexec-${each.key}-${local.region}-${var.name_suffix}"
  assume_role_policy = data.aws_iam_policy_document.tasks_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  for_each = var.services

  role       = aws_iam_role.execution[each.key].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  for_each = var.services

  dynamic "statement" {
    for_each = length(each.value.secrets) > 0 ? [1] : []
    content {
      sid       = "ReadOnlyTheInjectedSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [for name in values(each.value.secrets) : "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:${name}-??????"]
    }
  }
  statement {
    sid       = "ReadOnlyTheServiceSettings"
    actions   = ["ssm:GetParameters"]
    resources = ["arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${var.purpose}/${var.name_suffix}/${each.key}/*"]
  }
  statement {
    sid       = "DecryptThem"
    actions   = ["kms:Decrypt"]
    resources = [var.secrets_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  for_each = data.aws_iam_policy_document.execution_secrets

  name   = "policy-ecsexec-${each.key}-${var.name_suffix}"
  role   = aws_iam_role.execution[each.key].id
  policy = each.value.json
}

resource "aws_iam_role" "task" {
  for_each = var.services

  name               = "role-ecstask-${each.key}-${local.region}-${var.name_suffix}"
  assume_role_policy = data.aws_iam_policy_document.tasks_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  for_each = var.task_policies

  name   = "policy-ecstask-${each.key}-${var.name_suffix}"
  role   = aws_iam_role.task[each.key].id
  policy = each.value
}

# ---------------------------------------------------------------- task definitions
resource "aws_ecs_task_definition" "this" {
  for_each = var.services

  family                   = "task-${each.key}-${var.name_suffix}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution[each.key].arn
  task_role_arn            = aws_iam_role.task[each.key].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  container_definitions = jsonencode([{
    name                   = each.key
    image                  = each.value.image
    essential              = true
    readonlyRootFilesystem = true
    privileged             = false
    user                   = "1000:1000"
    portMappings           = each.value.container_port == null ? [] : [{ containerPort = each.value.container_port, protocol = "tcp" }]
    environment            = [for k, v in each.value.environment : { name = k, value = v }]
    secrets = concat(
      [for k, v in local.secret_arn[each.key] : { name = k, valueFrom = v }],
      [for k in keys(each.value.settings) : { name = k, valueFrom = "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${var.purpose}/${var.name_suffix}/${each.key}/${k}" }],
    )
    mountPoints = [{ sourceVolume = "shared", containerPath = "/mnt/shared", readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this[each.key].name
        awslogs-region        = local.region
        awslogs-stream-prefix = each.key
      }
    }
  }])

  volume {
    name = "shared"

    efs_volume_configuration {
      file_system_id     = var.efs_file_system_id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = var.efs_access_point_id
        iam             = "ENABLED"
      }
    }
  }

  tags = var.tags

  depends_on = [aws_ssm_parameter.settings]
}

# ---------------------------------------------------------------- network: internal NLB for the API's VPC link
resource "aws_security_group" "nlb" {
  name        = "secgrp-nlb-${var.name_suffix}"
  description = "Internal NLB: HTTP from inside the VPC (API Gateway VPC link)"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "secgrp-nlb-${var.name_suffix}" })
}

resource "aws_vpc_security_group_ingress_rule" "nlb" {
  security_group_id = aws_security_group.nlb.id
  description       = "Listener port from the VPC"
  ip_protocol       = "tcp"
  from_port         = var.listener_port
  to_port           = var.listener_port
  cidr_ipv4         = var.vpc_cidr_block
}

resource "aws_vpc_security_group_egress_rule" "nlb" {
  for_each = local.exposed

  security_group_id            = aws_security_group.nlb.id
  description                  = "To ${each.key} tasks"
  ip_protocol                  = "tcp"
  from_port                    = each.value.container_port
  to_port                      = each.value.container_port
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_20:A network load balancer has no HTTP listener to redirect; TLS ends at API Gateway
  #checkov:skip=CKV_AWS_91:NLBs write access logs only for TLS listeners; every request is logged at API Gateway and WAF
  #checkov:skip=CKV_AWS_150:The stacks must be fully destroyable (seed requirement)
  name                                                         = "nlb-${var.purpose}-${var.name_suffix}"
  internal                                                     = true
  load_balancer_type                                           = "network"
  subnets                                                      = var.subnet_ids
  security_groups                                              = [aws_security_group.nlb.id]
  enable_cross_zone_load_balancing                             = true
  enable_deletion_protection                                   = false
  enforce_security_group_inbound_rules_on_private_link_traffic = "off"

  tags = var.tags
}

# One target group per service behind the NLB, and its green twin for blue/green deployments.
resource "aws_lb_target_group" "this" {
  for_each = merge(
    { for k, v in local.exposed : k => v },
    { for k, v in local.blue_green : "${k}green" => v },
  )

  name                 = "tg-${each.key}-${var.name_suffix}"
  port                 = each.value.container_port
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay_seconds

  health_check {
    protocol            = "HTTP"
    path                = each.value.health_check_path
    interval            = var.health_check_interval_seconds
    healthy_threshold   = var.health_check_threshold
    unhealthy_threshold = var.health_check_threshold
  }

  tags = var.tags
}

resource "aws_lb_listener" "this" {
  for_each = local.exposed

  load_balancer_arn = aws_lb.this.arn
  port              = var.listener_port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  tags = var.tags
}

resource "aws_security_group" "tasks" {
  name        = "secgrp-ecstasks-${var.name_suffix}"
  description = "ECS tasks: app port from the NLB, egress to AWS APIs and the data tier"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "secgrp-ecstasks-${var.name_suffix}" })
}

resource "aws_vpc_security_group_ingress_rule" "tasks" {
  for_each = local.exposed

  security_group_id            = aws_security_group.tasks.id
  description                  = "${each.key} port from the NLB"
  ip_protocol                  = "tcp"
  from_port                    = each.value.container_port
  to_port                      = each.value.container_port
  referenced_security_group_id = aws_security_group.nlb.id
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs and the image registry through the NAT gateways"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "tasks_data" {
  for_each = toset(["5432", "6379", "2049"])

  security_group_id = aws_security_group.tasks.id
  description       = "Data tier port ${each.key} inside the VPC"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  cidr_ipv4         = var.vpc_cidr_block
}

# ---------------------------------------------------------------- services
resource "aws_ecs_service" "this" {
  for_each = var.services

  name                               = "svc-${each.key}-${var.name_suffix}"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this[each.key].arn
  desired_count                      = each.value.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  availability_zone_rebalancing      = "ENABLED"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  health_check_grace_period_seconds  = each.value.container_port == null ? null : 30

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  deployment_controller {
    type = var.blue_green && each.value.container_port != null ? "CODE_DEPLOY" : "ECS"
  }

  # ECS rolling deployments (services without a load balancer) stop and roll back a failed
  # deployment; CodeDeploy services roll back through their deployment group instead.
  dynamic "deployment_circuit_breaker" {
    for_each = var.blue_green && each.value.container_port != null ? [] : [1]
    content {
      enable   = true
      rollback = true
    }
  }

  dynamic "load_balancer" {
    for_each = each.value.container_port == null ? [] : [1]
    content {
      target_group_arn = aws_lb_target_group.this[each.key].arn
      container_name   = each.key
      container_port   = each.value.container_port
    }
  }

  tags = var.tags

  # Autoscaling owns the running count; under CodeDeploy, deployments own the task
  # definition and the target group in use.
  lifecycle {
    ignore_changes = [desired_count, task_definition, load_balancer]
  }

  depends_on = [aws_lb_listener.this]
}

# ---------------------------------------------------------------- autoscaling: CPU and requests per task
resource "aws_appautoscaling_target" "this" {
  for_each = var.services

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this[each.key].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = each.value.desired_count
  max_capacity       = each.value.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = var.services

  name               = "scale-cpu-${each.key}-${var.name_suffix}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_in_cooldown  = 120
    scale_out_cooldown = 30

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Requests per running task, from API Gateway's request count divided by the
# service's running tasks (NLBs publish no per-target request count).
resource "aws_appautoscaling_policy" "requests" {
  for_each = { for k, v in local.exposed : k => v if var.api_request_metric != null }

  name               = "scale-requests-${each.key}-${var.name_suffix}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.requests_per_task_per_minute
    scale_in_cooldown  = 120
    scale_out_cooldown = 30

    customized_metric_specification {
      metrics {
        id          = "requests"
        return_data = false
        metric_stat {
          stat = "Sum"
          metric {
            namespace   = "AWS/ApiGateway"
            metric_name = "Count"
            dimensions {
              name  = "ApiName"
              value = var.api_request_metric.api_name
            }
            dimensions {
              name  = "Stage"
              value = var.api_request_metric.stage_name
            }
          }
        }
      }
      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.this[each.key].name
            }
          }
        }
      }
      metrics {
        id          = "per_task"
        expression  = "requests / IF(tasks > 0, tasks, 1)"
        label       = "Requests per task per minute"
        return_data = true
      }
    }
  }
}
