#!/usr/bin/env bash
# Sourced after toolchain.sh (or on its own). Provides the Pulumi CLI that the
# engine rehearsal (rehearsal/engine) and its tests drive through the Node
# Automation API. Nothing prebuilt is downloaded: the CLI is built from the Go
# module proxy, the only source of it this project's machines can reach.
#
# Why it is built this way (checked on this machine kind, issue 13):
# - `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v3.274.1` is refused:
#   pkg/go.mod carries `replace github.com/pulumi/pulumi/sdk/v3 => ../sdk`, and
#   `go install pkg@version` rejects modules with replace directives. So both
#   modules are downloaded (`go mod download -json`), copied side by side into a
#   writable directory (the module cache is read-only) so the replace resolves,
#   and `go build ./cmd/pulumi` runs inside pkg.
# - The version is stamped with -ldflags -X ...version.Version; without it
#   `pulumi version` prints an empty string and the Automation API, which parses
#   it, refuses the CLI.
# - The build takes ~9 minutes and ~2.3 GB of memory on 2 cores. The binary is
#   cached OUTSIDE the checkout, keyed by version, so every checkout on the
#   machine (and CI on it) reuses it; it is never committed.
# (No `set -e` here: this file is sourced, and must not change the caller's shell options.)

PM_PULUMI_VERSION="${PM_PULUMI_VERSION:-v3.274.1}"
PM_PULUMI_CACHE="${PM_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-mangum/pulumi-cli/$PM_PULUMI_VERSION}"

if ! declare -F pm_log >/dev/null 2>&1; then
  pm_log() {
    if [ -t 2 ]; then printf '\033[2m[pulumi-mangum]\033[0m %s\n' "$*" >&2; else printf '[pulumi-mangum] %s\n' "$*" >&2; fi
  }
fi

# True when $1 is a pulumi binary that reports exactly $PM_PULUMI_VERSION.
pm_pulumi_cli_ok() {
  [ -x "$1" ] || return 1
  local v
  v="$("$1" version 2>/dev/null | tr -d '[:space:]')"
  [ "$v" = "$PM_PULUMI_VERSION" ]
}

pm_ensure_pulumi_cli() {
  local bin="$PM_PULUMI_CACHE/pulumi"
  if pm_pulumi_cli_ok "$bin"; then
    export PM_PULUMI="$bin"
    case ":$PATH:" in *":$PM_PULUMI_CACHE:"*) ;; *) export PATH="$PM_PULUMI_CACHE:$PATH" ;; esac
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    pm_log "go is not on PATH: the Pulumi CLI $PM_PULUMI_VERSION is built from the Go module proxy (Go >= 1.25 needed)"
    return 1
  fi
  mkdir -p "$PM_PULUMI_CACHE" || return 1
  # One build at a time per machine: parallel test runners and a rehearsal
  # started together must not each spend 2.3 GB building the same binary.
  local lock="$PM_PULUMI_CACHE/.build.lock"
  (
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$lock"
      if ! flock -n 9; then
        pm_log "another process is building the Pulumi CLI $PM_PULUMI_VERSION; waiting for it"
        flock 9
      fi
    fi
    # The other process may have finished it while we waited.
    pm_pulumi_cli_ok "$bin" && exit 0
    pm_pulumi_cli_build "$bin"
  ) || return 1
  pm_pulumi_cli_ok "$bin" || { pm_log "built Pulumi CLI does not report $PM_PULUMI_VERSION"; return 1; }
  export PM_PULUMI="$bin"
  case ":$PATH:" in *":$PM_PULUMI_CACHE:"*) ;; *) export PATH="$PM_PULUMI_CACHE:$PATH" ;; esac
}

# Builds into a scratch directory, then moves the binary into the cache in one
# rename, so an interrupted build never leaves a half-written `pulumi` behind.
pm_pulumi_cli_build() {
  local bin="$1" work mod dir started log rc pid
  work="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cli-build.XXXXXX")" || return 1
  log="$PM_PULUMI_CACHE/build.log"
  : > "$log"
  started=$(date +%s)
  pm_log "building the Pulumi CLI $PM_PULUMI_VERSION from the Go module proxy with $(go version | cut -d' ' -f3) (~9 min, ~2.3 GB on 2 cores; once per machine; log: $log)"
  for mod in pkg sdk; do
    # GOFLAGS is replaced, not inherited: a machine-wide -mod=vendor breaks module downloads.
    dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/pulumi/pulumi/$mod/v3@$PM_PULUMI_VERSION" 2>>"$log" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then
      pm_log "go mod download of github.com/pulumi/pulumi/$mod/v3@$PM_PULUMI_VERSION failed (see $log)"
      rm -rf "$work"; return 1
    fi
    cp -R "$dir" "$work/$mod" && chmod -R u+w "$work/$mod" || { rm -rf "$work"; return 1; }
  done
  (
    cd "$work/pkg" &&
      GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -o "$work/pulumi" \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PM_PULUMI_VERSION" \
        ./cmd/pulumi
  ) >>"$log" 2>&1 &
  pid=$!
  # Progress line: a silent 9-minute step looks like a hang.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if [ -t 2 ]; then
      printf '\r\033[2m[pulumi-mangum]\033[0m building pulumi %s ... %ds ' "$PM_PULUMI_VERSION" "$(( $(date +%s) - started ))" >&2
    elif [ $(( ($(date +%s) - started) % 60 )) -lt 5 ]; then
      pm_log "building pulumi $PM_PULUMI_VERSION ... $(( $(date +%s) - started ))s"
    fi
  done
  wait "$pid"; rc=$?
  [ -t 2 ] && printf '\n' >&2
  if [ "$rc" -ne 0 ] || [ ! -x "$work/pulumi" ]; then
    pm_log "building the Pulumi CLI failed (exit $rc); last lines of $log:"
    tail -n 20 "$log" >&2
    rm -rf "$work"; return 1
  fi
  mv -f "$work/pulumi" "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin"
  rm -rf "$work"
  pm_log "built the Pulumi CLI $PM_PULUMI_VERSION in $(( $(date +%s) - started ))s: $bin"
}

# The YAML language host, for the engine rehearsal's YAML program (issue 13):
# github.com/pulumi/pulumi-yaml has no replace directive, so `go install` works.
# Installed next to the CLI (the CLI looks for pulumi-language-yaml on PATH).
PM_PULUMI_YAML_VERSION="${PM_PULUMI_YAML_VERSION:-v1.25.0}"

pm_ensure_pulumi_language_yaml() {
  local dir="$PM_PULUMI_CACHE/language-yaml-$PM_PULUMI_YAML_VERSION"
  local bin="$dir/pulumi-language-yaml"
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null 2>&1 || { pm_log "go is not on PATH: pulumi-language-yaml is built from the Go module proxy"; return 1; }
    mkdir -p "$dir" || return 1
    local started=$(date +%s)
    pm_log "building pulumi-language-yaml $PM_PULUMI_YAML_VERSION from the Go module proxy (several minutes, once per machine)"
    GOBIN="$dir" GOFLAGS="-mod=mod -buildvcs=false" go install -trimpath "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$PM_PULUMI_YAML_VERSION" || return 1
    pm_log "built pulumi-language-yaml in $(( $(date +%s) - started ))s: $bin"
  fi
  export PM_PULUMI_LANGUAGE_YAML="$bin"
  case ":$PATH:" in *":$dir:"*) ;; *) export PATH="$dir:$PATH" ;; esac
}
