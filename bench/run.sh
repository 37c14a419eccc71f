#!/usr/bin/env bash
# The whole benchmark against a throwaway PostgreSQL and Redis (see docs/performance.md):
#
#   tests/services.sh bench/run.sh          (or: make bench)
#
# 1,000,000 records: generate, sweep through a real Celery worker against one raw UPDATE, the
# record admin list, a 100,000-row import. Then 2,000,000 records in a second database of the
# same cluster: generate, sweep. Settings (environment):
#   BENCH_RECORDS=1000000        the main data set
#   BENCH_LARGE_RECORDS=2000000  the scaling run (0: skip it)
#   BENCH_REPEAT=3               sweep/baseline pairs per data set (medians are reported)
#   BENCH_IMPORT_ROWS=100000
#   BENCH_REQUESTS=100000        subject requests for the staff pages (bench/pages.py)
#   BENCH_ACCESS_RECORDS=10000   records of the one person in the access package
#   BENCH_STAFF_SECONDS=30       each concurrency run (1, 20, 50 staff on gunicorn)
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?run me through tests/services.sh (it sets DATABASE_URL and REDIS_URL)}"
: "${REDIS_URL:?run me through tests/services.sh}"
PY=${PY:-.venv/bin/python}
RECORDS=${BENCH_RECORDS:-1000000}
LARGE=${BENCH_LARGE_RECORDS:-2000000}
REPEAT=${BENCH_REPEAT:-3}
IMPORT_ROWS=${BENCH_IMPORT_ROWS:-100000}
REQUESTS=${BENCH_REQUESTS:-100000}
ACCESS_RECORDS=${BENCH_ACCESS_RECORDS:-10000}
STAFF_SECONDS=${BENCH_STAFF_SECONDS:-30}
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore

echo "bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average$(cut -d' ' -f1-3 </proc/loadavg | sed 's/^/ /')"
"$PY" -c 'import sys; sys.path.insert(0, "."); from bench.common import setup_django, scalar
setup_django(); print("bench:", scalar("SELECT version()").split(" on ")[0])'

prepare() {  # migrate the database at DATABASE_URL and fill it with $1 records
  "$PY" manage.py migrate --noinput -v 0
  "$PY" bench/generate.py --records "$1"
}

OUT=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

prepare "$RECORDS"
"$PY" bench/sweep.py --explain --repeat "$REPEAT" | tee "$OUT/small"
"$PY" bench/admin_list.py
"$PY" bench/import_records.py --rows "$IMPORT_ROWS"
"$PY" bench/import_vs_copy.py --rows "$IMPORT_ROWS"

# --- staff pages, the access package, staff at once (issue 12) ---------------------------------
"$PY" bench/pages.py --requests "$REQUESTS"
"$PY" bench/access_package.py --records "$ACCESS_RECORDS"
"$PY" bench/concurrency.py --users 20 50 --seconds "$STAFF_SECONDS"

if [ "$LARGE" -gt 0 ]; then
  # A second database of the same cluster, so the first run's dead tuples play no part.
  "$PY" -c 'import sys; sys.path.insert(0, "."); from bench.common import setup_django, execute
setup_django(); execute("DROP DATABASE IF EXISTS bench_large"); execute("CREATE DATABASE bench_large")'
  DATABASE_URL="${DATABASE_URL%/*}/bench_large"
  export DATABASE_URL
  prepare "$LARGE"
  "$PY" bench/sweep.py --repeat "$REPEAT" | tee "$OUT/large"
  "$PY" - "$OUT/small" "$OUT/large" <<'EOF'
import sys

def read(path):
    with open(path) as f:
        line = [line for line in f if line.startswith("RESULT ")][-1]
    return dict(item.split("=") for item in line.split()[1:])

small, large = read(sys.argv[1]), read(sys.argv[2])
ratio = float(large["sweep_seconds"]) / float(small["sweep_seconds"])
base = float(large["baseline_seconds"]) / float(small["baseline_seconds"])
print(f"\n== scaling: {int(small['records']):,} -> {int(large['records']):,} records")
print(f"  sweep     {small['sweep_seconds']} s -> {large['sweep_seconds']} s = {ratio:.2f}x (target <= 2.2x)")
print(f"  baseline  {small['baseline_seconds']} s -> {large['baseline_seconds']} s = {base:.2f}x")
EOF
fi
echo "bench: done $(date -u '+%H:%M UTC'), load average$(cut -d' ' -f1-3 </proc/loadavg | sed 's/^/ /')"
