#!/usr/bin/env bash
# The project's single entry point: `npm run <task>` lands here, so a fresh
# machine needs nothing by hand. Each task provisions what it uses.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=toolchain.sh
source "$ROOT/scripts/toolchain.sh"
for f in python.sh postgres.sh rie.sh; do
  # shellcheck disable=SC1090
  [ -f "$ROOT/scripts/$f" ] && source "$ROOT/scripts/$f"
done

task="${1:-test}"
shift || true

build() {
  pm_ensure_node
  pm_ensure_node_modules
  node_modules/.bin/tsc -p tsconfig.json
  node scripts/bundle-hooks.mjs
}

case "$task" in
  build)
    build
    ;;
  test)
    build
    # One type-check of sources, tests and examples; jest then only transpiles.
    node_modules/.bin/tsc -p tsconfig.test.json
    pm_ensure_venv
    pm_ensure_postgres
    pm_ensure_rie
    # tests/engine drives the real Pulumi CLI: built once per machine (~5–9 min), then cached.
    source "$ROOT/scripts/pulumi-cli.sh"
    pm_ensure_pulumi_cli
    mkdir -p .test-results
    jest_rc=0 py_rc=0
    node_modules/.bin/jest --ci --json --outputFile=.test-results/jest.json "$@" || jest_rc=$?
    "$PM_VENV/bin/python" -m pytest -q -p no:cacheprovider --junitxml=.test-results/pytest.xml runtime/tests examples || py_rc=$?
    # One closing line over both runners, so a reader (or CI) sees the whole count.
    node scripts/test-summary.js .test-results/jest.json .test-results/pytest.xml
    [ "$jest_rc" -eq 0 ] && [ "$py_rc" -eq 0 ]
    ;;
  rehearse)
    build
    pm_ensure_venv
    pm_ensure_postgres
    pm_ensure_rie
    # --quick anywhere on the line: the hook-level rehearsal (docs/rehearsal.md), about half a minute.
    # (`npm run rehearse --quick`, without `--`, reaches us only as npm_config_quick: honour it too.)
    quick=0 rest=()
    [ "${npm_config_quick:-}" = "true" ] && quick=1
    for a in "$@"; do
      if [ "$a" = "--quick" ]; then quick=1; else rest+=("$a"); fi
    done
    if [ "$quick" -eq 1 ]; then
      node bin/rehearsal/bin/rehearse.js ${rest[@]+"${rest[@]}"}
    else
      # The default: the real Pulumi engine against the local AWS (docs/engine.md), IAM enforced with the
      # policies the engine creates. Builds the CLI once per machine (a progress line while it builds).
      source "$ROOT/scripts/pulumi-cli.sh"
      pm_ensure_pulumi_cli
      node bin/rehearsal/bin/rehearse-engine.js ${rest[@]+"${rest[@]}"}
    fi
    ;;
  bench)
    build
    pm_ensure_venv
    pm_ensure_postgres
    pm_ensure_rie
    node bin/rehearsal/bin/bench.js "$@"
    ;;
  *)
    echo "unknown task '$task' (known: build, test, rehearse, bench)" >&2
    exit 2
    ;;
esac
