output "function_name" {
  value = module.lambduck.function_name
}

output "function_arn" {
  value = module.lambduck.function_arn
}

output "repository_url" {
  value = module.lambduck.repository_url
}
