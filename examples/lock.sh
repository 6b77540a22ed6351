#!/usr/bin/env bash
# Regenerates the hashed lockfiles that build-lambda.sh installs with --require-hashes:
#
#   examples/<example>/requirements.txt   from <example>/requirements.in  (the function's packages)
#   examples/build-requirements.txt       from build-requirements.in      (the build backend of runtime/)
#
#   examples/lock.sh [EXAMPLE_DIR...]     (default: every example with a requirements.in)
#
# Run it after editing a requirements.in, review the diff and commit it: the lockfile,
# not the .in file, is what gets installed. It needs uv (`pip install uv`; the project's
# .venv has it, pinned in requirements-dev.txt).
#
# Why uv and not pip-compile: the function's packages must be resolved for Lambda's
# Python (3.13, Linux), not for the machine running this script. `uv pip compile
# --python-version --python-platform` resolves for a target; pip-compile resolves for
# the interpreter it runs on, so a lock made on Python 3.11 or macOS could name the wrong
# set of packages. The output has no environment markers: pip evaluates markers against
# the interpreter running pip, not against --python-version, so a lock for a foreign
# target must list exactly the packages to install.
# Hashes: uv writes the sha256 of every file PyPI has for each pinned version (all
# platforms), so the same lock serves arm64 and x86_64.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

# The Lambda runtime the examples deploy (their MangumFunction's default `runtime`).
lambda_python="3.13"
# python3.12 and later run on Amazon Linux 2023, glibc 2.34
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
lambda_platform="aarch64-manylinux_2_34"

uv="${UV:-}"
if [ -z "$uv" ]; then
  if [ -x "$root/.venv/bin/uv" ]; then uv="$root/.venv/bin/uv"; else uv="$(command -v uv || true)"; fi
fi
if [ -z "$uv" ]; then
  echo "lock.sh: uv not found; install it (pip install uv) or set UV to its path" >&2
  exit 2
fi

header() {
  printf '# Locked by examples/lock.sh from %s: do not edit, edit %s and run examples/lock.sh.\n' "$1" "$1"
  printf '%s\n' "$2"
}

compile() {
  # $1 input, $2 output, rest: resolution flags
  local input="$1" output="$2" tmp
  shift 2
  tmp="$(mktemp)"
  # From the input's directory, so the annotations read `-r requirements.in` wherever it runs.
  (cd "$(dirname "$input")" && "$uv" --quiet pip compile "$(basename "$input")" --generate-hashes --no-header --annotation-style line \
    --no-emit-index-url --output-file "$tmp" "$@")
  { header "$(basename "$input")" "$lock_note"; cat "$tmp"; } > "$output"
  rm -f "$tmp"
  echo "locked $(realpath --relative-to="$root" "$output")"
}

if [ "$#" -eq 0 ]; then
  set --
  for dir in "$here"/*/; do [ -f "$dir/requirements.in" ] && set -- "$@" "$dir"; done
fi

for dir in "$@"; do
  dir="$(cd "$dir" && pwd)"
  lock_note="# lambda-python: $lambda_python  (resolved for Lambda's python$lambda_python on Linux; build-lambda.sh warns when building for another version)"
  compile "$dir/requirements.in" "$dir/requirements.txt" \
    --python-version "$lambda_python" --python-platform "$lambda_platform"
done

# The build backend runs on the machine that builds (any OS, Python 3.10 or later), so it
# is resolved universally: markers stay, and pip evaluates them on that machine.
lock_note="# build-backend: runs on the build machine (Python 3.10 or later, any OS)"
compile "$here/build-requirements.in" "$here/build-requirements.txt" --universal --python-version 3.10
