# Scheduled jobs: one EventBridge Scheduler schedule per entry of
# var.schedules, sending {"job": …, "at": <its scheduled time>} so that a
# late, retried or replayed run covers the same period and writes the same
# files. Scheduler invokes the function asynchronously: a run that leaves a
# company failed is a function error, Lambda retries it
# (schedule_retry_attempts; each retry does only what is missing), and an
# event that still fails — or that Scheduler could not deliver — lands in
# the dead-letter queue, which the failed-runs alarm watches.

locals {
  scheduled = length(var.schedules) > 0
  # jsonencode escapes < and >; Scheduler substitutes the literal placeholder.
  schedule_input = {
    for s in var.schedules : s.name => replace(
      jsonencode({ job = merge(s.job, { at = "SCHEDULED_TIME" }) }),
      "SCHEDULED_TIME", "<aws.scheduler.scheduled-time>"
    )
  }
}

resource "aws_sqs_queue" "failed_runs" {
  count                     = local.scheduled ? 1 : 0
  name                      = "${var.name}-failed-runs"
  message_retention_seconds = 1209600 # 14 days
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count              = local.scheduled ? 1 : 0
  name               = "${var.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = var.tags
}

# The scheduler may invoke this function, and nothing else, and dead-letter
# into its queue.
data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeThisFunction"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = ["${local.function_arn}"]
  }

  statement {
    sid       = "DeadLetter"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [local.scheduled ? aws_sqs_queue.failed_runs[0].arn : "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${var.name}-failed-runs"]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count  = local.scheduled ? 1 : 0
  name   = "${var.name}-scheduler"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  for_each                     = { for s in var.schedules : s.name => s }
  name                         = "${var.name}-${each.key}"
  schedule_expression          = each.value.expression
  schedule_expression_timezone = each.value.timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.this.arn
    role_arn = aws_iam_role.scheduler[0].arn
    input    = local.schedule_input[each.key]

    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }

    dead_letter_config {
      arn = aws_sqs_queue.failed_runs[0].arn
    }
  }
}

# A run the function failed (a company without its outputs) is retried by
# Lambda's asynchronous invocation, then sent to the same queue. This covers
# every asynchronous invocation of the function (S3-triggered ingest too).
resource "aws_lambda_function_event_invoke_config" "this" {
  count                        = local.scheduled ? 1 : 0
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.schedule_retry_attempts
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failed_runs[0].arn
    }
  }
}
