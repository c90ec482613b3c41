// Command tffmt rewrites the Terraform files under ../terraform as
// `terraform fmt` would (hclwrite's formatter), for machines without terraform.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

func main() {
	root := "terraform"
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".tf") || strings.HasSuffix(p, ".tfvars.example")) {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if out := hclwrite.Format(src); !bytes.Equal(out, src) {
			fmt.Println("formatted", p)
			return os.WriteFile(p, out, 0o644)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
