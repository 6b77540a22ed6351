#!/usr/bin/env bash
# Builds a Lambda artifact directory without Docker: the example's locked requirements
# as wheels for Lambda's platform (pip --platform/--only-binary, never compiled here,
# every file checked against the lockfile's hashes), optionally local packages of this
# repository, then the app's whole tree.
#
#   examples/build-lambda.sh EXAMPLE_DIR [LOCAL_PACKAGE_DIR...]
#
# EXAMPLE_DIR holds requirements.txt (locked with hashes by examples/lock.sh) and app/;
# the result is EXAMPLE_DIR/build.
#
# The result is reproducible: the same lockfile, local sources and app give the same
# bytes, file names, modes and timestamps on any machine, from any directory, so an
# unchanged app gives Pulumi the same archive hash and Lambda publishes no new version
# (lambda_artifact.py says what it normalizes and why).
#
# Environment:
#   LAMBDA_ARCH        arm64 (default) or x86_64: must match the MangumFunction's `architecture`
#   LAMBDA_PYTHON      3.13 (default): must match its `runtime` (python3.13)
#   PYTHON             the interpreter running pip (default python3, 3.10 or newer, pip 22.2 or newer)
#   SOURCE_DATE_EPOCH  the timestamp every file gets (default 315532800, 1980-01-01)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
example="$(cd "${1:?usage: build-lambda.sh EXAMPLE_DIR [LOCAL_PACKAGE_DIR...]}" && pwd)"
shift
arch="${LAMBDA_ARCH:-arm64}"
py_version="${LAMBDA_PYTHON:-3.13}"
python="${PYTHON:-python3}"
lock="$example/requirements.txt"

die() { echo "build-lambda.sh: $*" >&2; exit 2; }

case "$arch" in
  arm64) machine=aarch64 ;;
  x86_64) machine=x86_64 ;;
  *) die "LAMBDA_ARCH must be arm64 or x86_64, got '$arch'" ;;
esac
# The newest glibc each Lambda Python runtime has: python3.10 and python3.11 run on
# Amazon Linux 2 (glibc 2.26), python3.12 and later on Amazon Linux 2023 (glibc 2.34)
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). pip matches
# --platform tags literally (manylinux_2_28 does not imply manylinux_2_17), so every
# manylinux level up to that glibc is listed, newest (most preferred) first.
case "$py_version" in
  3.10|3.11) max_glibc=26 ;;
  3.12|3.13|3.14) max_glibc=34 ;;
  *) die "LAMBDA_PYTHON must be a Lambda Python runtime version (3.10 to 3.14), got '$py_version'" ;;
esac
platforms=()
for ((minor = max_glibc; minor >= 17; minor--)); do platforms+=(--platform "manylinux_2_${minor}_$machine"); done
platforms+=(--platform "manylinux2014_$machine")

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  die "$python is missing or older than 3.10; set PYTHON to a newer interpreter"
fi
# --check-build-dependencies (below) arrived in pip 22.2.
if ! "$python" -c 'import sys; from pip import __version__ as v; import re; m = re.match(r"(\d+)\.(\d+)", v); sys.exit(0 if m and (int(m[1]), int(m[2])) >= (22, 2) else 1)' 2>/dev/null; then
  die "$python has no pip, or one older than 22.2; run: $python -m pip install --upgrade pip"
fi
[ -d "$example/app" ] || die "$example/app is missing: the function's code goes in EXAMPLE_DIR/app"
[ -f "$lock" ] || die "$lock is missing: lock the app's requirements with examples/lock.sh"
if ! grep -q -- '--hash=sha256:' "$lock"; then
  die "$lock has no hashes: regenerate it with examples/lock.sh"
fi
locked_for="$(sed -n 's/^# lambda-python: \([0-9.]*\).*/\1/p' "$lock")"
if [ -n "$locked_for" ] && [ "$locked_for" != "$py_version" ]; then
  echo "build-lambda.sh: warning: $lock was resolved for Python $locked_for, building for $py_version;" \
    "a package only $py_version needs would be missing (pip would stop on it). Re-lock for $py_version if so." >&2
fi

out="$example/build"
epoch="${SOURCE_DATE_EPOCH:-315532800}"
# build/ is replaced whole; never a directory this script did not make (no *.dist-info in it).
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && ! compgen -G "$out/*.dist-info" >/dev/null; then
  die "$out exists and is not an artifact built by this script; move it away first"
fi
if ! [[ "$epoch" =~ ^[0-9]+$ ]] || [ "$epoch" -lt 315532800 ]; then
  die "SOURCE_DATE_EPOCH must be a whole number of seconds, 315532800 (1980-01-01) or later; got '$epoch'"
fi
# Quiet about running as root (CI containers); older pips ignore the variable.
export PIP_ROOT_USER_ACTION=ignore
# A user's pip configuration (a mirror as index, say) is honoured: whatever index serves
# the files, the lockfile's hashes decide what may be installed.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pip=("$python" -m pip --disable-pip-version-check --no-input)

# Local packages become wheels first, built by the backend pinned in
# build-requirements.txt (installed with its hashes, not fetched by pip's build
# isolation), then installed with the rest in one resolution, so their dependencies are
# checked against the lockfile and no index is ever asked for their names.
local_reqs="$work/local-packages.txt"
: > "$local_reqs"
if [ "$#" -gt 0 ]; then
  "${pip[@]}" install --quiet --target "$work/build-backend" --require-hashes --only-binary=:all: --no-compile \
    -r "$here/build-requirements.txt"
  for package in "$@"; do
    [ -f "$package/pyproject.toml" ] || die "$package has no pyproject.toml: a local package is a directory pip can build"
    # --check-build-dependencies: the package's [build-system] pin must be the locked backend.
    PYTHONPATH="$work/build-backend" SOURCE_DATE_EPOCH="$epoch" "${pip[@]}" wheel --quiet --no-deps \
      --no-build-isolation --check-build-dependencies --wheel-dir "$work/wheels" "$package"
  done
  "$python" - "$work/wheels" "$local_reqs" <<'PY'
import hashlib, pathlib, sys
wheels, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
lines = []
for wheel in sorted(wheels.glob("*.whl")):
    name = wheel.name.split("-")[0].replace("_", "-")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lines.append(f"{name} @ {wheel.resolve().as_uri()} --hash=sha256:{digest}\n")
out.write_text("".join(lines))
PY
fi

rm -rf "$out"
mkdir -p "$out"
# --no-compile: bytecode would be for this machine's Python and carry mtimes.
"${pip[@]}" install --quiet --no-warn-conflicts --no-compile \
  --target "$out" \
  --implementation cp --python-version "$py_version" \
  "${platforms[@]}" \
  --only-binary=:all: --require-hashes \
  -r "$lock" -r "$local_reqs"

# --forbid: the random scratch directory is where pip found the local wheels; a file that
# names it would differ in every build. (The example's own path is not checked: a short one
# such as /app appears in ordinary package files.)
SOURCE_DATE_EPOCH="$epoch" "$python" "$here/lambda_artifact.py" --out "$out" --app "$example/app" \
  --forbid "$work"

files="$(find "$out" -type f | wc -l | tr -d ' ')"
echo "built $out for $arch, CPython $py_version ($files files, $(du -sh "$out" | cut -f1))"
