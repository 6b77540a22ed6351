#!/usr/bin/env bash
# Builds a Lambda artifact directory without Docker: the example's requirements as
# wheels for Lambda's platform (pip --platform/--only-binary, never compiled here),
# optionally local packages of this repository, then the app's own modules.
#
#   examples/build-lambda.sh EXAMPLE_DIR [LOCAL_PACKAGE_DIR...]
#
# EXAMPLE_DIR holds requirements.txt and app/*.py; the result is EXAMPLE_DIR/build.
# Environment:
#   LAMBDA_ARCH     arm64 (default) or x86_64: must match the MangumFunction's `architecture`
#   LAMBDA_PYTHON   3.13 (default): must match its `runtime` (python3.13)
#   PYTHON          the interpreter running pip (default python3, 3.10 or newer)
set -euo pipefail

example="$(cd "${1:?usage: build-lambda.sh EXAMPLE_DIR [LOCAL_PACKAGE_DIR...]}" && pwd)"
shift
arch="${LAMBDA_ARCH:-arm64}"
py_version="${LAMBDA_PYTHON:-3.13}"
python="${PYTHON:-python3}"

case "$arch" in
  arm64) machine=aarch64 ;;
  x86_64) machine=x86_64 ;;
  *) echo "build-lambda.sh: LAMBDA_ARCH must be arm64 or x86_64, got '$arch'" >&2; exit 2 ;;
esac
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "build-lambda.sh: $python is missing or older than 3.10; set PYTHON to a newer interpreter" >&2
  exit 2
fi

out="$example/build"
# Quiet about running as root (CI containers); older pips ignore the variable.
export PIP_ROOT_USER_ACTION=ignore
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Local packages become wheels first, so the install below stays binary-only and
# installs them by file path: no index is ever asked for their names.
wheels=()
for package in "$@"; do
  "$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$work/wheels" "$package"
done
if [ -d "$work/wheels" ]; then
  for wheel in "$work"/wheels/*.whl; do wheels+=("$wheel"); done
fi

rm -rf "$out"
mkdir -p "$out"
# Lambda's Python 3.13 runtime runs on Amazon Linux 2023 (glibc 2.34): manylinux2014
# and manylinux_2_28 wheels both run there.
"$python" -m pip install --quiet --disable-pip-version-check --no-warn-conflicts \
  --target "$out" \
  --implementation cp --python-version "$py_version" \
  --platform "manylinux2014_$machine" --platform "manylinux_2_28_$machine" \
  --only-binary=:all: \
  -r "$example/requirements.txt" "${wheels[@]}"

# The app's modules, not its tests.
find "$example/app" -maxdepth 1 -name '*.py' -exec cp {} "$out/" \;
find "$out" -name '__pycache__' -type d -prune -exec rm -rf {} +

echo "built $out for $arch, CPython $py_version ($(du -sh "$out" | cut -f1))"
