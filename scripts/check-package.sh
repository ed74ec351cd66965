#!/usr/bin/env bash
# The package as users get it: `npm pack` (what `files` in package.json publishes), installed the way
# `npm install -g` installs it — production dependencies only, into an empty prefix, outside the clone —
# then run: --version, validate, help, a typo, and an offline plan of each kind of target.
# Packages come from the local npm cache when it has them (--prefer-offline), else from the registry.
# Prints the installed size. Run by .ci/run; usage: scripts/check-package.sh [NODE]
set -euo pipefail
cd "$(dirname "$0")/.."
node_bin=${1:-node}
work=$(mktemp -d "${TMPDIR:-/tmp}/shipit-package-XXXXXX")
trap 'rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
npm install --global --prefix "$work/prefix" --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error "$work/$tarball" >/dev/null

# a user's machine: no AWS configuration, no clone, the examples copied elsewhere
export HOME="$work/home" NO_COLOR=1
mkdir -p "$HOME" "$work/apps"
unset CI NODE_ENV "${!AWS_@}"
cp -R examples/hello-lambda examples/hello-fargate "$work/apps/"
shipit() { "$node_bin" "$work/prefix/bin/shipit" "$@"; }

fail() { echo "check-package: $*" >&2; exit 1; }
expect_in() { # WHAT TEXT
  case "$2" in *"$1"*) ;; *) fail "expected '$1' in: $2" ;; esac
}

cd "$work/apps"
expect_in "shipit/" "$(shipit --version)"
expect_in "valid" "$(shipit validate -f hello-lambda/app.yaml)"
expect_in "deploy" "$(shipit --help)"
set +e
typo=$(shipit deplooy 2>&1)
code=$?
set -e
[ "$code" = 3 ] || fail "shipit deplooy exited $code: $typo"
expect_in "did you mean deploy" "$typo"
expect_in "+ lambda:function hello-dev" "$(shipit plan --offline --target lambda -f hello-lambda/app.yaml 2>/dev/null)"
expect_in "+ ecs:service hello-fargate-dev" "$(shipit plan --offline --target fargate -f hello-fargate/app.yaml 2>/dev/null)"

size=$(du -sk "$work/prefix/lib/node_modules/shipit" | cut -f1)
files=$(find "$work/prefix/lib/node_modules/shipit" -type f | wc -l)
echo "package: $tarball installed with production dependencies only: $((size / 1024)) MB, $files files; --version, validate, help, a typo and offline plans work"
