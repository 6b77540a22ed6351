#!/usr/bin/env bash
# Sourced after toolchain.sh. Provides the official AWS Lambda Runtime
# Interface Emulator (aws-lambda-rie), which the rehearsal runs once per
# execution environment. It is built from source with `go install` into the
# git-ignored .toolchain/go/bin, so nothing prebuilt is downloaded and nothing
# of its code lands in this repository.
#
# Pinned to a commit, not a tag: the emulator's tags (v1.x) are not semver
# module versions, so the Go module proxy serves it only as a pseudo-version.
# Bump PM_RIE_VERSION to the pseudo-version of a newer commit with
#   go list -m github.com/aws/aws-lambda-runtime-interface-emulator@<commit>

PM_RIE_MODULE="github.com/aws/aws-lambda-runtime-interface-emulator"
PM_RIE_VERSION="${PM_RIE_VERSION:-v0.0.0-20261030222936-bef5c4ba774d}"
PM_RIE_BIN_DIR="$PM_ROOT/.toolchain/go/bin"

pm_ensure_rie() {
  local bin="$PM_RIE_BIN_DIR/aws-lambda-rie"
  local stamp="$PM_RIE_BIN_DIR/.aws-lambda-rie.version"
  if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$PM_RIE_VERSION" ]; then
    export PM_RIE="$bin"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    pm_log "go is not on PATH: the rehearsal builds the Lambda Runtime Interface Emulator with 'go install' (Go >= 1.25)"
    return 1
  fi
  pm_log "building aws-lambda-rie $PM_RIE_VERSION with $(go version | cut -d' ' -f3)"
  mkdir -p "$PM_RIE_BIN_DIR"
  # GOFLAGS is replaced, not inherited: a machine-wide -mod=vendor would make
  # `go install pkg@version` fail.
  GOBIN="$PM_RIE_BIN_DIR" GOFLAGS=-mod=mod \
    go install "$PM_RIE_MODULE/cmd/aws-lambda-rie@$PM_RIE_VERSION"
  echo "$PM_RIE_VERSION" > "$stamp"
  export PM_RIE="$bin"
}
