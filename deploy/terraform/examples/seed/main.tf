module "lambduck" {
  source = "../../modules/lambduck"

  name                  = "mikata_access_logs_reports-${var.environment}"
  image_uri             = "${var.aws_account_id}.dkr.ecr.${var.region}.amazonaws.com/${var.ecr_repo}:${var.image_tag}"
  create_ecr_repository = true
  ecr_repository_name   = var.ecr_repo

  memory_size          = 2048
  timeout              = 300
  ephemeral_storage_mb = 2048

  data_bucket   = var.data_bucket
  data_prefix   = "data/"
  raw_prefix    = "raw/"
  output_prefix = "output/"
  timezone      = var.timezone

  enable_s3_trigger   = false
  enable_function_url = false

  # Every company's reports on a rhythm (docs/operations.md, "Scheduled reports").
  schedules = [
    {
      name       = "daily"
      expression = "cron(5 0 * * ? *)"
      timezone   = var.timezone
      job        = { period = "previous_day", reports = ["access_summary", "top_paths"], formats = ["csv"] }
    },
    {
      name       = "monthly"
      expression = "cron(15 0 1 * ? *)"
      timezone   = var.timezone
      job        = { period = "previous_month", reports = ["dashboard"], formats = ["html"] }
    },
  ]

  tags = {
    project     = "lambduck"
    environment = var.environment
  }
}
