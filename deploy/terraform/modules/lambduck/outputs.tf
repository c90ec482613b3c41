output "function_name" {
  value       = aws_lambda_function.this.function_name
  description = "The function's name (make deploy FUNCTION=…)."
}

output "function_arn" {
  value       = aws_lambda_function.this.arn
  description = "The function's ARN."
}

output "repository_url" {
  value       = var.create_ecr_repository ? aws_ecr_repository.this[0].repository_url : ""
  description = "The ECR repository to push images to (make push REPO=…)."
}

output "function_url" {
  value       = var.enable_function_url ? aws_lambda_function_url.this[0].function_url : ""
  description = "The Function URL (AWS_IAM auth), when enabled."
}

output "role_arn" {
  value       = aws_iam_role.this.arn
  description = "The execution role."
}

output "athena_table" {
  description = "The Athena table over the data root (database.table), when athena_table is set."
  value       = var.athena_table ? "${aws_glue_catalog_database.this[0].name}.${aws_glue_catalog_table.access_logs[0].name}" : null
}
