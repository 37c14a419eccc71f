#!/usr/bin/env bash
# The whole benchmark against a throwaway PostgreSQL and Redis (see docs/performance.md):
#
#   tests/services.sh bench/run.sh          (or: make bench)
#
# 1,000,000 records: generate, sweep through a real Celery worker against the same-work SQL
# script and one raw UPDATE, the record admin list, a 100,000-row import. Then 2,000,000 records
# in a second database of the same cluster: generate, sweep. Settings (environment):
#   BENCH_RECORDS=1000000        the main data set
#   BENCH_LARGE_RECORDS=2000000  the scaling run (0: skip it)
#   BENCH_REPEAT=3               sweep/baseline pairs per data set (medians are reported)
#   BENCH_IMPORT_ROWS=100000
#   BENCH_REQUESTS=100000        subject requests for the staff pages (bench/pages.py)
#   BENCH_ACCESS_RECORDS=10000   records of the one person in the access package
#   BENCH_STAFF_SECONDS=60       each concurrency run (1, 20, 50 staff on gunicorn, reading
#                                each page ~5 s, then again with no pause)
#   BENCH_SWEEP_ONLY=0           1: only the sweeps at both sizes (no admin list, imports, pages)
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
STAFF_SECONDS=${BENCH_STAFF_SECONDS:-60}
SWEEP_ONLY=${BENCH_SWEEP_ONLY:-0}
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
if [ "$SWEEP_ONLY" != 1 ]; then
  "$PY" bench/admin_list.py
  "$PY" bench/import_records.py --rows "$IMPORT_ROWS"
  "$PY" bench/import_vs_copy.py --rows "$IMPORT_ROWS"

  # --- staff pages, the access package, staff at once (issue 12) -------------------------------
  "$PY" bench/pages.py --requests "$REQUESTS"
  "$PY" bench/access_package.py --records "$ACCESS_RECORDS"
  # Twice: as people work (reading each page about 5 s) and as a stress test (no pause at all).
  "$PY" bench/concurrency.py --users 20 50 --seconds "$STAFF_SECONDS" --think 5
  "$PY" bench/concurrency.py --users 20 50 --seconds "$STAFF_SECONDS"
fi

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
print(f"\n== scaling: {int(small['records']):,} -> {int(large['records']):,} records")
for key, label, target in (
    ("sweep_seconds", "sweep              ", " (target <= 2.1x)"),
    ("same_work_seconds", "same-work script   ", ""),
    ("baseline_seconds", "raw UPDATE (ref.)  ", ""),
):
    ratio = float(large[key]) / float(small[key])
    print(f"  {label}{small[key]} s -> {large[key]} s = {ratio:.2f}x{target}")
print(f"  sweep buffer touches per flagged record: {small['sweep_buffers_per_flagged']}"
      f" -> {large['sweep_buffers_per_flagged']}")
EOF
fi
echo "bench: done $(date -u '+%H:%M UTC'), load average$(cut -d' ' -f1-3 </proc/loadavg | sed 's/^/ /')"
