#!/usr/bin/env bash
# `npm test`: format check, lint, type-check, then every test (unit, conformance, integration, end to end)
# against real services: the local Postgres and Redis, and a Ceph RGW S3 server that this script
# starts and stops itself. `npm test -- FILE...` runs only the given test files.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -f server/generated/prisma/client.ts ]] || npx prisma generate >/dev/null
node scripts/build.mjs # every time (~0.3 s): a stale bundle would test old code

if (($#)); then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort); fi

# The S3 test server and, for the browser tests, Chromium are started and installed in the
# background while the static checks run: they wait on the disk and the network, the checks on the
# CPU (together ~1 minute less than one after the other).
SETUP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/datasafe-test-setup.XXXXXX")
RGW_DIR=""
cleanup() {
  [[ -z $RGW_DIR ]] || test/support/ceph-rgw.sh stop "$RGW_DIR" >/dev/null 2>&1 || true
  rm -rf "$SETUP_DIR"
}
trap cleanup EXIT
if [[ -z ${S3_ENDPOINT:-} ]]; then
  RGW_DIR=$(mktemp -d "${TMPDIR:-/tmp}/datasafe-rgw.XXXXXX")
  echo "== starting the S3 test server (Ceph RGW) in the background"
  test/support/ceph-rgw.sh start "$RGW_DIR" >"$SETUP_DIR/s3env" 2>"$SETUP_DIR/s3.log" &
  s3_pid=$!
fi
# The browser tests (test/web/) drive Debian's Chromium through playwright-core: installed from
# Debian's packages when missing (~1 minute, once), never a browser download.
chromium_pid=""
if [[ " ${files[*]} " == *"test/web/"* ]] && ! command -v chromium >/dev/null; then
  echo "== installing Chromium (Debian package) in the background"
  sudo=(); ((EUID == 0)) || sudo=(sudo -n)
  (
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -q chromium || { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q chromium; }
  ) >"$SETUP_DIR/chromium.log" 2>&1 &
  chromium_pid=$!
fi

echo "== format and lint"
npx prettier --check --log-level warn "**/*.{ts,mjs,js}" &
format_pid=$!
npx eslint .
wait "$format_pid"
echo "== type-check"; npx tsc --noEmit

if [[ -n $RGW_DIR ]]; then
  if wait "$s3_pid"; then
    cat "$SETUP_DIR/s3.log" >&2
    set -a; eval "$(cat "$SETUP_DIR/s3env")"; set +a
  elif cat "$SETUP_DIR/s3.log" >&2 && [[ ${CI:-} == true ]]; then
    echo "the S3 test server could not be started; S3 tests cannot be skipped under CI=true" >&2
    exit 1
  else
    echo "WARNING: no S3 test server: the S3 tests will be SKIPPED (they fail under CI=true)" >&2
  fi
fi
if [[ -n $chromium_pid ]] && ! wait "$chromium_pid"; then
  cat "$SETUP_DIR/chromium.log" >&2
  echo "Chromium could not be installed from Debian's packages" >&2
  exit 1
fi

echo "== tests (${#files[@]} files)"
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
