# S3-triggered ingest: raw logs created under raw_prefix invoke the function.

resource "aws_lambda_permission" "s3" {
  count          = var.enable_s3_trigger ? 1 : 0
  statement_id   = "AllowS3RawPrefix"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = "${local.s3}${var.data_bucket}"
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_s3_bucket_notification" "raw" {
  count  = var.enable_s3_trigger ? 1 : 0
  bucket = var.data_bucket

  lambda_function {
    lambda_function_arn = aws_lambda_function.this.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = var.raw_prefix
  }

  depends_on = [aws_lambda_permission.s3]
}
