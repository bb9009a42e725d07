#!/usr/bin/env bash
# `npm test`: format check, lint, type-check, then every test (unit, conformance, integration, end to end)
# against real services: the local Postgres and Redis, and a Ceph RGW S3 server that this script
# starts and stops itself. `npm test -- FILE...` runs only the given test files.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -f server/generated/prisma/client.ts ]] || npx prisma generate >/dev/null
node scripts/build.mjs # every time (~0.3 s): a stale bundle would test old code

echo "== format"; npx prettier --check --log-level warn "**/*.{ts,mjs,js}"
echo "== lint"; npx eslint .
echo "== type-check"; npx tsc --noEmit

if [[ -z ${S3_ENDPOINT:-} ]]; then
  RGW_DIR=$(mktemp -d "${TMPDIR:-/tmp}/datasafe-rgw.XXXXXX")
  trap 'test/support/ceph-rgw.sh stop "$RGW_DIR" >/dev/null 2>&1 || true' EXIT
  echo "== starting the S3 test server (Ceph RGW)"
  if s3env=$(test/support/ceph-rgw.sh start "$RGW_DIR"); then
    set -a; eval "$s3env"; set +a
  elif [[ ${CI:-} == true ]]; then
    echo "the S3 test server could not be started; S3 tests cannot be skipped under CI=true" >&2
    exit 1
  else
    echo "WARNING: no S3 test server: the S3 tests will be SKIPPED (they fail under CI=true)" >&2
  fi
fi

if (($#)); then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort); fi
# The browser tests (test/web/) drive Debian's Chromium through playwright-core: installed from
# Debian's packages when missing (~1 minute, once), never a browser download.
if [[ " ${files[*]} " == *"test/web/"* ]] && ! command -v chromium >/dev/null; then
  echo "== installing Chromium (Debian package)"
  sudo=(); ((EUID == 0)) || sudo=(sudo -n)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q chromium >/dev/null || { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q chromium >/dev/null; }
fi

echo "== tests (${#files[@]} files)"
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
