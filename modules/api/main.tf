data "aws_region" "current" {}

locals {
  name = "apigw-${var.purpose}-${var.name_suffix}"
}

resource "aws_api_gateway_rest_api" "this" {
  name        = local.name
  description = "Transaction API (${var.purpose})"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# ---------------------------------------------------------------- resources and methods
resource "aws_api_gateway_resource" "transactions" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "transactions"
}

resource "aws_api_gateway_resource" "transaction" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.transactions.id
  path_part   = "{id}"
}

resource "aws_api_gateway_request_validator" "this" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "validator-body-params-${var.name_suffix}"
  validate_request_body       = true
  validate_request_parameters = true
}

locals {
  # Every method is signed with SigV4 (AWS_IAM): no anonymous access (PCI DSS 7.2.1, 8.2).
  methods = {
    create = { resource_id = aws_api_gateway_resource.transactions.id, http_method = "POST", path = "transactions", params = {} }
    list   = { resource_id = aws_api_gateway_resource.transactions.id, http_method = "GET", path = "transactions", params = {} }
    get    = { resource_id = aws_api_gateway_resource.transaction.id, http_method = "GET", path = "transactions/{id}", params = { "method.request.path.id" = true } }
  }
}

resource "aws_api_gateway_method" "this" {
  for_each = local.methods

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = each.value.resource_id
  http_method          = each.value.http_method
  authorization        = "AWS_IAM"
  request_validator_id = aws_api_gateway_request_validator.this.id
  request_parameters   = each.value.params
}

resource "aws_api_gateway_vpc_link" "this" {
  name        = "vpclink-${var.purpose}-${var.name_suffix}"
  description = "Private link to the backend load balancer"
  target_arns = [var.backend_nlb_arn]

  tags = var.tags
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.methods

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = each.value.resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "HTTP_PROXY"
  integration_http_method = each.value.http_method
  uri                     = "http://${var.backend_nlb_dns_name}:${var.backend_port}/${each.value.path}"
  connection_type         = "VPC_LINK"
  connection_id           = aws_api_gateway_vpc_link.this.id
  timeout_milliseconds    = 5000
  request_parameters      = each.key == "get" ? { "integration.request.path.id" = "method.request.path.id" } : {}
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  triggers = {
    redeployment = sha1(jsonencode([local.methods, var.backend_nlb_dns_name, var.backend_port]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.this]
}

# ---------------------------------------------------------------- stage, logging, throttling
resource "aws_api_gateway_client_certificate" "this" {
  description = "Backend authenticates API Gateway with this certificate"

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "logs-apiaccess-${var.name_suffix}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Responses carry transaction data; caching them is deliberately off (PCI DSS 3.2)
  rest_api_id           = aws_api_gateway_rest_api.this.id
  deployment_id         = aws_api_gateway_deployment.this.id
  stage_name            = var.stage_name
  xray_tracing_enabled  = true
  client_certificate_id = aws_api_gateway_client_certificate.this.id
  cache_cluster_enabled = false

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      caller         = "$context.identity.caller"
      user           = "$context.identity.user"
      requestTime    = "$context.requestTime"
      httpMethod     = "$context.httpMethod"
      resourcePath   = "$context.resourcePath"
      status         = "$context.status"
      protocol       = "$context.protocol"
      responseLength = "$context.responseLength"
      latency        = "$context.responseLatency"
      wafStatus      = "$context.waf.status"
    })
  }

  tags = var.tags

  depends_on = [aws_api_gateway_account.this]
}

# Throttling sized from the expected peak with headroom; data trace stays off so
# request bodies (which may carry PAN) are never logged.
resource "aws_api_gateway_method_settings" "this" {
  #checkov:skip=CKV_AWS_225:Responses carry transaction data; caching them is deliberately off (PCI DSS 3.2)
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.logging_level
    data_trace_enabled     = false
    caching_enabled        = false
    cache_data_encrypted   = true
    throttling_rate_limit  = ceil(var.peak_requests_per_minute / 60 * var.throttle_headroom)
    throttling_burst_limit = ceil(var.peak_requests_per_minute / 60 * var.throttle_headroom * 2)
  }
}

data "aws_iam_policy_document" "apigw_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  name               = "role-apigwlogs-${data.aws_region.current.name}-${var.name_suffix}"
  assume_role_policy = data.aws_iam_policy_document.apigw_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  role       = aws_iam_role.cloudwatch.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.cloudwatch.arn
}

# ---------------------------------------------------------------- WAF (PCI DSS 6.4.2)
resource "aws_wafv2_web_acl" "this" {
  name        = "waf-${var.purpose}-${var.name_suffix}"
  description = "Managed rule groups and a rate limit in front of ${local.name}"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  # The baseline is not optional: known bad inputs (Log4j and the like) and anonymous
  # sources (Tor, hosting providers) come first, whatever the caller adds.
  rule {
    name     = "AWSManagedRulesAnonymousIpList"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAnonymousIpList"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesAnonymousIpList"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 0

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = var.managed_rule_groups
    content {
      name     = rule.value
      priority = rule.key + 2

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          name        = rule.value
          vendor_name = "AWS"
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = rule.value
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = length(var.managed_rule_groups) + 2

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit_per_ip
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "waf-${var.purpose}-${var.name_suffix}"
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

# AWS requires WAF log groups to be named aws-waf-logs-*.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.purpose}-${var.name_suffix}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
}
