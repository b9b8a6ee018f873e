#!/usr/bin/env bash
# Runs a command with a throwaway Redis on a free loopback port, exported as REDIS_TEST_URL, and
# stops Redis afterwards whatever the command's outcome.
set -euo pipefail
port="${REDIS_TEST_PORT:-6390}"
dir="$(mktemp -d)"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize yes \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
cleanup() {
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  sleep 0.2
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
export REDIS_TEST_URL="redis://127.0.0.1:$port"
"$@"
