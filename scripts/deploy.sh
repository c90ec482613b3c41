#!/usr/bin/env bash
# The seed article's manual steps, one command each:
#   scripts/deploy.sh image   # docker buildx build (linux/amd64 by default)
#   scripts/deploy.sh push    # ECR login, tag, push; prints the pushed digest
#   scripts/deploy.sh deploy  # update-function-code BY DIGEST, wait, smoke-invoke
# The seed's pitfall — pushing a new :latest does not change what the function
# runs — cannot happen here: images get a unique tag (the commit), the ECR
# repository refuses to move a tag, and deploy names the image by its digest.
#
# Settings (environment or make variables):
#   AWS_REGION      default ap-northeast-1 (the seed's)
#   AWS_ACCOUNT_ID  default: the caller's account (aws sts get-caller-identity)
#   ECR_REPO        repository name, default lambduck
#   FUNCTION        function name, e.g. mikata_access_logs_reports-dev (deploy)
#   PLATFORM        linux/amd64 (default) or linux/arm64
#   TAG             default: the commit, with -dirty for uncommitted changes
#   DEPLOY_STATE    folder remembering the last image built and pushed, default dist
set -euo pipefail
cd "$(dirname "$0")/.."

step=${1:?usage: scripts/deploy.sh image|push|deploy}
region=${AWS_REGION:-ap-northeast-1}
repo=${ECR_REPO:-lambduck}
platform=${PLATFORM:-linux/amd64}
state=${DEPLOY_STATE:-dist}
mkdir -p "$state"
tag=${TAG:-$(git rev-parse --short=12 HEAD 2>/dev/null || date +%Y%m%d%H%M%S)}
if [ -z "${TAG:-}" ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  tag="$tag-dirty-$(date +%s)"
fi

account() {
  if [ -n "${AWS_ACCOUNT_ID:-}" ]; then echo "$AWS_ACCOUNT_ID"; return; fi
  aws sts get-caller-identity --query Account --output text
}

case "$step" in
image)
  docker buildx build --platform "$platform" --provenance=false -t "$repo:$tag" --load .
  echo "$repo:$tag" > "$state/image"
  echo "built $repo:$tag ($platform)"
  ;;
push)
  local_image=$(cat "$state/image" 2>/dev/null || echo "$repo:$tag")
  registry="$(account).dkr.ecr.$region.amazonaws.com"
  aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
  docker tag "$local_image" "$registry/$repo:${local_image##*:}"
  docker push "$registry/$repo:${local_image##*:}"
  digest=$(aws ecr describe-images --region "$region" --repository-name "$repo" \
    --image-ids "imageTag=${local_image##*:}" --query 'imageDetails[0].imageDigest' --output text)
  echo "$registry/$repo@$digest" > "$state/pushed"
  echo "pushed $registry/$repo:${local_image##*:} = $digest"
  ;;
deploy)
  : "${FUNCTION:?set FUNCTION to the function name (terraform output function_name)}"
  image=$(cat "$state/pushed" 2>/dev/null) || { echo "nothing pushed yet: run make push first" >&2; exit 1; }
  case "$image" in *@sha256:*) ;; *) echo "refusing to deploy $image: not a digest" >&2; exit 1 ;; esac
  aws lambda update-function-code --region "$region" --function-name "$FUNCTION" --image-uri "$image" \
    --query 'LastUpdateStatus' --output text
  aws lambda wait function-updated-v2 --region "$region" --function-name "$FUNCTION"
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
  aws lambda invoke --region "$region" --function-name "$FUNCTION" \
    --cli-binary-format raw-in-base64-out --payload '{"report": "hello"}' "$out" > /dev/null
  if ! grep -q '"statusCode":200' "$out"; then
    echo "smoke test failed: $(cat "$out")" >&2
    exit 1
  fi
  echo "deployed $image to $FUNCTION; smoke test answered: $(cat "$out")"
  ;;
*)
  echo "usage: scripts/deploy.sh image|push|deploy" >&2
  exit 2
  ;;
esac
