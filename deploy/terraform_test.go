package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

func terraformFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("terraform", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".tf") || strings.HasSuffix(p, ".tfvars.example")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no Terraform files: %v", err)
	}
	return files
}

// hclwrite's formatter is the one `terraform fmt` uses.
func TestTerraformIsCanonical(t *testing.T) {
	for _, f := range terraformFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := hclwrite.Format(src); !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted as terraform fmt would (run: go run ./cmd/tffmt)", f)
		}
	}
}

func TestTerraformPolicies(t *testing.T) {
	var blocks []*hclsyntax.Block
	sources := map[string][]byte{}
	for _, f := range terraformFiles(t) {
		if !strings.HasSuffix(f, ".tf") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources[f] = src
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", f, diags.Error())
		}
		blocks = append(blocks, file.Body.(*hclsyntax.Body).Blocks...)
	}
	for _, p := range checkTerraform(blocks, sources) {
		t.Error(p)
	}
	// Fan-out: the function may invoke itself, knows its concurrency, and
	// failed shards raise an alarm.
	all := ""
	for _, src := range sources {
		all += string(src)
	}
	for _, want := range []string{`sid       = "InvokeItselfForShards"`, `LAMBDUCK_WORKERS = tostring(var.workers)`, `metric      = "failed_shards"`, `${var.output_prefix}_partials/*"]`,
		`athena_env      = var.athena_table ? { LAMBDUCK_COMPACT_KEEP_REPLACED = "true" } : {}`, `local.athena_env`,
		`"projection.company_id.type"    = "injected"`,
		// Scheduled jobs: the schedule's own time in the event, retries, a dead-letter queue.
		`"SCHEDULED_TIME", "<aws.scheduler.scheduled-time>"`, "retry_policy {", "dead_letter_config {", `failed-runs = {`} {
		if !strings.Contains(all, want) {
			t.Errorf("the module lacks %s", want)
		}
	}
	kinds := map[string]bool{}
	for _, b := range blocks {
		if len(b.Labels) > 0 {
			kinds[b.Type+"."+b.Labels[0]] = true
		}
	}
	for _, want := range []string{
		"resource.aws_ecr_repository", "resource.aws_ecr_lifecycle_policy", "resource.aws_iam_role",
		"resource.aws_cloudwatch_log_group", "resource.aws_lambda_function", "resource.aws_cloudwatch_metric_alarm",
		"resource.aws_s3_bucket_notification", "resource.aws_lambda_permission", "resource.aws_scheduler_schedule",
		"resource.aws_sqs_queue", "resource.aws_lambda_function_event_invoke_config",
		"resource.aws_lambda_function_url", "output.function_name", "output.function_arn", "output.repository_url",
		"resource.aws_glue_catalog_database", "resource.aws_glue_catalog_table", "output.athena_table",
		"variable.environment", "variable.aws_account_id", "variable.region", "variable.ecr_repo",
	} {
		if !kinds[want] {
			t.Errorf("no %s", want)
		}
	}
}

// The checker must catch each thing it is for.
func TestTerraformCheckerCatches(t *testing.T) {
	cases := map[string]string{
		"star action": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::b/p/*"]
  }
}`,
		"star resource on s3": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}`,
		"jsonencode star": `resource "aws_iam_role_policy" "x" {
  policy = jsonencode({ Statement = [{ Action = "lambda:*", Resource = "arn:x" }] })
}`,
		"dynamic star action": `data "aws_iam_policy_document" "x" {
  dynamic "statement" {
    for_each = [1]
    content {
      actions   = ["s3:*"]
      resources = statement.value
    }
  }
}`,
		"dynamic star resource": `data "aws_iam_policy_document" "x" {
  dynamic "statement" {
    for_each = [1]
    content {
      actions   = ["s3:GetObject"]
      resources = ["*"]
    }
  }
}`,
		"invoke another function": `data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["lambda:InvokeFunction"]
    resources = ["arn:aws:lambda:us-east-1:1:function:other"]
  }
}`,
		"dynamic invoke of anything": `data "aws_iam_policy_document" "x" {
  dynamic "statement" {
    for_each = [var.functions]
    content {
      actions   = ["lambda:InvokeFunction"]
      resources = statement.value
    }
  }
}`,
		"scheduler trust admits ec2": `data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}`,
		"trust ec2": `data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}`,
		"zip function": `resource "aws_lambda_function" "f" {
  package_type = "Zip"
}`,
		"no retention": `resource "aws_cloudwatch_log_group" "g" {
  name = "x"
}`,
	}
	for name, src := range cases {
		file, diags := hclsyntax.ParseConfig([]byte(src), name, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", name, diags.Error())
		}
		if len(checkTerraform(file.Body.(*hclsyntax.Body).Blocks, map[string][]byte{name: []byte(src)})) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}

// checkTerraform returns the policy problems in blocks (docs/security.md: least privilege).
func checkTerraform(blocks []*hclsyntax.Block, sources map[string][]byte) []string {
	var problems []string
	text := func(e hclsyntax.Expression) string {
		r := e.Range()
		return string(sources[r.Filename][r.Start.Byte:r.End.Byte])
	}
	strs := func(e hclsyntax.Expression) []string {
		var out []string
		if tuple, ok := e.(*hclsyntax.TupleConsExpr); ok {
			for _, el := range tuple.Exprs {
				out = append(out, strings.Trim(text(el), `"`))
			}
			return out
		}
		return []string{strings.Trim(text(e), `"`)}
	}
	for _, b := range blocks {
		where := b.Type + " " + strings.Join(b.Labels, ".")
		kind := ""
		if len(b.Labels) > 0 {
			kind = b.Labels[0]
		}
		switch {
		case b.Type == "resource" && kind == "aws_lambda_function":
			pt, ok := b.Body.Attributes["package_type"]
			if !ok || strings.Trim(text(pt.Expr), `"`) != "Image" {
				problems = append(problems, where+": package_type must be \"Image\"")
			}
		case b.Type == "resource" && kind == "aws_cloudwatch_log_group":
			if _, ok := b.Body.Attributes["retention_in_days"]; !ok {
				problems = append(problems, where+": no retention_in_days")
			}
		case b.Type == "data" && kind == "aws_iam_policy_document":
			for _, st := range b.Body.Blocks {
				// A dynamic statement is checked by its content.
				if st.Type == "dynamic" && len(st.Labels) == 1 && st.Labels[0] == "statement" {
					dyn := st
					for _, c := range st.Body.Blocks {
						if c.Type == "content" {
							st = c
						}
					}
					if st.Type != "content" {
						problems = append(problems, where+": a dynamic statement without content")
						continue
					}
					// Its resources come from its for_each: what that names is checked there.
					if r, ok := st.Body.Attributes["resources"]; ok && text(r.Expr) != "statement.value" {
						problems = append(problems, checkStatement(where, strs(st.Body.Attributes["actions"].Expr), strs(r.Expr))...)
					} else if a, ok := st.Body.Attributes["actions"]; ok {
						resources := []string{"arn:dynamic"}
						if fe, ok := dyn.Body.Attributes["for_each"]; ok && strings.Contains(text(fe.Expr), `[[local.function_arn, "${local.function_arn}:*"]]`) {
							resources = []string{"${local.function_arn}", "${local.function_arn}:*"}
						}
						problems = append(problems, checkStatement(where, strs(a.Expr), resources)...)
					}
					continue
				}
				if st.Type != "statement" {
					continue
				}
				var actions, resources []string
				if a, ok := st.Body.Attributes["actions"]; ok {
					actions = strs(a.Expr)
				}
				if r, ok := st.Body.Attributes["resources"]; ok {
					resources = strs(r.Expr)
				}
				problems = append(problems, checkStatement(where, actions, resources)...)
				for _, pr := range st.Body.Blocks {
					if pr.Type != "principals" {
						continue
					}
					// The function's role admits Lambda; the scheduler's, the scheduler.
					service := "lambda.amazonaws.com"
					if len(b.Labels) == 2 && b.Labels[1] == "scheduler_assume" {
						service = "scheduler.amazonaws.com"
					}
					if ids, ok := pr.Body.Attributes["identifiers"]; ok {
						for _, id := range strs(ids.Expr) {
							if id != service {
								problems = append(problems, where+": trust policy admits "+id+"; only "+service+" may assume the role")
							}
						}
					}
				}
			}
		}
		// Inline JSON policies: any "Action" naming a wildcard.
		for name, attr := range b.Body.Attributes {
			src := text(attr.Expr)
			if (name == "policy" || name == "assume_role_policy") && strings.Contains(src, "Action") &&
				(strings.Contains(src, `:*"`) || strings.Contains(src, `"*"`)) {
				problems = append(problems, where+": inline policy with a wildcard action or resource")
			}
		}
	}
	return problems
}

func checkStatement(where string, actions, resources []string) []string {
	var problems []string
	touchesS3OrLambda := false
	for _, a := range actions {
		if strings.Contains(a, "*") {
			problems = append(problems, where+": wildcard action "+a)
		}
		if strings.HasPrefix(a, "s3:") || strings.HasPrefix(a, "lambda:") {
			touchesS3OrLambda = true
		}
	}
	for _, r := range resources {
		if r == "*" && touchesS3OrLambda {
			problems = append(problems, where+": resource \"*\" on S3 or Lambda actions")
		}
		// The function invokes itself (fan-out) and nothing else.
		if slices.Contains(actions, "lambda:InvokeFunction") && r != "${local.function_arn}" && r != "${local.function_arn}:*" {
			problems = append(problems, where+": lambda:InvokeFunction on "+r+"; only the function itself (local.function_arn)")
		}
	}
	return problems
}
