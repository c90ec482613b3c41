package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTools puts recording stand-ins for docker and aws first on PATH.
func fakeTools(t *testing.T, digest string) (dir, calls string) {
	t.Helper()
	dir = t.TempDir()
	calls = filepath.Join(dir, "calls")
	shim := `#!/bin/sh
echo "$(basename "$0") $*" >> ` + calls + `
case "$*" in
  *describe-images*) echo "` + digest + `" ;;
  *get-login-password*) echo password ;;
  *--password-stdin*) cat > /dev/null ;;
  *"lambda invoke"*) for last; do :; done; printf '{"statusCode":200,"headers":{},"body":"{}"}' > "$last" ;;
  *update-function-code*) echo InProgress ;;
esac
`
	for _, tool := range []string{"docker", "aws"} {
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(shim), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, calls
}

func TestDeployScriptsUseTheDigest(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	bin, calls := fakeTools(t, digest)
	env := append(os.Environ(), "DEPLOY_STATE="+t.TempDir(), "PATH="+bin+":"+os.Getenv("PATH"), "AWS_ACCOUNT_ID=123456789012",
		"AWS_REGION=ap-northeast-1", "ECR_REPO=test-lambda", "FUNCTION=mikata_access_logs_reports-dev", "TAG=abc123")
	for _, step := range []string{"image", "push", "deploy"} {
		cmd := exec.Command("../scripts/deploy.sh", step)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", step, err, out)
		}
	}
	raw, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	log := string(raw)
	registry := "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com"
	for _, want := range []string{
		"docker buildx build --platform linux/amd64 --provenance=false -t test-lambda:abc123",
		"docker login --username AWS --password-stdin " + registry,
		"docker push " + registry + "/test-lambda:abc123",
		"aws lambda update-function-code --region ap-northeast-1 --function-name mikata_access_logs_reports-dev --image-uri " + registry + "/test-lambda@" + digest,
		"aws lambda wait function-updated-v2",
		"aws lambda invoke",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("no call %q in:\n%s", want, log)
		}
	}
	if strings.Contains(log, ":latest") {
		t.Errorf("a :latest tag was used:\n%s", log)
	}
}
