#!/usr/bin/env bash
# Builds build/: the app and its dependencies for Lambda (arm64, CPython 3.13).
# Run it before `pulumi up`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../build-lambda.sh" "$here"
