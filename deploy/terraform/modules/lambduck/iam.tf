# The role grants only what the code does: write its own log group, list and
# read the data root, read raw logs, write ingested data, the dashboard's day
# summaries and exports, delete the data files a re-ingested source no longer
# produces (and summaries of files that changed), and read exports
# back (presigned GET URLs are signed with this role), and read the GeoIP
# databases named, exactly those objects; with fan-out on, invoke itself (and
# no other function) for shards and remove the shards' parts. No wildcard
# actions.

data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-exec"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "ListDataRoot"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["${local.s3}${var.data_bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.data_prefix}*"]
    }
  }

  statement {
    sid     = "ReadDataAndRaw"
    effect  = "Allow"
    actions = ["s3:GetObject"]
    resources = [
      "${local.s3}${var.data_bucket}/${var.data_prefix}*",
      "${local.s3}${var.data_bucket}/${var.raw_prefix}*",
    ]
  }

  statement {
    sid     = "WriteDataAndOutput"
    effect  = "Allow"
    actions = ["s3:PutObject"]
    resources = [
      "${local.s3}${var.data_bucket}/${var.data_prefix}*",
      "${local.s3}${local.output_bucket}/${var.output_prefix}*",
    ]
  }

  statement {
    sid       = "ReplaceOwnIngestOutput"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.s3}${var.data_bucket}/${var.data_prefix}*"]
  }

  # Exactly the GeoIP database objects named by geoip_databases, if any.
  dynamic "statement" {
    for_each = length(local.geoip_objects) > 0 ? [local.geoip_objects] : []
    content {
      sid       = "ReadGeoIPDatabases"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = statement.value
    }
  }

  # Fan-out: the function invokes itself for each shard (at the version that
  # runs: name:version when published), nothing else.
  dynamic "statement" {
    for_each = var.workers > 1 ? [[local.function_arn, "${local.function_arn}:*"]] : []
    content {
      sid       = "InvokeItselfForShards"
      effect    = "Allow"
      actions   = ["lambda:InvokeFunction"]
      resources = statement.value
    }
  }

  # Scheduled runs that failed every retry go to the failed-runs queue.
  dynamic "statement" {
    for_each = local.scheduled ? [[aws_sqs_queue.failed_runs[0].arn]] : []
    content {
      sid       = "SendFailedRuns"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = statement.value
    }
  }

  statement {
    sid       = "RemoveShardParts"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.s3}${local.output_bucket}/${var.output_prefix}_partials/*"]
  }

  statement {
    sid       = "ReadOwnExports"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.s3}${local.output_bucket}/${var.output_prefix}*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
