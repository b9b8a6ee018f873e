#!/usr/bin/env bash
# `make stack`: the whole stack without Docker, on loopback (stack/main.ts says what and where).
# Every part is started by stack/launch.ts from the committed configs; binaries come from
# scripts/stack-bin.sh (built once into the cache outside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/node --import tsx stack/main.ts
