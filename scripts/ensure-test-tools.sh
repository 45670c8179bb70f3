#!/usr/bin/env bash
# Install what the test suite needs from Debian's packages when it is missing (as root only).
set -euo pipefail

need=()
# The server binaries (initdb, pg_ctl), not just the client: the suite starts its own cluster.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
  if [ -z "${LEADFLOW_TEST_POSTGRES_URL:-}" ]; then
    need+=(postgresql)
  fi
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${need[*]}: install them (apt-get install -y ${need[*]}) or run as root" >&2
    exit 1
  fi
  echo "installing ${need[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
