// Package deploy holds offline checks of what ships: the Dockerfile (parsed
// and linted with BuildKit's own frontend) and the Terraform under
// terraform/ (formatted with hclwrite, policies checked with hcl/v2). It is a
// separate module so the product's go.mod stays lean.
package deploy
