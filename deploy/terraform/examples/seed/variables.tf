# The seed article's variables, unchanged, plus what lambduck needs to know.

variable "environment" {
  type        = string
  description = "Environment name (dev/stg/prod)."
}

variable "aws_account_id" {
  type        = string
  description = "AWS account ID."
}

variable "region" {
  type        = string
  description = "AWS region."
  default     = "ap-northeast-1"
}

variable "ecr_repo" {
  type        = string
  description = "ECR repository name."
}

variable "image_tag" {
  type        = string
  description = "Image tag pushed by make push (tags are immutable; make deploy updates the function by digest afterwards)."
}

variable "data_bucket" {
  type        = string
  description = "Bucket with the Parquet data under data/ and raw logs under raw/."
}

variable "timezone" {
  type        = string
  description = "Report time zone (IANA name)."
  default     = "Asia/Tokyo"
}
