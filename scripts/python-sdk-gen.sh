#!/usr/bin/env bash
# Sourced after toolchain.sh and pulumi-cli.sh. Provides what `pulumi package gen-sdk
# --language python` and the Python example's tests need here (tests/schema-cli.test.ts):
#
# - pm_ensure_python_sdk_gen: the CLI hands Python code generation to a language plugin,
#   pulumi-language-python, and that plugin's module is not on the Go module proxy (403);
#   pkg/v3's codegen/python, which it runs, is. scripts/python-sdk-gen/main.go is a stand-in
#   plugin with the real host's GeneratePackage, built at the CLI's version (go.sum
#   committed) into the cache, outside the checkout. About a minute once the CLI's build
#   cache is warm. Exports PM_PYTHON_SDK_GEN_DIR (put it on PATH).
# - pm_ensure_python_sdk_venv: a virtualenv with examples/python-fastapi's pinned
#   requirements (the `pulumi` and `pulumi-aws` PyPI packages) plus the pinned setuptools and
#   wheel that install a generated SDK, keyed by the requirements' hash. Exports PM_SDK_PYTHON.
# (No `set -e` here: this file is sourced.)

PM_PYTHON_SDK_GEN_CACHE="${PM_PYTHON_SDK_GEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-mangum/python-sdk-gen/${PM_PULUMI_VERSION:-v3.274.1}}"

pm_ensure_python_sdk_gen() {
  local root src bin work
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  src="$root/scripts/python-sdk-gen"
  bin="$PM_PYTHON_SDK_GEN_CACHE/pulumi-language-python"
  local stamp
  stamp="$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)"
  if [ -x "$bin" ] && [ "$(cat "$PM_PYTHON_SDK_GEN_CACHE/.source" 2>/dev/null)" = "$stamp" ]; then
    export PM_PYTHON_SDK_GEN_DIR="$PM_PYTHON_SDK_GEN_CACHE"
    return 0
  fi
  command -v go >/dev/null 2>&1 || { echo "[pulumi-mangum] go is not on PATH: the Python code generator is built from the Go module proxy" >&2; return 1; }
  mkdir -p "$PM_PYTHON_SDK_GEN_CACHE" || return 1
  (
    if command -v flock >/dev/null 2>&1; then exec 9>"$PM_PYTHON_SDK_GEN_CACHE/.build.lock"; flock 9; fi
    [ -x "$bin" ] && [ "$(cat "$PM_PYTHON_SDK_GEN_CACHE/.source" 2>/dev/null)" = "$stamp" ] && exit 0
    work="$(mktemp -d "${TMPDIR:-/tmp}/python-sdk-gen.XXXXXX")" || exit 1
    cp "$src/main.go" "$src/go.mod" "$src/go.sum" "$work/" || exit 1
    ( cd "$work" && GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath \
        -ldflags "-X main.version=${PM_PULUMI_VERSION#v}" -o "$work/pulumi-language-python" . ) \
      >"$PM_PYTHON_SDK_GEN_CACHE/build.log" 2>&1 || { tail -n 20 "$PM_PYTHON_SDK_GEN_CACHE/build.log" >&2; rm -rf "$work"; exit 1; }
    mv -f "$work/pulumi-language-python" "$bin" && echo "$stamp" > "$PM_PYTHON_SDK_GEN_CACHE/.source"
    rm -rf "$work"
  ) || return 1
  export PM_PYTHON_SDK_GEN_DIR="$PM_PYTHON_SDK_GEN_CACHE"
}

pm_ensure_python_sdk_venv() {
  local root reqs hash venv base
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  reqs="$root/examples/python-fastapi/tests/requirements.txt"
  hash="$(cat "$reqs" "$root/examples/python-fastapi/requirements.txt" | sha256sum | cut -c1-12)"
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-mangum/python-sdk/venv-$hash"
  if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    base="$root/.venv/bin/python"; [ -x "$base" ] || base="$(command -v python3)"
    rm -rf "$venv"
    "$base" -m venv "$venv" || return 1
    # The exact pins the example's tests run under; pip from PyPI, once per requirements change.
    "$venv/bin/python" -m pip install -q -r "$reqs" || return 1
    touch "$venv/.complete"
  fi
  export PM_SDK_PYTHON="$venv/bin/python"
}
