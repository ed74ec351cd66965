#!/usr/bin/env bash
# End-to-end check of the runbook (`shipit plan --cli --out DIR`) against moto, with the plain aws CLI.
#
#   scripts/e2e-runbook-moto.sh [lambda|fargate|ecs|all]     (default: all)
#
# For each example app: the runbook is written offline (no AWS read), `bash DIR/deploy.sh` runs it
# against moto_server with the aws CLI, and then `shipit plan` against moto must plan no creates:
# the script made everything shipit would have made. The lambda app also gets a secret whose value
# holds spaces, quotes and `$`, which must reach the function unchanged. One PASS/FAIL line per check;
# exits 1 when any fails. Not part of `npm test`: it needs python3 with moto[server] and the aws CLI.
#
# Moto's start-up and its shims are scripts/e2e-lib.sh, shared with scripts/e2e-moto.sh; for the
# runbook only:
#   - the aws CLI reaches moto through AWS_ENDPOINT_URL (aws CLI v1 1.29+ / v2 2.13+ read it).
#   - ecs: the cluster of app.yaml gets one registered EC2 instance before the script runs, as in
#     e2e-moto.sh (the script's create-cluster then finds it, which AWS answers with the cluster).
# Environment knobs: KEEP_WORK=1 keeps the work directory.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WHICH="${1:-all}"
case "$WHICH" in
  lambda | fargate | ecs | all) ;;
  *) echo "usage: $0 [lambda|fargate|ecs|all]" >&2; exit 3 ;;
esac

command -v aws >/dev/null || { echo "FAIL setup: the aws CLI is not installed" >&2; exit 1; }
# shellcheck source=scripts/e2e-lib.sh
source scripts/e2e-lib.sh
moto_require
moto_workdir shipit-runbook-moto
moto_start
echo "moto $MOTO_VERSION on $ENDPOINT, $(aws --version 2>&1 | cut -d' ' -f1)"
shipit_build
dummy_credentials

PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; [[ -z "${3:-}" || ! -s "$3" ]] || tail -n 20 "$3" | sed 's/^/    /'; }

# check NAME TARGET FILE [ARGS…]: runbook offline → bash deploy.sh on moto → plan has no creates
check() {
  local name="$1" target="$2" file="$3"
  shift 3
  local dir="$WORK/${name// /-}" log="$WORK/${name// /-}.log"
  if ! ./bin/run.js plan --target "$target" -f "$file" --offline --cli --out "$dir" "$@" >"$log" 2>&1; then
    fail "$name: plan --cli --out" "exit $?" "$log"
    return
  fi
  if [[ -x "$dir/deploy.sh" ]] && bash -n "$dir/deploy.sh"; then pass "$name: plan --cli --out wrote $(cd "$dir" && ls | tr '\n' ' ')(bash -n ok)"; else fail "$name: deploy.sh" "missing, not executable or not bash" "$log"; return; fi
  local t0=$SECONDS
  if AWS_ENDPOINT_URL="$ENDPOINT" bash "$dir/deploy.sh" >"$log.run" 2>&1 && { [[ -z "${AFTER_SCRIPT:-}" ]] || $AFTER_SCRIPT >>"$log.run" 2>&1; }; then
    pass "$name: bash deploy.sh against moto exits 0 ($((SECONDS - t0)) s, $(grep -c '^==> [-+~>]' "$log.run") steps)"
  else
    fail "$name: bash deploy.sh against moto" "exit $?" "$log.run"
    return
  fi
  if ! ./bin/run.js plan --target "$target" -f "$file" --endpoint-url "$ENDPOINT" --json "$@" >"$log.plan" 2>"$log.plan.err"; then
    fail "$name: plan after the script" "exit $?" "$log.plan.err"
    return
  fi
  local creates
  creates="$(jq -r '[.steps[] | select(.action == "create") | "\(.resource.type) \(.resource.name)"] | join(", ")' "$log.plan")"
  if [[ -z "$creates" ]]; then
    pass "$name: shipit plan after the script plans no creates ($(jq -r '[.steps[] | .action + " " + .resource.type] | join(", ") | if . == "" then "no changes" else . end' "$log.plan"))"
  else
    fail "$name: shipit plan after the script" "still plans to create: $creates"
  fi
}

check_lambda() {
  # the example, with a secret whose value the shell could mangle
  local dir="$WORK/app-lambda" value='p a"s'"'"'s $HOME `x` \n'
  mkdir -p "$dir" && cp -R examples/hello-lambda/src "$dir/src"
  sed 's/^name: hello$/name: hello-runbook/' examples/hello-lambda/app.yaml >"$dir/app.yaml"
  sed -i.bak 's/^env:$/env:\n  API_KEY: { value: "${env:API_KEY}", secret: true }/' "$dir/app.yaml"
  API_KEY="$value" check lambda lambda "$dir/app.yaml"
  local got
  got="$(AWS_ENDPOINT_URL="$ENDPOINT" aws lambda get-function-configuration --region us-west-2 --function-name hello-runbook-dev --query Environment.Variables.API_KEY --output text 2>&1)"
  if [[ "$got" == "$value" ]]; then pass "lambda: the secret reached the function unchanged"; else fail "lambda: the secret" "the function has [$got], want [$value]"; fi
}

# ecs: the example starts with count 0 (a new cluster has no instances); here the cluster has one
# registered instance, and moto's shim reports one running task per service, so the check runs count 1
# (moto's CreateCluster of a cluster that exists makes it anew, without its instances: the script's
# create-cluster drops the one registered before, so one is registered again after the script)
check_ecs() {
  local dir="$WORK/hello-ecs-1"
  mkdir -p "$dir" && sed 's/^  count: 0$/  count: 1/' examples/hello-ecs/app.yaml >"$dir/app.yaml"
  ecs_capacity myECSCluster && AFTER_SCRIPT="ecs_capacity myECSCluster register-only" check ecs ecs "$dir/app.yaml"
}

case "$WHICH" in
  lambda) check_lambda ;;
  fargate)
    check fargate fargate examples/hello-fargate/app.yaml
    check "fargate --env task" fargate examples/hello-fargate/app.yaml --env task
    ;;
  ecs) check_ecs ;;
  all)
    check_lambda
    check fargate fargate examples/hello-fargate/app.yaml
    check "fargate --env task" fargate examples/hello-fargate/app.yaml --env task
    check_ecs
    ;;
esac
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
