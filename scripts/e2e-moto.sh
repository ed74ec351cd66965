#!/usr/bin/env bash
# End-to-end check of shipit's AWS requests against an independent AWS implementation: moto.
#
#   scripts/e2e-moto.sh [lambda|fargate|ecs|all]     (default: lambda)
#
# Starts `moto_server` on 127.0.0.1 (a free port; nothing else is contacted), runs shipit's real
# commands against it with dummy credentials, and prints one PASS/FAIL/SKIP line per check. Exits 1
# when any check fails. Not part of `npm test`: the unit tests never need moto.
#
# Needs: python3 with moto[server] (5.x) and Flask, node 20. Environment knobs:
#   KEEP_WORK=1     keep the work directory (moto log, request recording, command outputs)
#   MOTO_SHIMS=0    run plain moto, without the workarounds for moto's gaps listed below
#   WAIT_TIMEOUT=N  --timeout of the deploys, in seconds (default 120)
#
# moto's start-up and its shims live in scripts/e2e-lib.sh, shared with scripts/e2e-runbook-moto.sh.
# Moto settings and gaps handled there (never in shipit's code):
#   - MOTO_IAM_LOAD_MANAGED_POLICIES=true: moto knows no AWS managed policies by default, so
#     AttachRolePolicy(AWSLambdaBasicExecutionRole) would fail with NoSuchEntity.
#   - lambda use_docker=false (POST /moto-api/config): only Invoke would use docker; set so nothing
#     ever tries to.
#   - IAM propagation: moto has none (a new role is assumable at once), so nothing to set.
#   - MOTO_ECS_SERVICE_RUNNING=1: moto starts no tasks for a service; with this every service reports
#     1 running task and its deployment COMPLETED (the examples ask for count: 1). Without it a
#     service deploy waits for its rollout until --timeout.
#   - deploys run with --timeout $WAIT_TIMEOUT (default 120 s): nothing in moto takes long, so a wait
#     that does is a failure, not something to sit out for shipit's default 900 s.
#   - Lambda LoggingConfig: moto 5.2 ignores LoggingConfig in CreateFunction and
#     UpdateFunctionConfiguration and never returns it from GetFunction, while AWS always returns it
#     (default {LogFormat: Text, LogGroup: /aws/lambda/<name>}). Without a shim every plan would
#     want to update LoggingConfig.LogGroup and publish a version. The shim below stores and
#     returns LoggingConfig as AWS documents it (API_LoggingConfig); MOTO_SHIMS=0 turns it off.
#   - ECS deploymentConfiguration: moto 5.2's CreateService drops it (UpdateService keeps it), so
#     DescribeServices shows no circuit breaker and every plan wants to update the service. The
#     shim stores it, with AWS's defaults for what is not sent (circuit breaker off, 200/100 %).
#
# Fixtures (not moto gaps):
#   - ecs: the ecs target runs on EC2 instances the user registers in the cluster named in app.yaml
#     (examples/hello-ecs: myECSCluster) and refuses to deploy without any; the script creates that
#     cluster and registers one EC2 instance in it (boto3 against moto) before the ecs checks.
#   - fargate --env task: a task-mode deploy runs the task on every deploy by design (a `run` step),
#     so there "no changes" means: nothing but that run step (RunTask) in the plan and the calls.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WHICH="${1:-lambda}"
case "$WHICH" in
  lambda | fargate | ecs | all) ;;
  -h | --help)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: $0 [lambda|fargate|ecs|all]" >&2
    exit 3
    ;;
esac

# shellcheck source=scripts/e2e-lib.sh
source scripts/e2e-lib.sh
moto_require
moto_workdir shipit-e2e-moto
moto_start "$WORK/recording.jsonl"
echo "moto $MOTO_VERSION on $ENDPOINT (shims: $([[ "${MOTO_SHIMS:-1}" == 0 ]] && echo off || echo on))"
shipit_build
dummy_credentials

WAIT_TIMEOUT="${WAIT_TIMEOUT:-120}"
PASSED=0 FAILED=0 SKIPPED=0
N=0 RC=0 OUT="" ERR=""

elapsed() { # seconds since $1 (an $EPOCHREALTIME), one decimal; "?" on bash < 5
  [[ -n "${EPOCHREALTIME:-}" && -n "$1" ]] || { printf '?'; return; }
  local ms=$(( (10#${EPOCHREALTIME/./} - 10#${1/./}) / 1000 ))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# run ARGS…: runs ./bin/run.js ARGS --endpoint-url …; sets RC, OUT, ERR (files)
run() {
  N=$((N + 1))
  OUT="$WORK/$N.stdout" ERR="$WORK/$N.stderr"
  local t0="${EPOCHREALTIME:-}"
  ./bin/run.js "$@" --endpoint-url "$ENDPOINT" >"$OUT" 2>"$ERR"
  RC=$?
  printf '%s\n' "./bin/run.js $* --endpoint-url $ENDPOINT  → exit $RC after $(elapsed "$t0")s" >"$WORK/$N.cmd"
}

pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIP $1"; }
fail() { # NAME WHY: shows the last command's output
  FAILED=$((FAILED + 1))
  echo "FAIL $1: $2"
  echo "    \$ $(cat "$WORK/$N.cmd")"
  if [[ -s "$OUT" ]]; then echo "    stdout:"; tail -n 25 "$OUT" | sed 's/^/      /'; fi
  if [[ -s "$ERR" ]]; then echo "    stderr:"; tail -n 25 "$ERR" | sed 's/^/      /'; fi
}

# json_doc FILE EXPR: FILE must hold exactly one JSON document; prints EXPR (python, on `d`) of it
json_doc() {
  "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
try:
    d, end = json.JSONDecoder().raw_decode(text.lstrip())
except ValueError as e:
    sys.exit(f"stdout is not JSON ({e})")
if text.lstrip()[end:].strip():
    sys.exit("stdout holds more than one JSON document (or text after it)")
print(eval(sys.argv[2], {}, {"d": d}))
PY
}

# mutating_calls [ALLOWED]: AWS operations in the recording that are not Get/List/Describe reads;
# fails when there is any but exactly the ALLOWED ones (space-separated operation names, each once).
# The deploy lock's DynamoDB calls (take and release) are listed apart: they change no resource of the app.
mutating_calls() {
  moto_api GET /moto-api/recorder/download-recording >"$WORK/recording.$N.jsonl" || return 1
  "$PYTHON" - "$WORK/recording.$N.jsonl" "${1:-}" <<'PY'
import base64, json, re, sys, urllib.parse
READ = re.compile(r"^(Get|List|Describe|BatchGet|Head)")
allowed = sorted(sys.argv[2].split())
bad, lock, total = [], [], 0
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.strip():
        continue
    e = json.loads(line)
    total += 1
    h = {k.lower(): v for k, v in e["headers"].items()}
    body = e.get("body") or ""
    if e.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    path = urllib.parse.urlparse(e["url"]).path
    if h.get("x-amz-target", "").startswith("DynamoDB_"):  # the deploy lock's calls (src/lock/), not the app's
        lock.append(h["x-amz-target"].rsplit(".", 1)[-1])
        continue
    if "x-amz-target" in h:  # JSON protocol (logs, ecs): the operation is in the header
        op = h["x-amz-target"].rsplit(".", 1)[-1]
    elif "Action=" in body or "Action=" in e["url"]:  # query protocol (iam, sts, ec2)
        query = urllib.parse.parse_qs(body) or urllib.parse.parse_qs(urllib.parse.urlparse(e["url"]).query)
        op = query.get("Action", ["?"])[0]
    else:  # REST (lambda, apigatewayv2): reads are GETs
        op = "Get" if e["method"] in ("GET", "HEAD") else f"{e['method']} {path}"
    if not READ.match(op):
        bad.append(op)
print(f"{total} calls, {len(bad)} mutating" + (": " + ", ".join(bad) if bad else "") + (f"; the lock's: {', '.join(lock)}" if lock else ""))
if total == 0:
    print("nothing was recorded (is moto's recorder working?)")
sys.exit(1 if sorted(bad) != allowed or total == 0 else 0)
PY
}

record() { moto_api POST "/moto-api/recorder/$1" >/dev/null; }

# plan_counts FILE: "<steps> <creates> <unchanged>" of a plan --json on FILE
plan_counts() { json_doc "$1" '"%d %d %d" % (len(d["steps"]), sum(1 for s in d["steps"] if s["action"] == "create"), len(d["unchanged"]))'; }

# ---- the checks -----------------------------------------------------------------------------

# deploy → second deploy (no mutating call, one JSON document) → plan with no changes.
# KIND: lambda (the deploy must print a url), service, or task (every deploy runs the task: the only
# step and the only mutating call allowed the second time is that run, RunTask).
deploy_twice() { # NAME KIND TARGET FILE [ARGS…]
  local name="$1" kind="$2" target="$3" file="$4"
  shift 4
  local args=(--target "$target" -f "$file" "$@")

  run deploy "${args[@]}" --yes --timeout "$WAIT_TIMEOUT"
  if [[ $RC -ne 0 ]]; then
    fail "$name: deploy" "exit $RC (want 0)"
    return 1
  fi
  if [[ $kind == lambda ]]; then
    local url
    url="$(grep -Eo '^url: https?://[^ ]+' "$OUT" | head -1)"
    if [[ -n "$url" ]]; then pass "$name: deploy exits 0 and prints the $url"; else fail "$name: deploy" "exit 0 but no 'url: http…' line on stdout"; fi
  else
    pass "$name: deploy exits 0 ($(grep -Ec '^[a-zA-Z]+: ' "$OUT") outputs: $(grep -Eo '^[a-zA-Z]+:' "$OUT" | tr -d : | tr '\n' ' ' | sed 's/ $//'))"
  fi

  record reset-recording && record start-recording
  run deploy "${args[@]}" --yes --json --timeout "$WAIT_TIMEOUT"
  record stop-recording
  local calls status want=no-changes allowed=""
  if [[ $kind == task ]]; then want="applied run"; allowed=RunTask; fi
  if [[ $RC -ne 0 ]]; then
    fail "$name: second deploy" "exit $RC (want 0)"
  elif ! status="$(json_doc "$OUT" 'd.get("status") + "".join(" " + s for s in sorted({k for k, v in d.get("summary", {}).items() if v and k != "noop"}))' 2>&1)"; then
    fail "$name: second deploy --json" "$status"
  elif [[ "$status" != "$want" ]]; then
    fail "$name: second deploy" "status and actions \"$status\" (want \"$want\")"
  else
    pass "$name: second deploy --json prints one JSON document: $status"
  fi
  if calls="$(mutating_calls "$allowed")"; then
    pass "$name: second deploy sends no mutating call${allowed:+ but $allowed} ($calls)"
  else
    fail "$name: second deploy sends mutating calls" "$calls"
  fi
  record reset-recording

  if [[ $kind == task ]]; then
    run plan "${args[@]}" --json
    local actions
    if [[ $RC -eq 0 ]] && actions="$(json_doc "$OUT" '" ".join(sorted({s["action"] for s in d["steps"]}))' 2>&1)" && [[ "$actions" == run ]]; then
      pass "$name: plan after deploy has no changes but the task run"
    else
      fail "$name: plan after deploy" "exit $RC, step actions \"${actions:-}\" (want only \"run\")"
    fi
  else
    run plan "${args[@]}" --detailed-exitcode
    if [[ $RC -eq 0 ]]; then pass "$name: plan after deploy has no changes (exit 0)"; else fail "$name: plan after deploy" "exit $RC (want 0: no changes)"; fi
  fi
}

check_lambda() {
  local file=examples/hello-lambda/app.yaml name=lambda
  local args=(--target lambda -f "$file")

  run plan "${args[@]}" --json
  local fresh=""
  if [[ $RC -eq 0 ]] && fresh="$(plan_counts "$OUT")"; then :; else fresh=""; fi

  deploy_twice "$name" lambda lambda "$file"

  run destroy "${args[@]}" --yes --timeout "$WAIT_TIMEOUT"
  if [[ $RC -eq 0 ]]; then pass "$name: destroy exits 0"; else fail "$name: destroy" "exit $RC (want 0)"; fi

  run plan "${args[@]}" --destroy --detailed-exitcode
  if [[ $RC -eq 0 ]]; then pass "$name: nothing left to destroy (plan --destroy exit 0)"; else fail "$name: after destroy, plan --destroy" "exit $RC (want 0: nothing left)"; fi

  run plan "${args[@]}" --detailed-exitcode --json
  local after="" steps creates unchanged
  if [[ $RC -eq 2 ]] && after="$(plan_counts "$OUT")"; then
    read -r steps creates unchanged <<<"$after"
    if [[ "$steps" == "$creates" && "$unchanged" == 0 && (-z "$fresh" || "$after" == "$fresh") ]]; then
      pass "$name: plan after destroy shows everything as new again ($creates to create)"
    else
      fail "$name: plan after destroy" "steps/creates/unchanged = $after (before the first deploy: ${fresh:-unknown})"
    fi
  else
    fail "$name: plan after destroy" "exit $RC (want 2: changes)"
  fi

  # a deploy that changes things, in --json: exactly one JSON document on stdout
  run deploy "${args[@]}" --yes --json --timeout "$WAIT_TIMEOUT"
  local out
  if [[ $RC -ne 0 ]]; then
    fail "$name: deploy --json" "exit $RC (want 0)"
  elif ! out="$(json_doc "$OUT" 'd.get("status") + " " + str((d.get("outputs") or {}).get("url"))' 2>&1)"; then
    fail "$name: deploy --json" "$out"
  elif [[ "$out" != "applied http"* ]]; then
    fail "$name: deploy --json" "status and url: $out (want applied and a url)"
  else
    pass "$name: deploy --json (with changes) prints one JSON document (${out})"
  fi
  run destroy "${args[@]}" --yes --json --timeout "$WAIT_TIMEOUT"
  if [[ $RC -eq 0 ]] && out="$(json_doc "$OUT" 'd.get("status")' 2>&1)"; then pass "$name: destroy --json exits 0 with one JSON document ($out)"; else fail "$name: destroy --json" "exit $RC; ${out:-}"; fi
}

# two deploys of one app started together: the deploy lock (a conditional write to moto's DynamoDB)
# lets one apply, then the other plans from what it left and finds nothing to do
check_lambda_concurrent() {
  local file=examples/hello-lambda/app.yaml name="lambda, two deploys at once"
  local args=(--target lambda -f "$file" --yes --timeout "$WAIT_TIMEOUT" --endpoint-url "$ENDPOINT")
  N=$((N + 1))
  local a="$WORK/$N.a" b="$WORK/$N.b"
  ./bin/run.js deploy "${args[@]}" >"$a.stdout" 2>"$a.stderr" &
  local pa=$!
  ./bin/run.js deploy "${args[@]}" >"$b.stdout" 2>"$b.stderr" &
  local pb=$!
  wait "$pa"; local ra=$?
  wait "$pb"; local rb=$?
  OUT="$b.stdout" ERR="$b.stderr"
  printf '%s\n' "two of ./bin/run.js deploy ${args[*]} at once → exit $ra and $rb" >"$WORK/$N.cmd"
  local outcomes
  outcomes="$(cat "$a.stdout" "$b.stdout" | grep -Eo '^(Deployed|No changes)' | sort | tr '\n' ' ')"
  if [[ $ra -eq 0 && $rb -eq 0 && "$outcomes" == "Deployed No changes " ]] && cat "$a.stderr" "$b.stderr" | grep -q 'waiting for the lock on hello (dev)'; then
    pass "$name: one applied, the other waited for the lock and found no changes"
  else
    fail "$name" "exits $ra and $rb, outcomes \"$outcomes\" (want one Deployed and one No changes, after waiting for the lock)"
  fi
  run plan --target lambda -f "$file" --detailed-exitcode
  if [[ $RC -eq 0 ]]; then pass "$name: plan afterwards has no changes"; else fail "$name: plan afterwards" "exit $RC (want 0)"; fi
  run destroy --target lambda -f "$file" --yes --timeout "$WAIT_TIMEOUT"
  if [[ $RC -eq 0 ]]; then pass "$name: destroy exits 0"; else fail "$name: destroy" "exit $RC (want 0)"; fi
}

# secrets: the role's inline policy converges (a redeploy changes nothing), and destroy removes it
# before the role even when app.yaml no longer lists secrets (IAM refuses DeleteRole otherwise)
check_lambda_secrets() {
  local name="lambda secrets" dir="$WORK/hello-secrets"
  mkdir -p "$dir" && cp -R examples/hello-lambda/src "$dir/src"
  sed 's/^name: hello$/name: hello-secrets/' examples/hello-lambda/app.yaml >"$dir/app.yaml"
  printf 'secrets:\n  DB: arn:aws:ssm:us-west-2:123456789012:parameter/shipit-e2e/db\n' >>"$dir/app.yaml"
  local args=(--target lambda -f "$dir/app.yaml")

  run deploy "${args[@]}" --yes --timeout "$WAIT_TIMEOUT"
  if [[ $RC -ne 0 ]]; then
    fail "$name: deploy" "exit $RC (want 0)"
    return
  fi
  run plan "${args[@]}" --detailed-exitcode
  if [[ $RC -eq 0 ]]; then pass "$name: plan after deploy has no changes (the secrets policy converges)"; else fail "$name: plan after deploy" "exit $RC (want 0: no changes)"; fi

  sed -i.bak '/^secrets:/,$d' "$dir/app.yaml"
  run destroy "${args[@]}" --yes --timeout "$WAIT_TIMEOUT"
  if [[ $RC -eq 0 ]]; then pass "$name: destroy after the secrets left app.yaml exits 0"; else fail "$name: destroy after the secrets left app.yaml" "exit $RC (want 0)"; fi
  run plan "${args[@]}" --destroy --detailed-exitcode
  if [[ $RC -eq 0 ]]; then pass "$name: nothing left to destroy"; else fail "$name: after destroy, plan --destroy" "exit $RC (want 0: nothing left)"; fi
}

# run_env VAR=VALUE… -- ARGS…: run, with these environment changes (VAR= unsets)
run_env() {
  local changes=()
  while [[ "$1" != "--" ]]; do
    if [[ "$1" == *= ]]; then changes+=(-u "${1%=}"); else changes+=("$1"); fi
    shift
  done
  shift
  N=$((N + 1))
  OUT="$WORK/$N.stdout" ERR="$WORK/$N.stderr"
  env "${changes[@]}" ./bin/run.js "$@" --endpoint-url "$ENDPOINT" >"$OUT" 2>"$ERR"
  RC=$?
  printf '%s\n' "env ${changes[*]} ./bin/run.js $* --endpoint-url $ENDPOINT  → exit $RC" >"$WORK/$N.cmd"
}

# region and credentials as the aws CLI resolves them (issue 10): AWS_DEFAULT_REGION alone; a profile
# that does not exist (exit 1, never an offline plan); a profile with region and static keys in files
check_credentials() {
  local name=credentials dir="$WORK/hello-creds"
  mkdir -p "$dir" && cp -R examples/hello-lambda/src "$dir/src"
  sed -e 's/^name: hello$/name: hello-creds/' -e '/^region:/d' examples/hello-lambda/app.yaml >"$dir/app.yaml"
  local args=(--target lambda -f "$dir/app.yaml")

  run_env AWS_REGION= AWS_DEFAULT_REGION=eu-west-1 -- plan "${args[@]}" --json
  if [[ $RC -eq 0 ]] && [[ "$(json_doc "$OUT" 'd["region"] + " " + str(d["offline"])')" == "eu-west-1 False" ]]; then
    pass "$name: with only AWS_DEFAULT_REGION, plan reads AWS in that region"
  else fail "$name: AWS_DEFAULT_REGION plan" "exit $RC (want 0, region eu-west-1, online)"; fi
  run_env AWS_REGION= AWS_DEFAULT_REGION=eu-west-1 -- deploy "${args[@]}" --yes --timeout "$WAIT_TIMEOUT"
  if [[ $RC -eq 0 ]]; then pass "$name: with only AWS_DEFAULT_REGION, deploy works"; else fail "$name: AWS_DEFAULT_REGION deploy" "exit $RC (want 0)"; fi

  run_env AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= -- plan "${args[@]}" --profile nope
  if [[ $RC -eq 1 ]] && grep -q "nope" "$ERR" && ! grep -qi "offline\|planned as new" "$OUT" "$ERR"; then
    pass "$name: --profile nope exits 1 naming the profile, no offline plan"
  else fail "$name: --profile nope" "exit $RC (want 1, the profile named, no offline plan)"; fi

  local aws="$WORK/aws-profile"
  mkdir -p "$aws"
  printf '[profile e2e]\nregion = eu-central-1\n' >"$aws/config"
  printf '[e2e]\naws_access_key_id = testing\naws_secret_access_key = testing\n' >"$aws/credentials"
  local profile=(AWS_REGION= AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_CONFIG_FILE="$aws/config" AWS_SHARED_CREDENTIALS_FILE="$aws/credentials")
  run_env "${profile[@]}" -- plan "${args[@]}" --profile e2e --json
  if [[ $RC -eq 0 ]] && [[ "$(json_doc "$OUT" 'd["region"] + " " + str(d["offline"])')" == "eu-central-1 False" ]]; then
    pass "$name: a profile in AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE gives region and keys to plan"
  else fail "$name: profile plan" "exit $RC (want 0, region eu-central-1, online)"; fi
  run_env "${profile[@]}" -- deploy "${args[@]}" --profile e2e --yes --timeout "$WAIT_TIMEOUT"
  if [[ $RC -eq 0 ]]; then pass "$name: deploy with that profile works"; else fail "$name: profile deploy" "exit $RC (want 0)"; fi
  run_env "${profile[@]}" -- destroy "${args[@]}" --profile e2e --yes --timeout "$WAIT_TIMEOUT"
  run_env AWS_REGION= AWS_DEFAULT_REGION=eu-west-1 -- destroy "${args[@]}" --yes --timeout "$WAIT_TIMEOUT"
}

check_container() { # NAME KIND TARGET FILE [ARGS…]
  local name="$1" kind="$2" target="$3" file="$4"
  shift 4
  run plan --target "$target" -f "$file" "$@"
  if grep -q 'not built yet' "$OUT" "$ERR"; then
    skip "$name: the $target target is not built yet"
    return
  fi
  if [[ $RC -ne 0 ]]; then
    fail "$name: plan" "exit $RC (want 0)"
    return
  fi
  if [[ $target == ecs ]]; then
    local cluster out
    cluster="$(sed -n 's/^ *cluster: *\([A-Za-z0-9_-]*\).*/\1/p' "$file" | head -1)"
    if [[ -z "$cluster" ]]; then
      fail "$name: fixture" "no container.cluster in $file"
      return
    fi
    if ! out="$(ecs_capacity "$cluster" 2>&1)"; then
      fail "$name: fixture" "could not register EC2 capacity in moto: $(tail -1 <<<"$out")"
      return
    fi
    echo "     ($out)"
  fi
  deploy_twice "$name" "$kind" "$target" "$file" "$@"
}

check_fargate() {
  check_container fargate service fargate examples/hello-fargate/app.yaml
  check_container "fargate --env task" task fargate examples/hello-fargate/app.yaml --env task
}
check_ecs() { check_container ecs service ecs examples/hello-ecs/app.yaml; }

case "$WHICH" in
  lambda)
    check_lambda
    check_lambda_concurrent
    check_lambda_secrets
    check_credentials
    ;;
  fargate) check_fargate ;;
  ecs) check_ecs ;;
  all)
    check_lambda
    check_lambda_concurrent
    check_lambda_secrets
    check_credentials
    check_fargate
    check_ecs
    ;;
esac

echo "${PASSED} passed, ${FAILED} failed, ${SKIPPED} skipped"
[[ $FAILED -eq 0 ]]
