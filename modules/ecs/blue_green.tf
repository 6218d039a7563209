# Blue/green deployments through CodeDeploy for the service behind the NLB: a green target
# group (main.tf: <service>green) and a test listener; traffic switches all at once (NLBs
# support only that) after green passes its health checks, rolls back on failure or alarm,
# and the blue task set is kept running until the new one is proven. The 30 s budget is in
# README.md.

locals {
  blue_green = var.blue_green ? local.exposed : {}
}

resource "aws_lb_listener" "test" {
  for_each = local.blue_green

  load_balancer_arn = aws_lb.this.arn
  port              = var.test_listener_port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["${each.key}green"].arn
  }

  tags = var.tags
}

resource "aws_codedeploy_app" "this" {
  count = var.blue_green && length(local.exposed) > 0 ? 1 : 0

  name             = "codedeploy-${var.purpose}-${var.name_suffix}"
  compute_platform = "ECS"

  tags = var.tags
}

data "aws_iam_policy_document" "codedeploy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  count = var.blue_green && length(local.exposed) > 0 ? 1 : 0

  name               = "role-codedeploy-${var.purpose}-${local.region}-${var.name_suffix}"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_assume.json

  tags = var.tags
}

# AWS's service-role policy for ECS blue/green: scoped by AWS to what CodeDeploy does for ECS.
resource "aws_iam_role_policy_attachment" "codedeploy" {
  count = var.blue_green && length(local.exposed) > 0 ? 1 : 0

  role       = aws_iam_role.codedeploy[0].name
  policy_arn = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
}

# Alarms that stop a deployment and send traffic back to blue.
resource "aws_cloudwatch_metric_alarm" "deployment" {
  for_each = merge(
    { for k, v in local.blue_green : "unhealthy-blue-${k}" => { tg = aws_lb_target_group.this[k].arn_suffix, metric = "UnHealthyHostCount" } },
    { for k, v in local.blue_green : "unhealthy-green-${k}" => { tg = aws_lb_target_group.this["${k}green"].arn_suffix, metric = "UnHealthyHostCount" } },
  )

  alarm_name          = "alarm-deploy-${each.key}-${var.name_suffix}"
  alarm_description   = "Unhealthy targets during a blue/green deployment: CodeDeploy rolls back"
  namespace           = "AWS/NetworkELB"
  metric_name         = each.value.metric
  statistic           = "Maximum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  period              = 60
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  dimensions          = { LoadBalancer = aws_lb.this.arn_suffix, TargetGroup = each.value.tg }
  actions_enabled     = true
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]

  tags = var.tags
}

resource "aws_codedeploy_deployment_group" "this" {
  for_each = local.blue_green

  app_name               = aws_codedeploy_app.this[0].name
  deployment_group_name  = "dg-${each.key}-${var.name_suffix}"
  service_role_arn       = aws_iam_role.codedeploy[0].arn
  deployment_config_name = "CodeDeployDefault.ECSAllAtOnce"

  deployment_style {
    deployment_option = "WITH_TRAFFIC_CONTROL"
    deployment_type   = "BLUE_GREEN"
  }

  blue_green_deployment_config {
    deployment_ready_option {
      action_on_timeout = "CONTINUE_DEPLOYMENT"
    }

    # the old task set keeps running after the switch, so a rollback is a listener swap
    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = var.keep_blue_minutes
    }
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  alarm_configuration {
    enabled = true
    alarms  = concat([for k, a in aws_cloudwatch_metric_alarm.deployment : a.alarm_name if endswith(k, "-${each.key}")], var.rollback_alarm_names)
  }

  ecs_service {
    cluster_name = aws_ecs_cluster.this.name
    service_name = aws_ecs_service.this[each.key].name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [aws_lb_listener.this[each.key].arn]
      }

      test_traffic_route {
        listener_arns = [aws_lb_listener.test[each.key].arn]
      }

      target_group {
        name = aws_lb_target_group.this[each.key].name
      }

      target_group {
        name = aws_lb_target_group.this["${each.key}green"].name
      }
    }
  }

  tags = var.tags
}
