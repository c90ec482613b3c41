variable "name" {
  type        = string
  description = "Function name; also names the role, the log group and the alarms."
}

variable "image_uri" {
  type        = string
  description = "Image to run, by digest or immutable tag (repository_url:tag). make deploy updates it by digest."
}

variable "create_ecr_repository" {
  type        = bool
  description = "Create the ECR repository (scan on push, immutable tags, lifecycle)."
  default     = true
}

variable "ecr_repository_name" {
  type        = string
  description = "Name of the ECR repository to create."
  default     = "lambduck"
}

variable "ecr_keep_images" {
  type        = number
  description = "Images the lifecycle policy keeps; older ones expire."
  default     = 20
}

variable "architecture" {
  type        = string
  description = "x86_64 or arm64; the image must be built for it (docker buildx --platform)."
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  type        = number
  description = "MB. DuckDB gets 60% of it and one thread per 1,769 MB (one vCPU). 2048 MB gives a full vCPU and ~1.2 GB to DuckDB; the seed's 512 MB works but spills early on a month of data."
  default     = 2048
}

variable "timeout" {
  type        = number
  description = "Seconds (the seed's 300). Queries are cancelled shortly before it and answered with 504."
  default     = 300
}

variable "ephemeral_storage_mb" {
  type        = number
  description = "/tmp size in MB: DuckDB spill and staged S3 objects live there."
  default     = 2048
}

variable "data_bucket" {
  type        = string
  description = "Bucket holding the Parquet data (and, under raw_prefix, raw logs)."
}

variable "data_prefix" {
  type        = string
  description = "Prefix of the Parquet data root inside data_bucket, e.g. \"data/\"."
  default     = "data/"
}

variable "raw_prefix" {
  type        = string
  description = "Prefix of raw access logs inside data_bucket (S3-triggered ingest), e.g. \"raw/\"."
  default     = "raw/"
}

variable "output_bucket" {
  type        = string
  description = "Bucket for exported results; empty means data_bucket."
  default     = ""
}

variable "output_prefix" {
  type        = string
  description = "Prefix for exported results."
  default     = "output/"
}

variable "timezone" {
  type        = string
  description = "LAMBDUCK_TIMEZONE: IANA name of the report time zone."
  default     = "UTC"
}

variable "max_days" {
  type        = number
  description = "LAMBDUCK_MAX_DAYS: the longest date range a request may ask for."
  default     = 366
}

variable "geoip_databases" {
  type        = list(string)
  description = "LAMBDUCK_GEOIP_DB: MaxMind-format databases (Country or City, and ASN) for the dashboard's countries and networks, each s3://bucket/key (the role may read exactly these objects) or a path in the image. Empty: no such panels."
  default     = []
  validation {
    condition     = alltrue([for u in var.geoip_databases : !strcontains(u, ",")])
    error_message = "A GeoIP database location cannot hold a comma (LAMBDUCK_GEOIP_DB is a comma-separated list)."
  }
}

variable "extra_environment" {
  type        = map(string)
  description = "More environment variables for the function (no secrets: use Secrets Manager for those)."
  default     = {}
}

variable "log_retention_days" {
  type        = number
  description = "CloudWatch Logs retention."
  default     = 30
}

variable "alarm_actions" {
  type        = list(string)
  description = "ARNs (e.g. an SNS topic) notified by the alarms; empty for none."
  default     = []
}

variable "enable_s3_trigger" {
  type        = bool
  description = "Invoke the function for objects created under raw_prefix. The bucket notification resource owns all of data_bucket's notifications."
  default     = false
}

variable "schedules" {
  type = list(object({
    name       = string
    expression = string                  # cron(5 0 1 * ? *), rate(1 day), …
    timezone   = optional(string, "UTC") # the schedule's own time zone
    job = object({
      period    = string # previous_day, previous_week, previous_month, month_to_date
      reports   = list(string)
      formats   = list(string)
      companies = optional(list(string), ["*"])
      params    = optional(map(string), {})
    })
  }))
  description = "Scheduled jobs (docs/operations.md, \"Scheduled reports\"): EventBridge Scheduler sends {\"job\": …} with its scheduled time; the period is computed from that time in LAMBDUCK_TIMEZONE."
  default     = []
  validation {
    condition     = alltrue([for s in var.schedules : contains(["previous_day", "previous_week", "previous_month", "month_to_date"], s.job.period)]) && length(distinct([for s in var.schedules : s.name])) == length(var.schedules)
    error_message = "Each schedule needs a unique name and a period of previous_day, previous_week, previous_month or month_to_date."
  }
}

variable "schedule_retry_attempts" {
  type        = number
  description = "Retries of a failed scheduled run (the function fails when a company failed; a retry does only what is missing), 0 to 2."
  default     = 2
  validation {
    condition     = var.schedule_retry_attempts >= 0 && var.schedule_retry_attempts <= 2
    error_message = "Lambda retries an asynchronous invocation at most twice."
  }
}

variable "enable_function_url" {
  type        = bool
  description = "Create a Function URL with AWS_IAM auth (callers sign requests with SigV4)."
  default     = false
}

variable "reserved_concurrency" {
  type        = number
  description = "Reserved concurrent executions; -1 for none."
  default     = -1
}

variable "workers" {
  type        = number
  description = "LAMBDUCK_WORKERS: shard invocations at once when a report fans out over invocations of this function (docs/operations.md). 1 turns fan-out off and leaves the role without permission to invoke the function. Keep reserved_concurrency (when set) above the callers' concurrency times (workers + 1)."
  default     = 16
  validation {
    condition     = var.workers >= 1 && var.workers <= 1000 && floor(var.workers) == var.workers
    error_message = "workers is a whole number from 1 to 1000."
  }
}

variable "fanout_bytes" {
  type        = number
  description = "LAMBDUCK_FANOUT_BYTES: a report whose selected files are larger fans out; 0 keeps the function's default (128 MiB)."
  default     = 0
  validation {
    condition     = var.fanout_bytes >= 0 && floor(var.fanout_bytes) == var.fanout_bytes
    error_message = "fanout_bytes is a whole number of bytes, 0 for the default."
  }
}

variable "athena_table" {
  type        = bool
  description = "Declare the data root as an Athena table (Glue, partition projection on company_id and date) for ad-hoc SQL. The function then keeps the files a compaction replaced (Athena skips compacted files), so compacted days are stored twice."
  default     = false
}

variable "athena_database" {
  type        = string
  description = "The Glue database of the Athena table; empty: the function's name with - as _."
  default     = ""
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
  default     = {}
}
