locals {
  # A scheduled run that failed every retry (or was never delivered).
  schedule_alarms = {
    failed-runs = {
      namespace   = "AWS/SQS"
      dimensions  = tomap({ QueueName = "${var.name}-failed-runs" })
      metric      = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      threshold   = 0
      description = "A scheduled run failed after its retries: the message in the failed-runs queue is the job; run it again (it does only what is missing)."
    }
  }
  lambda_dimensions = tomap({ FunctionName = aws_lambda_function.this.function_name })
  alarms = {
    errors = {
      namespace   = "AWS/Lambda"
      dimensions  = local.lambda_dimensions
      metric      = "Errors"
      statistic   = "Sum"
      threshold   = 0
      description = "The function returned errors (crashes, init failures), not 4xx/5xx responses."
    }
    throttles = {
      namespace   = "AWS/Lambda"
      dimensions  = local.lambda_dimensions
      metric      = "Throttles"
      statistic   = "Sum"
      threshold   = 0
      description = "Invocations were throttled: raise concurrency or slow the callers."
    }
    duration-near-timeout = {
      namespace   = "AWS/Lambda"
      dimensions  = local.lambda_dimensions
      metric      = "Duration"
      statistic   = "Maximum"
      threshold   = var.timeout * 1000 * 0.8
      description = "An invocation took over 80% of the timeout: reports are about to be answered with 504."
    }
    # From the function's own log lines (CloudWatch Embedded Metric Format).
    failed-shards = {
      namespace   = "lambduck"
      dimensions  = tomap({ function = aws_lambda_function.this.function_name })
      metric      = "failed_shards"
      statistic   = "Sum"
      threshold   = 0
      description = "Fan-out shard invocations failed (retried, or the request answered 502): see the \"shard attempt failed\" log lines."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = merge(local.alarms, local.scheduled ? local.schedule_alarms : {})
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = var.tags
}
