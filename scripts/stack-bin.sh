#!/usr/bin/env bash
# scripts/stack-bin.sh PART — prints the absolute path of a stack part's binary, building it first
# when the cache lacks it. PART: otelcol, prometheus, promtool, toxiproxy-server (tempo, grafana and
# loki are refused with the reason, exit 3, unless STACK_TEMPO_BIN / STACK_GRAFANA_BIN /
# STACK_LOKI_BIN names a binary had elsewhere: README, "Stack parts").
#
# Binaries are built with the ordinary go client from their Go modules at the versions of
# stack/versions.env, once per version, into a cache outside the repository:
#   ${RENDER_O11Y_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/render-o11y}/stack/<part>-<version>[-<hash>]/
# where <hash> is that of the manifest the binary is built from (the collector's builder-config.yaml,
# a tools module's go.mod + go.sum), so editing the manifest builds anew. What it builds and how long
# that took goes to stderr; stdout carries only the path. A failed build names the part and shows
# Go's error; nothing half-built is ever reused (a build lands in its folder by one rename).
#   STACK_BUILD_JOBS  go build -p (default 2: the machines this runs on have two cores)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
part="${1:-}"

# shellcheck source=../stack/versions.env
. "$repo/stack/versions.env"
cache="${RENDER_O11Y_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/render-o11y}/stack"
go_min=1.26

say() { echo "stack-bin: $*" >&2; }
hash_of() { cat "$@" | sha256sum | cut -c1-12; }

refuse() {
  # A binary had elsewhere may be named instead (README, "Stack parts"): STACK_TEMPO_BIN, ...
  local var
  var="STACK_$(printf '%s' "$part" | tr 'a-z-' 'A-Z_')_BIN"
  if [ -n "${!var:-}" ]; then
    if [ -x "${!var}" ]; then
      echo "$(cd "$(dirname "${!var}")" && pwd)/$(basename "${!var}")"
      exit 0
    fi
    say "$part: $var=${!var} is not an executable file"
    exit 1
  fi
  say "$part $1 cannot be built here: $2"
  say "see README.md, \"Stack parts\" (the compose stack runs its image)"
  exit 3
}

# --summary: one line naming the version of every part make test and make stack run (each built
# first if missing); Alertmanager is Debian's.
if [ "$part" = --summary ]; then
  line="stack parts:"
  for p in otelcol prometheus promtool toxiproxy-server; do
    bin="$("$0" "$p")"
    line="$line $p $(basename "$(dirname "$bin")" | sed "s/^$p-//; s/-[0-9a-f]\{12\}\$//"),"
  done
  am="$(prometheus-alertmanager --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -n1)"
  echo "$line alertmanager ${am:-missing} (Debian's); the collector built from otel-collector/builder-config.yaml"
  exit 0
fi

case "$part" in
  otelcol)
    version="$COLLECTOR_VERSION"; bin=otelcol
    key="otelcol-$version-$(hash_of "$repo/otel-collector/builder-config.yaml")" ;;
  prometheus | promtool)
    version="$PROMETHEUS_VERSION"; bin="$part"
    # Prometheus's own build tag: without the service-discovery plugins (AWS, Azure, GCE,
    # Kubernetes, ...), which nothing here uses and which are most of its cold build time and memory
    # (the AWS EC2 package alone needs about 3 GB to compile); static and file discovery stay.
    tags=remove_all_sd
    key="$part-$version-$( (cat "$repo/stack/tools/prometheus/go.mod" "$repo/stack/tools/prometheus/go.sum"; echo "$tags") | sha256sum | cut -c1-12)" ;;
  toxiproxy-server)
    version="$TOXIPROXY_VERSION"; bin=toxiproxy-server
    key="toxiproxy-server-$version" ;;
  tempo)
    refuse "$TEMPO_VERSION" "the Go module proxy refuses github.com/grafana/tempo (AGPL-licensed; not served to this project)" ;;
  grafana)
    refuse "$GRAFANA_VERSION" "the Go module proxy refuses github.com/grafana/grafana (AGPL-licensed; not served to this project)" ;;
  loki)
    refuse "$LOKI_VERSION" "github.com/grafana/loki/v3 is AGPL-licensed and listed as not to be used by this project" ;;
  *)
    echo "usage: scripts/stack-bin.sh otelcol|prometheus|promtool|toxiproxy-server" >&2
    exit 2 ;;
esac

dir="$cache/$key"
if [ -x "$dir/$bin" ]; then
  echo "$dir/$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  say "$part: the go command is missing; the stack is built with Go >= $go_min (Debian's golang package is older)"
  exit 1
fi
have="$(go env GOVERSION | sed 's/^go//')"
if [ "$(printf '%s\n%s\n' "$go_min" "$have" | sort -V | head -n1)" != "$go_min" ]; then
  say "$part: Go $have is older than the $go_min the stack's modules need"
  exit 1
fi

mkdir -p "$cache"
# One build per part at a time, even when parallel test workers all ask at once: the second waits
# for the first and then finds the binary.
exec 9>"$cache/.lock-$part"
flock 9
if [ -x "$dir/$bin" ]; then
  echo "$dir/$bin"
  exit 0
fi

tmp="$dir.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
log="$tmp/build.log"
# Local toolchain only (no toolchain download); -trimpath and -s -w keep the binaries small and free
# of this machine's paths.
export GOTOOLCHAIN=local GOFLAGS="-trimpath -mod=readonly"
jobs="${STACK_BUILD_JOBS:-2}"
ldflags="-s -w"

build() {
  case "$part" in
    otelcol)
      builder_dir="$cache/builder-$COLLECTOR_VERSION"
      if [ ! -x "$builder_dir/builder" ]; then
        GOBIN="$builder_dir" GOFLAGS=-trimpath go install -ldflags="$ldflags" \
          "go.opentelemetry.io/collector/cmd/builder@v$COLLECTOR_VERSION"
      fi
      # The manifest's output_path (./dist) is relative to where the builder runs.
      (cd "$tmp" && GOFLAGS="-p=$jobs" "$builder_dir/builder" --config="$repo/otel-collector/builder-config.yaml")
      mv "$tmp/dist/otelcol" "$tmp/otelcol"
      rm -rf "$tmp/dist" ;;
    prometheus | promtool)
      (cd "$repo/stack/tools/prometheus" && go build -p "$jobs" -tags "$tags" -o "$tmp/$bin" \
        -ldflags="$ldflags -X github.com/prometheus/common/version.Version=$version -X github.com/prometheus/common/version.Branch=HEAD" \
        "github.com/prometheus/prometheus/cmd/$part") ;;
    toxiproxy-server)
      # No replace directive in its go.mod, so go install at the release works as is.
      (cd "$tmp" && GOBIN="$tmp" go install -p "$jobs" \
        -ldflags="$ldflags -X github.com/Shopify/toxiproxy/v2.Version=$version" \
        "github.com/Shopify/toxiproxy/v2/cmd/server@v$version")
      mv "$tmp/server" "$tmp/toxiproxy-server" ;;
  esac
}

say "building $part $version (once; cached in $dir)"
start=$(date +%s)
if ! build >"$log" 2>&1; then
  say "building $part $version FAILED; Go said:"
  grep -v '^go: downloading ' "$log" | tail -n 60 >&2
  say "full log: $log"
  exit 1
fi
rm -f "$log"
rm -rf "$dir"
mv "$tmp" "$dir"
say "built $part $version in $(($(date +%s) - start)) s"
echo "$dir/$bin"
