#!/usr/bin/env bash
# `make stack`: the embedded service (npm start), Prometheus and Alertmanager (Debian binaries) on
# loopback, without Docker. Configs are generated from the committed ones (prometheus/generate.ts);
# data lives under ./data/stack. Ctrl-C stops all three.
#   PORT (3000), STACK_PROMETHEUS_PORT (9090), STACK_ALERTMANAGER_PORT (9093)
#   METRICS_TOKEN      optional; written to the token file Prometheus scrapes with
#   SLACK_WEBHOOK_URL_FILE  optional file holding a Slack incoming-webhook URL; without it alerts
#                      are only shown in Alertmanager's UI (email and the heartbeat are always off here)
set -euo pipefail
cd "$(dirname "$0")/.."

api_port="${PORT:-3000}"
prom_port="${STACK_PROMETHEUS_PORT:-9090}"
am_port="${STACK_ALERTMANAGER_PORT:-9093}"
dir="$PWD/data/stack"
mkdir -p "$dir/render" "$dir/prometheus" "$dir/alertmanager"

# Written fresh each run so a token from an earlier run never lingers; empty means no token.
umask 077
printf '%s' "${METRICS_TOKEN:-}" > "$dir/metrics-token"
umask 022
node --import tsx prometheus/generate.ts stack "$dir" "$api_port" "$prom_port" "$am_port" "${SLACK_WEBHOOK_URL_FILE:-}"

# Job control puts each child in its own process group, so stopping `npm start` also stops the node
# process npm spawned (npm does not forward SIGTERM to it).
set -m
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stack: stopped"
}
trap stop INT TERM EXIT

PORT="$api_port" HOST=127.0.0.1 RENDER_DATA_DIR="$dir/render" npm start --silent &
pids+=($!)
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prometheus" \
  --web.listen-address="127.0.0.1:$prom_port" --web.enable-lifecycle --enable-feature=exemplar-storage --log.level=warn &
pids+=($!)
# An empty cluster address keeps Alertmanager from opening its gossip port on every interface.
prometheus-alertmanager --config.file="$dir/alertmanager.yml" --storage.path="$dir/alertmanager" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= --log.level=warn &
pids+=($!)

echo "stack: service      http://127.0.0.1:$api_port  (metrics /api/metrics)"
echo "stack: prometheus   http://127.0.0.1:$prom_port/alerts"
echo "stack: alertmanager http://127.0.0.1:$am_port"
echo "stack: Ctrl-C stops all three"
# Any one exiting stops the others: a half-running stack would mislead.
wait -n "${pids[@]}"
