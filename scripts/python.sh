#!/usr/bin/env bash
# Sourced after toolchain.sh. Provides the project's Python virtualenv (.venv at
# the repo root) with requirements-dev.txt installed, reinstalling only when
# that file, runtime/pyproject.toml or the interpreter changed, so a test run
# on a provisioned machine costs one hash.

PM_VENV="$PM_ROOT/.venv"
PM_PYTHON="${PM_PYTHON:-python3}"

# The interpreter the venv is built from must be >= 3.10 (mangum-warmup's floor).
pm_python_ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null
}

pm_venv_want() {
  printf '%s-%s-%s' \
    "$("$PM_VENV/bin/python" -c 'import sys; print(sys.version.split()[0])')" \
    "$(sha256sum "$PM_ROOT/requirements-dev.txt" | cut -c1-16)" \
    "$(sha256sum "$PM_ROOT/runtime/pyproject.toml" | cut -c1-16)"
}

pm_ensure_venv() {
  if ! pm_python_ok "$PM_PYTHON"; then
    pm_log "$PM_PYTHON is missing or older than 3.10; set PM_PYTHON to a Python >= 3.10"
    return 1
  fi
  # A venv whose interpreter vanished (machine Python upgraded) is rebuilt whole.
  if [ -d "$PM_VENV" ] && ! pm_python_ok "$PM_VENV/bin/python"; then
    pm_log "rebuilding $PM_VENV: its interpreter no longer runs"
    rm -rf "$PM_VENV"
  fi
  if [ ! -x "$PM_VENV/bin/python" ]; then
    pm_log "creating $PM_VENV with $("$PM_PYTHON" --version)"
    "$PM_PYTHON" -m venv "$PM_VENV"
  fi
  local stamp="$PM_VENV/.pm-requirements-stamp" want
  want="$(pm_venv_want)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  pm_log "installing requirements-dev.txt into $PM_VENV"
  (cd "$PM_ROOT" && "$PM_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements-dev.txt)
  echo "$want" > "$stamp"
}
