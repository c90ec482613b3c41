locals {
  alarms = {
    errors = {
      metric      = "Errors"
      statistic   = "Sum"
      threshold   = 0
      description = "The function returned errors (crashes, init failures), not 4xx/5xx responses."
    }
    throttles = {
      metric      = "Throttles"
      statistic   = "Sum"
      threshold   = 0
      description = "Invocations were throttled: raise concurrency or slow the callers."
    }
    duration-near-timeout = {
      metric      = "Duration"
      statistic   = "Maximum"
      threshold   = var.timeout * 1000 * 0.8
      description = "An invocation took over 80% of the timeout: reports are about to be answered with 504."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = var.tags
}
