data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  output_bucket = var.output_bucket != "" ? var.output_bucket : var.data_bucket
  s3            = "arn:${data.aws_partition.current.partition}:s3:::"
  # The GeoIP databases in S3, as object ARNs the role may read.
  geoip_objects = [for u in var.geoip_databases : "${local.s3}${trimprefix(u, "s3://")}" if startswith(u, "s3://")]
  geoip_env     = length(var.geoip_databases) > 0 ? { LAMBDUCK_GEOIP_DB = join(",", var.geoip_databases) } : {}
  # The function's own ARN, known before it exists (the role it needs is made first).
  function_arn = "arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:function:${var.name}"
  fanout_env   = merge({ LAMBDUCK_WORKERS = tostring(var.workers) }, var.fanout_bytes > 0 ? { LAMBDUCK_FANOUT_BYTES = tostring(var.fanout_bytes) } : {})
}

# --- image repository -------------------------------------------------------

resource "aws_ecr_repository" "this" {
  count                = var.create_ecr_repository ? 1 : 0
  name                 = var.ecr_repository_name
  image_tag_mutability = "IMMUTABLE" # a tag names one image forever; deploys go by digest
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  count      = var.create_ecr_repository ? 1 : 0
  repository = aws_ecr_repository.this[0].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the newest ${var.ecr_keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_keep_images
      }
      action = { type = "expire" }
    }]
  })
}

# --- logs -------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# --- the function -----------------------------------------------------------

resource "aws_lambda_function" "this" {
  function_name                  = var.name
  package_type                   = "Image"
  image_uri                      = var.image_uri
  role                           = aws_iam_role.this.arn
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency

  ephemeral_storage {
    size = var.ephemeral_storage_mb
  }

  environment {
    variables = merge({
      LAMBDUCK_DATA     = "s3://${var.data_bucket}/${var.data_prefix}"
      LAMBDUCK_OUTPUT   = "s3://${local.output_bucket}/${var.output_prefix}"
      LAMBDUCK_SCRATCH  = "/tmp/lambduck"
      LAMBDUCK_TIMEZONE = var.timezone
      LAMBDUCK_MAX_DAYS = tostring(var.max_days)
    }, local.geoip_env, local.fanout_env, local.athena_env, var.extra_environment)
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]

  lifecycle {
    # Code updates go through `make deploy` (update-function-code by digest);
    # Terraform owns the configuration, not which image is live.
    ignore_changes = [image_uri]
  }
}

resource "aws_lambda_function_url" "this" {
  count              = var.enable_function_url ? 1 : 0
  function_name      = aws_lambda_function.this.function_name
  authorization_type = "AWS_IAM"
}
