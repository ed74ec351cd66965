# Shared by scripts/e2e-moto.sh and scripts/e2e-runbook-moto.sh (sourced, not run): moto_server on
# 127.0.0.1 with the shims for moto's gaps (listed in e2e-moto.sh), a work directory, the build,
# dummy credentials, and the EC2 capacity the ecs target needs. Nothing here contacts anything but
# the local moto_server.

# moto_require: PYTHON (the interpreter itself, not a pyenv shim: each shim call costs a few hundred ms)
# and MOTO_VERSION; exits 1 when python3 cannot import moto[server]
moto_require() {
  command -v python3 >/dev/null || { echo "FAIL setup: python3 not found" >&2; exit 1; }
  PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
  MOTO_VERSION="$("$PYTHON" -c 'import moto, flask; print(moto.__version__)' 2>/dev/null)" || { echo "FAIL setup: python3 cannot import moto and flask (need moto[server])" >&2; exit 1; }
}

# moto_workdir NAME: WORK, a fresh directory removed on exit (KEEP_WORK=1 keeps it), with moto stopped
moto_workdir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  MOTO_PID=""
  trap moto_cleanup EXIT
  trap 'exit 130' INT TERM
}
moto_cleanup() {
  if [[ -n "$MOTO_PID" ]] && kill -0 "$MOTO_PID" 2>/dev/null; then
    kill "$MOTO_PID" 2>/dev/null
    wait "$MOTO_PID" 2>/dev/null
  fi
  if [[ "${KEEP_WORK:-0}" == 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}

# moto_start [RECORDING]: moto_server on a free port of 127.0.0.1 (PORT, ENDPOINT, MOTO_PID), with its
# managed IAM policies, one running task per ECS service, no docker for Lambda, and the shims unless
# MOTO_SHIMS=0; RECORDING: a file where moto records every request (moto-api/recorder)
moto_start() {
  PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  ENDPOINT="http://127.0.0.1:$PORT"
  moto_server_py
  env MOTO_IAM_LOAD_MANAGED_POLICIES=true \
    MOTO_ECS_SERVICE_RUNNING=1 \
    ${1:+MOTO_RECORDER_FILEPATH="$1"} \
    "$PYTHON" "$WORK/moto_server.py" "$PORT" >"$WORK/moto.log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
      echo "FAIL setup: moto_server exited:" >&2
      sed 's/^/    /' "$WORK/moto.log" >&2
      exit 1
    fi
    moto_api GET /moto-api/ >/dev/null 2>&1 && break
    sleep 0.2
  done
  moto_api GET /moto-api/ >/dev/null 2>&1 || { echo "FAIL setup: moto did not answer on $ENDPOINT" >&2; exit 1; }
  moto_api POST /moto-api/config '{"lambda": {"use_docker": false}}' >/dev/null || { echo "FAIL setup: could not configure moto" >&2; exit 1; }
}

# ---- moto, with the shims for its gaps (see scripts/e2e-moto.sh) ----------------------------------
moto_server_py() {
  cat >"$WORK/moto_server.py" <<'PY'
import os
import sys

if os.environ.get("MOTO_SHIMS", "1") != "0":
    from moto.awslambda import models as lambda_models

    # AWS always returns LoggingConfig; moto 5.2 drops it. Store it and return it as AWS does.
    def merged_logging(update, function_name, current):
        base = current or {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"}
        out = {**base, **(update or {})}
        if out.get("LogFormat") == "JSON":
            out.setdefault("ApplicationLogLevel", "INFO")
            out.setdefault("SystemLogLevel", "INFO")
        return out

    Fn = lambda_models.LambdaFunction
    orig_init, orig_get, orig_update = Fn.__init__, Fn.get_configuration, Fn.update_configuration

    def __init__(self, account_id, spec, *args, **kwargs):
        orig_init(self, account_id, spec, *args, **kwargs)
        self.shim_logging_config = merged_logging(spec.get("LoggingConfig"), self.function_name, None)

    def get_configuration(self, *args, **kwargs):
        config = orig_get(self, *args, **kwargs)
        config["LoggingConfig"] = dict(getattr(self, "shim_logging_config", None) or merged_logging(None, self.function_name, None))
        return config

    def update_configuration(self, updates):
        if "LoggingConfig" in updates:
            # a new dict: published versions (shallow copies) keep theirs
            self.shim_logging_config = merged_logging(updates["LoggingConfig"], self.function_name, getattr(self, "shim_logging_config", None))
        return orig_update(self, updates)

    Fn.__init__, Fn.get_configuration, Fn.update_configuration = __init__, get_configuration, update_configuration

    from moto.ecs import responses as ecs_responses

    # AWS keeps CreateService's deploymentConfiguration (and returns defaults for the rest); moto 5.2 drops it.
    orig_create_service = ecs_responses.EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = orig_create_service(self)
        service = result.result["service"]
        sent = self._get_param("deploymentConfiguration") or {}
        service.deployment_configuration = {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            **sent,
        }
        return result

    ecs_responses.EC2ContainerServiceResponse.create_service = create_service

from moto.server import main

main(["-H", "127.0.0.1", "-p", sys.argv[1]])
PY
}

moto_api() { # METHOD PATH [BODY]: moto's own API (config, recorder), on 127.0.0.1 only
  if command -v curl >/dev/null; then
    curl -fsS --max-time 5 -X "$1" ${3+--data "$3"} "$ENDPOINT$2"
  else
    "$PYTHON" - "$ENDPOINT" "$@" <<'PY'
import sys, urllib.request
endpoint, method, path = sys.argv[1:4]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
with urllib.request.urlopen(urllib.request.Request(endpoint + path, data=data, method=method), timeout=5) as r:
    sys.stdout.write(r.read().decode("utf-8", "replace"))
PY
  fi
}

# shipit_build: dist/ as the sources are now (the build swaps files in place: a shipit running
# meanwhile is not disturbed)
shipit_build() {
  npm run build >"$WORK/build.log" 2>&1 || { echo "FAIL setup: npm run build" >&2; sed 's/^/    /' "$WORK/build.log" >&2; exit 1; }
}

# dummy_credentials: only the dummy credentials and moto: no profile, no real config, no CI step summary
dummy_credentials() {
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-west-2 AWS_EC2_METADATA_DISABLED=true
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_DEFAULT_REGION GITHUB_STEP_SUMMARY
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
}

# ecs_capacity CLUSTER [register-only]: the EC2 capacity the ecs target needs: the cluster (unless
# register-only) with one registered EC2 instance
ecs_capacity() {
  "$PYTHON" - "$ENDPOINT" "$1" "${2:-}" <<'PY'
import json, sys
import boto3
endpoint, cluster, register_only = sys.argv[1], sys.argv[2], sys.argv[3]
kw = dict(endpoint_url=endpoint, region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")
ec2, ecs = boto3.client("ec2", **kw), boto3.client("ecs", **kw)
if not register_only:
    ecs.create_cluster(clusterName=cluster)
ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
instance = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.medium")["Instances"][0]
document = {"instanceId": instance["InstanceId"], "region": "us-west-2", "instanceType": "t3.medium", "imageId": ami, "availabilityZone": instance["Placement"]["AvailabilityZone"]}
ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=json.dumps(document))
print(f"cluster {cluster} with EC2 instance {instance['InstanceId']} registered")
PY
}
