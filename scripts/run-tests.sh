#!/usr/bin/env bash
# The whole suite: unit + integration tests on SQLite, again on a throw-away PostgreSQL, then Playwright in Chromium.
# A pass that collects no tests is an error (pytest exit 5), never a silent success.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p test-results
status=0

run_pass() {
  local name=$1; shift
  echo "=== $name ==="
  "$PY" -m pytest "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "ERROR: the $name pass collected no tests"; rc=1; fi
  [ $rc -ne 0 ] && { echo "FAILED: $name (exit $rc)"; status=1; }
  return 0
}

export TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend
run_pass "SQLite" -m "not e2e" -n 2 -q

url=$(scripts/pg-test-cluster.sh start) || { echo "could not start PostgreSQL"; exit 1; }
trap 'scripts/pg-test-cluster.sh stop' EXIT
DATABASE_URL=$url run_pass "PostgreSQL" -m "not e2e" -n 2 -q
run_pass "Browser (Playwright + Chromium)" -m e2e -q -p no:xdist

[ $status -eq 0 ] && echo "All test passes green." || echo "Some test passes failed."
exit $status
