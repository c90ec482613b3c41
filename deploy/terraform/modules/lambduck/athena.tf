# The data root as an Athena table (athena_table = true): ad-hoc SQL across
# companies or ranges that no Lambda should scan. Partition projection finds
# the partitions from the layout, so nothing has to add them: company_id is
# injected (every query names its companies, e.g. company_id IN ('1690')),
# date is projected day by day. The columns are athena_columns.json, which a
# test checks against the Parquet that ingest writes. Athena skips files
# whose names start with "_", as a compaction's are: with the table the
# function keeps the files a compaction replaced (LAMBDUCK_COMPACT_KEEP_REPLACED),
# so Athena reads every row once (docs/decisions.md, "Athena and compaction").

locals {
  athena_columns  = jsondecode(file("${path.module}/athena_columns.json"))
  athena_database = var.athena_database != "" ? var.athena_database : replace(var.name, "-", "_")
  athena_env      = var.athena_table ? { LAMBDUCK_COMPACT_KEEP_REPLACED = "true" } : {}
}

resource "aws_glue_catalog_database" "this" {
  count = var.athena_table ? 1 : 0
  name  = local.athena_database
  tags  = var.tags
}

resource "aws_glue_catalog_table" "access_logs" {
  count         = var.athena_table ? 1 : 0
  name          = "access_logs"
  database_name = aws_glue_catalog_database.this[0].name
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL                        = "TRUE"
    classification                  = "parquet"
    "projection.enabled"            = "true"
    "projection.company_id.type"    = "injected"
    "projection.date.type"          = "date"
    "projection.date.format"        = "yyyy-MM-dd"
    "projection.date.range"         = "2000-01-01,NOW"
    "projection.date.interval"      = "1"
    "projection.date.interval.unit" = "DAYS"
    "storage.location.template"     = "s3://${var.data_bucket}/${var.data_prefix}company_id=$${company_id}/date=$${date}/"
  }

  partition_keys {
    name = "company_id"
    type = "string"
  }
  partition_keys {
    name = "date"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${var.data_bucket}/${var.data_prefix}"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = local.athena_columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
